import {
  EmptyState,
  InfoCard,
  Progress,
  ResponseErrorPanel,
  StatusError,
  StatusOK,
  StatusPending,
  Table,
  TableColumn,
} from '@backstage/core-components';
import { useApi } from '@backstage/core-plugin-api';
import Box from '@material-ui/core/Box';
import Button from '@material-ui/core/Button';
import Typography from '@material-ui/core/Typography';
import { Application, ObjectStatus } from '@internal/plugin-brom-common';
import useAsyncRetry from 'react-use/esm/useAsyncRetry';
import useInterval from 'react-use/esm/useInterval';
import { bromApiRef } from '../../api/BromApi';
import { formatTime } from '../common/time';
import { QueueDeletionConfirmation } from './QueueDeletionConfirmation';
import {
  describeLastAttempt,
  describeNextAttempt,
  describeObject,
  describeReadiness,
  QUEUE_DELETION_REASONS,
} from './statusWords';

const REFRESH_MS = 10_000;

const ReadinessIcon = ({
  object,
  children,
}: {
  object: ObjectStatus;
  children: string;
}) => {
  if (object.condition.status === 'True')
    return <StatusOK>{children}</StatusOK>;
  if (object.condition.status === 'False')
    return <StatusError>{children}</StatusError>;
  return <StatusPending>{children}</StatusPending>;
};

/** Nothing synced yet is pending, not failing: the reconciler has not had its first pass. */
const SummaryIcon = (props: {
  ready: boolean;
  synced: boolean;
  children: string;
}) => {
  if (props.ready) return <StatusOK>{props.children}</StatusOK>;
  if (!props.synced) return <StatusPending>{props.children}</StatusPending>;
  return <StatusError>{props.children}</StatusError>;
};

export interface StatusPanelProps {
  application: Application;
  onApplicationChange: (application: Application) => void;
}

/** What the reconciler last saw of each broker object of the application, in plain words. */
export const StatusPanel = ({
  application,
  onApplicationChange,
}: StatusPanelProps) => {
  const api = useApi(bromApiRef);
  const { value, loading, error, retry } = useAsyncRetry(
    () => api.getApplicationStatus(application.name),
    [api, application.name, application.generation],
  );
  useInterval(retry, REFRESH_MS);
  const now = new Date();

  const columns: TableColumn<ObjectStatus>[] = [
    { title: 'Object', render: row => describeObject(row) },
    {
      title: 'State',
      render: row => (
        <ReadinessIcon object={row}>
          {describeReadiness(row, now)}
        </ReadinessIcon>
      ),
    },
    { title: 'Reason', field: 'condition.reason' },
    { title: 'Last attempt', render: row => describeLastAttempt(row, now) },
    { title: 'Next retry', render: row => describeNextAttempt(row, now) },
    {
      title: 'Since',
      render: row => formatTime(row.condition.lastTransitionTime),
    },
  ];

  const renderStatus = () => {
    if (loading && !value) return <Progress />;
    if (error) return <ResponseErrorPanel error={error} />;
    if (!value) return null;
    const heldBack = value.objects.filter(o =>
      QUEUE_DELETION_REASONS.includes(o.condition.reason),
    );
    return (
      <>
        {application.deletedAt &&
          !application.queueDeletionConfirmedAt &&
          heldBack.length > 0 && (
            <QueueDeletionConfirmation
              application={application}
              heldBack={heldBack}
              onConfirmed={onApplicationChange}
            />
          )}
        <Box mb={2}>
          <Typography variant="subtitle1" component="div">
            <SummaryIcon ready={value.ready} synced={value.objects.length > 0}>
              {value.summary}
            </SummaryIcon>
          </Typography>
        </Box>
        {value.objects.length === 0 ? (
          <EmptyState
            missing="data"
            title="No broker objects yet"
            description="The reconciler creates the exchange, queue and bindings within moments of a change. If this stays empty, check that the BROM backend can reach the broker."
          />
        ) : (
          <Table
            options={{
              paging: false,
              search: false,
              toolbar: false,
              padding: 'dense',
            }}
            columns={columns}
            data={value.objects}
          />
        )}
      </>
    );
  };

  return (
    <InfoCard
      title="Broker status"
      subheader="Refreshed every 10 seconds"
      action={
        <Button size="small" onClick={retry}>
          Refresh status
        </Button>
      }
    >
      {renderStatus()}
    </InfoCard>
  );
};

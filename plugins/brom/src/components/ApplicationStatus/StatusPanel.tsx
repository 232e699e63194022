import {
  EmptyState,
  InfoCard,
  Progress,
  StatusError,
  StatusOK,
  StatusPending,
  StatusWarning,
  Table,
  TableColumn,
} from '@backstage/core-components';
import { useApi } from '@backstage/core-plugin-api';
import Box from '@material-ui/core/Box';
import Button from '@material-ui/core/Button';
import Typography from '@material-ui/core/Typography';
import {
  Application,
  ObjectStatus,
  UnmanagedObject,
} from '@internal/plugin-brom-common';
import useAsyncRetry from 'react-use/esm/useAsyncRetry';
import useInterval from 'react-use/esm/useInterval';
import { bromApiRef } from '../../api/BromApi';
import { ApplicationLink } from '../common/ApplicationLink';
import { LoadError } from '../common/LoadError';
import { formatTime } from '../common/time';
import { useTableColumns } from '../common/tableLayout';
import { QueueDeletionConfirmation } from './QueueDeletionConfirmation';
import {
  ApplicationStatusWords,
  describeApplicationStatus,
  describeLastAttempt,
  describeNextAttempt,
  describeObject,
  describePurpose,
  describeReadiness,
  QUEUE_DELETION_REASONS,
} from './statusWords';
import { useBromSignal } from '../common/useBromSignal';

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

/** Only a failure the user's application suffers is red; waiting for a first type is not. */
const TONE_ICON: Record<ApplicationStatusWords['tone'], typeof StatusOK> = {
  ready: StatusOK,
  idle: StatusPending,
  pending: StatusPending,
  warning: StatusWarning,
  failing: StatusError,
};

const Detail = ({ label, children }: { label: string; children: string }) => (
  <Typography variant="caption" component="div" color="textSecondary">
    {label}: <span>{children}</span>
  </Typography>
);

// Stable columns (material-table resets its state when they change); the render
// functions read the clock each time, so the 10-second refresh keeps "ago" current.
const columns: TableColumn<ObjectStatus>[] = [
  {
    title: 'Object',
    render: row => (
      <Box style={{ overflowWrap: 'anywhere' }}>
        {describeObject(row)}
        <Typography variant="caption" component="div" color="textSecondary">
          {describePurpose(row)}
        </Typography>
      </Box>
    ),
  },
  {
    title: 'State',
    render: row => (
      <ReadinessIcon object={row}>
        {describeReadiness(row, new Date())}
      </ReadinessIcon>
    ),
  },
  {
    title: 'Details',
    render: row => (
      <>
        <Detail label="Reason">{row.condition.reason}</Detail>
        <Detail label="Last attempt">
          {describeLastAttempt(row, new Date())}
        </Detail>
        {row.nextAttemptAt && (
          <Detail label="Next retry">
            {describeNextAttempt(row, new Date())}
          </Detail>
        )}
        <Detail label="Since">
          {formatTime(row.condition.lastTransitionTime)}
        </Detail>
      </>
    ),
  },
];

const unmanagedColumns: TableColumn<UnmanagedObject>[] = [
  {
    title: 'Object',
    render: row => (
      <Box style={{ overflowWrap: 'anywhere' }}>
        {row.kind} {row.name}
      </Box>
    ),
  },
  {
    title: 'Touches',
    render: row => (
      <>
        {row.sourceApplication && (
          <Typography variant="body2" component="div">
            reads from the exchange of{' '}
            <ApplicationLink name={row.sourceApplication} />
          </Typography>
        )}
        {row.destinationApplication && (
          <Typography variant="body2" component="div">
            ends in the queue or exchange of{' '}
            <ApplicationLink name={row.destinationApplication} />
          </Typography>
        )}
      </>
    ),
  },
  { title: 'First seen', render: row => formatTime(row.firstSeenAt) },
];

/**
 * Objects BROM does not manage that touch the application: BROM leaves them alone, so
 * the owners must know (a binding from their exchange to a foreign queue copies their
 * messages).
 */
const UnmanagedObjects = ({ objects }: { objects: UnmanagedObject[] }) => (
  <Box mt={2}>
    <Typography variant="subtitle1" component="div">
      <StatusWarning>
        {objects.length === 1
          ? '1 object BROM does not manage touches this application'
          : `${objects.length} objects BROM does not manage touch this application`}
      </StatusWarning>
    </Typography>
    <Typography variant="body2">
      Someone created them on the broker outside BROM; BROM leaves them alone. A
      binding from your exchange to a queue BROM does not know receives a copy
      of your messages. If they are not yours, ask the BROM operators to remove
      them.
    </Typography>
    <Table
      options={{
        paging: false,
        search: false,
        toolbar: false,
        padding: 'dense',
      }}
      columns={unmanagedColumns}
      data={objects.map(o => ({ ...o, id: o.key }))}
    />
  </Box>
);

export interface StatusPanelProps {
  application: Application;
  onApplicationChange: (application: Application) => void;
}

/**
 * How the application stands on the broker and what to do about it, then what the
 * reconciler last saw of each broker object, with its technical reason for operators.
 */
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
  useBromSignal(retry, { application: application.name });
  const shownColumns = useTableColumns(columns);

  const renderStatus = () => {
    if (loading && !value) return <Progress />;
    if (error) {
      return (
        <LoadError error={error} what="the broker status" onRetry={retry} />
      );
    }
    if (!value) return null;
    const heldBack = value.objects.filter(o =>
      QUEUE_DELETION_REASONS.includes(o.condition.reason),
    );
    const words = describeApplicationStatus(value);
    const Icon = TONE_ICON[words.tone];
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
            <Icon>{words.headline}</Icon>
          </Typography>
          <Typography variant="body2">{words.advice}</Typography>
          <Detail label="Details">{value.summary}</Detail>
          <Detail label="Broker last looked at">
            {value.observedAt ? formatTime(value.observedAt) : 'not yet'}
          </Detail>
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
            columns={shownColumns}
            data={value.objects.map(o => ({ ...o, id: o.key }))}
          />
        )}
        {value.unmanaged.length > 0 && (
          <UnmanagedObjects objects={value.unmanaged} />
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

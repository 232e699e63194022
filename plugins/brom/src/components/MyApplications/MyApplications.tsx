import {
  EmptyState,
  Progress,
  StatusOK,
  StatusWarning,
  Table,
  TableColumn,
} from '@backstage/core-components';
import { useApi } from '@backstage/core-plugin-api';
import Box from '@material-ui/core/Box';
import Button from '@material-ui/core/Button';
import { EntityRefLink } from '@backstage/plugin-catalog-react';
import Alert from '@material-ui/lab/Alert';
import { Application } from '@internal/plugin-brom-common';
import { useState } from 'react';
import useAsyncRetry from 'react-use/esm/useAsyncRetry';
import { bromApiRef } from '../../api/BromApi';
import { ApplicationLink } from '../common/ApplicationLink';
import { LoadError } from '../common/LoadError';
import { useTableColumns } from '../common/tableLayout';
import { RegisterApplicationDialog } from './RegisterApplicationDialog';
import { useBromSignal } from '../common/useBromSignal';

const columns: TableColumn<Application>[] = [
  {
    title: 'Name',
    field: 'name',
    render: row => <ApplicationLink name={row.name} />,
  },
  { title: 'Title', field: 'title' },
  {
    title: 'Owner',
    field: 'owner',
    render: row => <EntityRefLink entityRef={row.owner} />,
  },
  { title: 'Description', field: 'description' },
  {
    title: 'State',
    field: 'deletedAt',
    render: row =>
      row.deletedAt ? (
        <StatusWarning>Being deleted</StatusWarning>
      ) : (
        <StatusOK>Active</StatusOK>
      ),
  },
];

/** The applications the signed-in user's groups own, and registering a new one. */
export const MyApplications = () => {
  const api = useApi(bromApiRef);
  const { value, loading, error, retry } = useAsyncRetry(
    () =>
      api.listApplications({ mine: true, includeDeleted: true, limit: 500 }),
    [api],
  );
  useBromSignal(retry, { kind: 'change' });
  const shownColumns = useTableColumns(columns, ['Description']);
  const [registering, setRegistering] = useState(false);
  const [registered, setRegistered] = useState<Application>();

  const registerButton = (
    <Button
      variant="contained"
      color="primary"
      onClick={() => {
        setRegistered(undefined);
        setRegistering(true);
      }}
    >
      Register application
    </Button>
  );

  const renderList = () => {
    if (loading) return <Progress />;
    if (error) {
      return (
        <LoadError error={error} what="your applications" onRetry={retry} />
      );
    }
    if (!value || value.items.length === 0) {
      return (
        <EmptyState
          missing="data"
          title="You have no applications yet"
          description="Choose “Register application” to register one for one of your groups. Then declare the notification types it publishes, or subscribe it to other producers' types."
        />
      );
    }
    return (
      <Table
        title={`My applications (${value.totalCount})`}
        options={{
          paging: value.items.length > 20,
          pageSize: 20,
          search: true,
        }}
        columns={shownColumns}
        data={value.items}
      />
    );
  };

  return (
    <>
      <Box display="flex" justifyContent="flex-end" mb={2}>
        {registerButton}
      </Box>
      {registered && (
        <Box mb={2}>
          <Alert severity="success" onClose={() => setRegistered(undefined)}>
            Registered <ApplicationLink name={registered.name} />. Add the
            notification types it publishes, or request subscriptions and create
            a credential.
          </Alert>
        </Box>
      )}
      {renderList()}
      {registering && (
        <RegisterApplicationDialog
          onClose={() => setRegistering(false)}
          onRegistered={application => {
            setRegistering(false);
            setRegistered(application);
            retry();
          }}
        />
      )}
    </>
  );
};

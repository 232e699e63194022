import {
  StatusOK,
  StatusWarning,
  TableColumn,
} from '@backstage/core-components';
import { useApi } from '@backstage/core-plugin-api';
import Box from '@material-ui/core/Box';
import Button from '@material-ui/core/Button';
import { EntityRefLink } from '@backstage/plugin-catalog-react';
import Alert from '@material-ui/lab/Alert';
import { Application } from '@internal/plugin-brom-common';
import { useCallback, useState } from 'react';
import { bromApiRef } from '../../api/BromApi';
import { ApplicationLink } from '../common/ApplicationLink';
import { ServerPageQuery, ServerTable } from '../common/ServerTable';
import { RegisterApplicationDialog } from './RegisterApplicationDialog';
import { useBromSignalRefresh } from '../common/useBromSignal';

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

const SORT_KEYS = { name: 'name', title: 'title', owner: 'owner' };

/** The applications the signed-in user's groups own, and registering a new one. */
export const MyApplications = () => {
  const api = useApi(bromApiRef);
  const refresh = useBromSignalRefresh({ kind: 'change' });
  const [registering, setRegistering] = useState(false);
  const [registered, setRegistered] = useState<Application>();
  // A new function after a registration, so the list is asked for again.
  const fetchPage = useCallback(
    (query: ServerPageQuery) =>
      api.listApplications({
        ...query,
        sort: query.sort as 'name' | 'title' | 'owner',
        mine: true,
        includeDeleted: true,
      }),
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [api, registered],
  );

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
      <ServerTable
        refresh={refresh}
        title="My applications"
        what="your applications"
        columns={columns}
        secondary={['Description']}
        sortKeys={SORT_KEYS}
        defaultSort={{ sort: 'name', order: 'asc' }}
        fetchPage={fetchPage}
        searchLabel="Search my applications"
        empty={{
          title: 'You have no applications yet',
          description:
            "Choose “Register application” to register one for one of your groups. Then declare the notification types it publishes, or subscribe it to other producers' types.",
        }}
        noMatch="None of your applications matches the search."
      />
      {registering && (
        <RegisterApplicationDialog
          onClose={() => setRegistering(false)}
          onRegistered={application => {
            setRegistering(false);
            setRegistered(application);
          }}
        />
      )}
    </>
  );
};

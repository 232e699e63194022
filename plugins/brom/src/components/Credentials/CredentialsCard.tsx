import {
  EmptyState,
  InfoCard,
  Progress,
  StatusAborted,
  StatusOK,
  StatusWarning,
  Table,
  TableColumn,
} from '@backstage/core-components';
import { useApi } from '@backstage/core-plugin-api';
import Box from '@material-ui/core/Box';
import DialogContentText from '@material-ui/core/DialogContentText';
import { EntityRefLink } from '@backstage/plugin-catalog-react';
import {
  Application,
  bromCredentialManagePermission,
  Credential,
  IssuedCredential,
} from '@internal/plugin-brom-common';
import { useMemo, useState } from 'react';
import useAsyncFn from 'react-use/esm/useAsyncFn';
import useAsyncRetry from 'react-use/esm/useAsyncRetry';
import { bromApiRef } from '../../api/BromApi';
import { PermittedButton } from '../common/PermittedButton';
import { ConfirmDialog } from '../common/ConfirmDialog';
import { ErrorAlert } from '../common/ErrorAlert';
import { LoadError } from '../common/LoadError';
import { formatTime } from '../common/time';
import {
  ACTIONS_CELL,
  useNarrowWindow,
  useTableColumns,
} from '../common/tableLayout';
import { IssuedSecretDialog } from './IssuedSecretDialog';
import { RotateCredentialsDialog } from './RotateCredentialsDialog';
import { useBromSignal } from '../common/useBromSignal';

const CredentialState = ({ credential }: { credential: Credential }) => {
  if (credential.revokedAt) return <StatusAborted>Revoked</StatusAborted>;
  if (credential.expiresAt && new Date(credential.expiresAt) <= new Date()) {
    return <StatusAborted>Expired</StatusAborted>;
  }
  if (credential.expiresAt) {
    return (
      <StatusWarning>
        Live until {formatTime(credential.expiresAt)}
      </StatusWarning>
    );
  }
  return <StatusOK>Live</StatusOK>;
};

function isLive(credential: Credential) {
  return (
    !credential.revokedAt &&
    (!credential.expiresAt || new Date(credential.expiresAt) > new Date())
  );
}

/** The application's broker credentials: create, rotate and revoke; secrets are shown once. */
export const CredentialsCard = ({
  application,
}: {
  application: Application;
}) => {
  const api = useApi(bromApiRef);
  const credentials = useAsyncRetry(
    () => api.listCredentials(application.name),
    [api, application.name],
  );
  useBromSignal(credentials.retry, {
    kind: 'change',
    application: application.name,
  });
  const [issued, setIssued] = useState<IssuedCredential>();
  const [rotating, setRotating] = useState(false);
  const [revoking, setRevoking] = useState<Credential>();
  const [creation, create] = useAsyncFn(async () => {
    setIssued(await api.createCredential(application.name));
    credentials.retry();
  }, [api, application.name, credentials.retry]);
  const live = !application.deletedAt;
  // Stacked in a narrow window, where side by side they would be cut off by the card.
  const narrow = useNarrowWindow();

  // Stable columns: material-table resets its state when they change.
  const columns = useMemo(
    (): TableColumn<Credential>[] => [
      {
        title: 'Username',
        field: 'username',
        render: row => <code>{row.username}</code>,
      },
      { title: 'State', render: row => <CredentialState credential={row} /> },
      {
        title: 'Created',
        field: 'createdAt',
        render: row => (
          <>
            {formatTime(row.createdAt)} by{' '}
            <EntityRefLink entityRef={row.createdBy} />
          </>
        ),
      },
      {
        title: 'Revoked',
        field: 'revokedAt',
        render: row =>
          row.revokedAt ? (
            <>
              {formatTime(row.revokedAt)}
              {row.revokedBy && (
                <>
                  {' '}
                  by <EntityRefLink entityRef={row.revokedBy} />
                </>
              )}
            </>
          ) : (
            '—'
          ),
      },
      {
        title: 'Actions',
        sorting: false,
        cellStyle: ACTIONS_CELL,
        render: row =>
          isLive(row) && (
            <PermittedButton
              permission={bromCredentialManagePermission}
              application={application}
              size="small"
              onClick={() => setRevoking(row)}
            >
              Revoke
            </PermittedButton>
          ),
      },
    ],
    [application],
  );
  const shownColumns = useTableColumns(columns, ['Revoked']);

  const renderCredentials = () => {
    if (credentials.loading && !credentials.value) return <Progress />;
    if (credentials.error) {
      return (
        <LoadError
          error={credentials.error}
          what="the credentials"
          onRetry={credentials.retry}
        />
      );
    }
    if (!credentials.value || credentials.value.length === 0) {
      return (
        <EmptyState
          missing="data"
          title="No credentials yet"
          description="Create a credential to let the application connect to the broker. Its secret is shown once, with connection settings to paste into your application's configuration."
        />
      );
    }
    return (
      <Table
        options={{ paging: false, search: false, toolbar: false }}
        columns={shownColumns}
        data={credentials.value}
      />
    );
  };

  return (
    <InfoCard
      title="Credentials"
      subheader="Each credential is its own broker user; up to two are live at once, so rotation has an overlap"
      action={
        live && (
          <Box
            display="flex"
            flexDirection={narrow ? 'column' : 'row'}
            style={{ gap: 8 }}
          >
            <PermittedButton
              permission={bromCredentialManagePermission}
              application={application}
              color="primary"
              variant="outlined"
              disabled={creation.loading}
              onClick={() => create()}
            >
              Create credential
            </PermittedButton>
            <PermittedButton
              permission={bromCredentialManagePermission}
              application={application}
              variant="outlined"
              onClick={() => setRotating(true)}
            >
              Rotate credentials
            </PermittedButton>
          </Box>
        )
      }
    >
      {creation.error && (
        <Box mb={2}>
          <ErrorAlert error={creation.error} />
        </Box>
      )}
      {renderCredentials()}
      {rotating && (
        <RotateCredentialsDialog
          application={application.name}
          onClose={() => setRotating(false)}
          onRotated={rotated => {
            setRotating(false);
            setIssued(rotated);
            credentials.retry();
          }}
        />
      )}
      {revoking && (
        <ConfirmDialog
          title={`Revoke credential ${revoking.username}?`}
          confirmLabel="Revoke credential"
          onClose={() => setRevoking(undefined)}
          onConfirm={async () => {
            await api.revokeCredential(application.name, revoking.id);
            setRevoking(undefined);
            credentials.retry();
          }}
        >
          <DialogContentText>
            Connections that use it are closed, and it can never connect again.
          </DialogContentText>
        </ConfirmDialog>
      )}
      {issued && (
        <IssuedSecretDialog
          application={application.name}
          issued={issued}
          onClose={() => setIssued(undefined)}
        />
      )}
    </InfoCard>
  );
};

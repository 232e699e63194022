import { InfoCard, TableColumn } from '@backstage/core-components';
import { useApi } from '@backstage/core-plugin-api';
import Box from '@material-ui/core/Box';
import DialogContentText from '@material-ui/core/DialogContentText';
import {
  Application,
  bromApplicationUpdatePermission,
  NotificationType,
} from '@internal/plugin-brom-common';
import { useCallback, useMemo, useState } from 'react';
import { bromApiRef } from '../../api/BromApi';
import { PermittedButton } from '../common/PermittedButton';
import { ConfirmDialog } from '../common/ConfirmDialog';
import { useBrokerSettings } from '../common/useBrokerSettings';
import { NotificationTypeDialog } from './NotificationTypeDialog';
import { DeprecateDialog } from './DeprecateDialog';
import { NewVersionDialog, VersionChanges } from './NewVersionDialog';
import { DeprecatedBadge } from '../common/deprecation';
import { CardTable } from '../common/CardTable';
import { ServerPageQuery } from '../common/ServerTable';
import { BreakableName, ACTIONS_CELL } from '../common/tableLayout';
import { useBromSignalRefresh } from '../common/useBromSignal';

type Editing =
  | { mode: 'add' }
  | { mode: 'edit' | 'delete' | 'deprecate'; type: NotificationType }
  | { mode: 'version'; type: NotificationType; changes?: VersionChanges };

/** The notification types an application publishes: add, edit and delete them. */
export const NotificationTypesCard = ({
  application,
}: {
  application: Application;
}) => {
  const api = useApi(bromApiRef);
  const { prefix } = useBrokerSettings();
  // Counts the changes made here, so the list is asked for again after each.
  const [changes, setChanges] = useState(0);
  // The page on screen, for the successor a deprecation may name.
  const [shownTypes, setShownTypes] = useState<NotificationType[]>([]);
  const fetchPage = useCallback(
    (query: ServerPageQuery) =>
      api
        .listNotificationTypes({
          ...query,
          sort: query.sort as 'name',
          application: application.name,
        })
        .then(page => {
          setShownTypes(page.items);
          return page;
        }),
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [api, application.name, changes],
  );
  const signalled = useBromSignalRefresh({
    kind: 'change',
    application: application.name,
  });
  const [editing, setEditing] = useState<Editing>();
  const close = () => setEditing(undefined);
  const saved = () => {
    close();
    setChanges(n => n + 1);
  };
  const live = !application.deletedAt;

  // Stable columns: material-table resets its state when they change.
  const columns = useMemo(
    (): TableColumn<NotificationType>[] => [
      {
        title: 'Name',
        field: 'name',
        render: row => (
          <>
            {row.name}
            <DeprecatedBadge
              producer={row.application}
              deprecation={row.deprecation}
            />
          </>
        ),
      },
      {
        title: 'Routing key',
        field: 'routingKeyPattern',
        render: row => <BreakableName name={row.routingKeyPattern} />,
      },
      { title: 'Description', field: 'description' },
      {
        title: 'Visibility',
        field: 'visibility',
        render: row => (row.visibility === 'public' ? 'Public' : 'Private'),
      },
      {
        title: 'Approval',
        field: 'requiresApproval',
        render: row => (row.requiresApproval ? 'Owners approve' : 'Automatic'),
      },
      {
        title: 'Actions',
        sorting: false,
        cellStyle: ACTIONS_CELL,
        render: row => (
          // Four actions wrap onto a second line rather than push the table sideways.
          <Box display="flex" flexWrap="wrap" style={{ gap: 8, maxWidth: 260 }}>
            <PermittedButton
              permission={bromApplicationUpdatePermission}
              application={application}
              size="small"
              onClick={() => setEditing({ mode: 'edit', type: row })}
            >
              Edit
            </PermittedButton>
            {!row.deprecation && (
              <PermittedButton
                permission={bromApplicationUpdatePermission}
                application={application}
                size="small"
                onClick={() => setEditing({ mode: 'version', type: row })}
              >
                New version
              </PermittedButton>
            )}
            {(!row.deprecation ||
              Date.parse(row.deprecation.sunsetAt) > Date.now()) && (
              <PermittedButton
                permission={bromApplicationUpdatePermission}
                application={application}
                size="small"
                onClick={() => setEditing({ mode: 'deprecate', type: row })}
              >
                {row.deprecation ? 'Extend sunset' : 'Deprecate'}
              </PermittedButton>
            )}
            <PermittedButton
              permission={bromApplicationUpdatePermission}
              application={application}
              size="small"
              onClick={() => setEditing({ mode: 'delete', type: row })}
            >
              Delete
            </PermittedButton>
          </Box>
        ),
      },
    ],
    [application],
  );

  const shownColumns = useMemo(
    () => (live ? columns : columns.slice(0, -1)),
    [columns, live],
  );

  return (
    <InfoCard
      title="Notification types"
      subheader={`Published to exchange ${prefix}${application.name}`}
      action={
        live && (
          <PermittedButton
            permission={bromApplicationUpdatePermission}
            application={application}
            color="primary"
            variant="outlined"
            onClick={() => setEditing({ mode: 'add' })}
          >
            Add notification type
          </PermittedButton>
        )
      }
    >
      <CardTable
        what="the notification types"
        refresh={signalled}
        fetchPage={fetchPage}
        sortKeys={{ name: 'name' }}
        defaultSort={{ sort: 'name', order: 'asc' }}
        columns={shownColumns}
        secondary={['Description', 'Visibility', 'Approval']}
        narrowerThan={1440}
        empty={{
          missing: 'content',
          title: 'Publishes no notification types',
          description: `Add a notification type to tell others what this application publishes. Consumers then find it in the producer catalogue and ask to subscribe; you publish to exchange ${prefix}${application.name}.`,
        }}
      />
      {editing?.mode === 'add' && (
        <NotificationTypeDialog
          application={application.name}
          onClose={close}
          onSaved={saved}
        />
      )}
      {editing?.mode === 'edit' && (
        <NotificationTypeDialog
          application={application.name}
          existing={editing.type}
          onClose={close}
          onSaved={saved}
          onNewVersion={versionChanges =>
            setEditing({
              mode: 'version',
              type: editing.type,
              changes: versionChanges,
            })
          }
        />
      )}
      {editing?.mode === 'deprecate' && (
        <DeprecateDialog
          type={editing.type}
          siblings={shownTypes}
          onClose={close}
          onSaved={saved}
        />
      )}
      {editing?.mode === 'version' && (
        <NewVersionDialog
          type={editing.type}
          changes={editing.changes}
          onClose={close}
          onSaved={saved}
        />
      )}
      {editing?.mode === 'delete' && (
        <ConfirmDialog
          title={`Delete notification type ${editing.type.name}?`}
          confirmLabel="Delete"
          onClose={close}
          onConfirm={async () => {
            await api.deleteNotificationType(
              application.name,
              editing.type.name,
              editing.type.generation,
            );
            saved();
          }}
        >
          <DialogContentText>
            Consumers can no longer subscribe to it. A type with active
            subscribers cannot be deleted until they unsubscribe.
          </DialogContentText>
        </ConfirmDialog>
      )}
    </InfoCard>
  );
};

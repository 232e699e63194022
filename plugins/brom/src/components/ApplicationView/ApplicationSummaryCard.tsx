import {
  InfoCard,
  StatusOK,
  StatusWarning,
  StructuredMetadataTable,
} from '@backstage/core-components';
import { useApi } from '@backstage/core-plugin-api';
import { EntityRefLink } from '@backstage/plugin-catalog-react';
import DialogContentText from '@material-ui/core/DialogContentText';
import Box from '@material-ui/core/Box';
import {
  Application,
  bromApplicationDeletePermission,
  bromApplicationUpdatePermission,
} from '@internal/plugin-brom-common';
import { ExternalProducerDialog } from '../ExternalProducer';
import { QueueSettingsDialog } from '../QueueSettings';
import { useState } from 'react';
import { bromApiRef } from '../../api/BromApi';
import { PermittedButton } from '../common/PermittedButton';
import { ConfirmDialog } from '../common/ConfirmDialog';
import { formatTime } from '../common/time';

export interface ApplicationSummaryCardProps {
  application: Application;
  onChange: (application: Application) => void;
}

function lifecycle(application: Application) {
  if (!application.deletedAt) return <StatusOK>Active</StatusOK>;
  if (application.queueDeletionConfirmedAt) {
    return (
      <StatusWarning>
        Being deleted; queued messages may be discarded
      </StatusWarning>
    );
  }
  return (
    <StatusWarning>
      Being deleted since {formatTime(application.deletedAt)}
    </StatusWarning>
  );
}

/** Who owns the application and what it is; deleting it starts with removing it from the broker. */
export const ApplicationSummaryCard = ({
  application,
  onChange,
}: ApplicationSummaryCardProps) => {
  const api = useApi(bromApiRef);
  const [deleting, setDeleting] = useState(false);
  const [editingUpstream, setEditingUpstream] = useState(false);
  const upstream = application.externalProducer;
  const [editing, setEditing] = useState(false);
  const { messageTtlMs, maxLength } = application.settings;
  return (
    <InfoCard
      title={application.title}
      action={
        !application.deletedAt && (
          <PermittedButton
            permission={bromApplicationDeletePermission}
            application={application}
            variant="outlined"
            onClick={() => setDeleting(true)}
          >
            Delete application
          </PermittedButton>
        )
      }
    >
      <StructuredMetadataTable
        metadata={{
          name: application.name,
          description: application.description || '—',
          owner: <EntityRefLink entityRef={application.owner} />,
          'catalog component': application.entityRef ? (
            <EntityRefLink entityRef={application.entityRef} />
          ) : (
            '—'
          ),
          state: lifecycle(application),
          registered: formatTime(application.createdAt),
          upstream: upstream
            ? `${upstream.upstreamUri}, ${
                upstream.upstreamQueue
                  ? `queue ${upstream.upstreamQueue}`
                  : `exchange ${upstream.upstreamExchange} (${upstream.upstreamRoutingKey})`
              }, as ${upstream.username}`
            : 'none: publishes on this broker',
          'message TTL':
            messageTtlMs === null
              ? 'None'
              : `${(messageTtlMs / 1000).toLocaleString('en')} s`,
          'maximum queue length':
            maxLength === null
              ? 'No limit'
              : `${maxLength.toLocaleString('en')} messages`,
        }}
      />
      {!application.deletedAt && (
        <Box mt={1} display="flex" flexWrap="wrap" style={{ gap: 8 }}>
          <PermittedButton
            permission={bromApplicationUpdatePermission}
            application={application}
            size="small"
            variant="outlined"
            onClick={() => setEditing(true)}
          >
            Edit queue settings
          </PermittedButton>
          <PermittedButton
            permission={bromApplicationUpdatePermission}
            application={application}
            size="small"
            variant="outlined"
            onClick={() => setEditingUpstream(true)}
          >
            {upstream ? 'Change upstream' : 'Publish from another RabbitMQ'}
          </PermittedButton>
        </Box>
      )}
      {editingUpstream && (
        <ExternalProducerDialog
          application={application}
          onClose={() => setEditingUpstream(false)}
          onSaved={saved => {
            setEditingUpstream(false);
            onChange(saved);
          }}
        />
      )}
      {editing && (
        <QueueSettingsDialog
          application={application}
          onClose={() => setEditing(false)}
          onSaved={saved => {
            setEditing(false);
            onChange(saved);
          }}
        />
      )}
      {deleting && (
        <ConfirmDialog
          title={`Delete application ${application.name}?`}
          confirmLabel="Delete"
          onClose={() => setDeleting(false)}
          onConfirm={async () => {
            const deleted = await api.deleteApplication(
              application.name,
              application.generation,
            );
            setDeleting(false);
            onChange(deleted);
          }}
        >
          <DialogContentText>
            Its exchange, queue, bindings and credentials are removed from the
            broker. An application whose notification types still have
            subscribers cannot be deleted until they unsubscribe. If its queue
            still holds messages, you are asked before they are discarded.
          </DialogContentText>
        </ConfirmDialog>
      )}
    </InfoCard>
  );
};

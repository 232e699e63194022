import {
  InfoCard,
  StatusOK,
  StatusWarning,
  StructuredMetadataTable,
} from '@backstage/core-components';
import { stringifyEntityRef } from '@backstage/catalog-model';
import { useApi, useApiHolder } from '@backstage/core-plugin-api';
import {
  catalogApiRef,
  EntityRefLink,
  EntityRefLinks,
} from '@backstage/plugin-catalog-react';
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
import useAsync from 'react-use/esm/useAsync';
import { bromApiRef } from '../../api/BromApi';
import { PermittedButton } from '../common/PermittedButton';
import { ConfirmDialog } from '../common/ConfirmDialog';
import { formatTime } from '../common/time';
import { BROM_APPLICATION_ANNOTATION } from '../EntityBromContent/isBromApplicationAvailable';

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

/**
 * The catalog entities that are the application: the Component it was registered with, or
 * else those carrying its annotation (the Component BROM's catalog module creates for it, or a
 * team's own). Empty while the catalog answers, when it has none, or without a catalog.
 */
function useCatalogEntityRefs(application: Application): string[] {
  const catalogApi = useApiHolder().get(catalogApiRef);
  const { value } = useAsync(async () => {
    if (application.entityRef || !catalogApi) return [];
    const { items } = await catalogApi.getEntities({
      filter: {
        kind: 'component',
        [`metadata.annotations.${BROM_APPLICATION_ANNOTATION}`]:
          application.name,
      },
      fields: ['kind', 'metadata.namespace', 'metadata.name'],
    });
    return items.map(entity => stringifyEntityRef(entity)).sort();
  }, [catalogApi, application.name, application.entityRef]);
  return application.entityRef ? [application.entityRef] : value ?? [];
}

/** Who owns the application and what it is; deleting it starts with removing it from the broker. */
export const ApplicationSummaryCard = ({
  application,
  onChange,
}: ApplicationSummaryCardProps) => {
  const api = useApi(bromApiRef);
  const catalogEntityRefs = useCatalogEntityRefs(application);
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
          'catalog component': catalogEntityRefs.length ? (
            <EntityRefLinks entityRefs={catalogEntityRefs} />
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

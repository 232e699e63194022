import { CatalogExport } from '@internal/plugin-brom-common';

/** Rows of BROM's catalog export for the module's tests. */
export function exportOf(
  parts: Pick<
    CatalogExport,
    'applications' | 'notificationTypes' | 'subscriptions'
  >,
  version = 1,
): CatalogExport {
  return {
    version,
    broker: { vhost: 'brom', prefix: 'brom.', amqpUrls: [] },
    ...parts,
  };
}

export const app = (name: string, entityRef: string | null) => ({
  name,
  title: name,
  description: '',
  owner: 'group:default/team-a',
  entityRef,
});

export const type = (application: string, name: string) => ({
  application,
  name,
  routingKeyPattern: `${name}.#`,
  description: '',
  payloadSchema: null,
  deprecation: null,
});

export const sub = (
  consumer: string,
  producer: string,
  notificationType: string,
) => ({
  consumer,
  producer,
  notificationType,
});

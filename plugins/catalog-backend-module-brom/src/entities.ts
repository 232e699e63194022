import { ApiEntity, ComponentEntity, Entity } from '@backstage/catalog-model';
import { CatalogExport } from '@internal/plugin-brom-common';
import { createHash } from 'node:crypto';

export const ANNOTATION_BROM_APPLICATION = 'brom.io/application';
export const ANNOTATION_BROM_NOTIFICATION_TYPE = 'brom.io/notification-type';
/** On a deprecated type's API: when its remaining subscriptions end. */
export const ANNOTATION_BROM_SUNSET = 'brom.io/sunset';
/** On a deprecated type's API: the entity ref of its successor's API. */
export const ANNOTATION_BROM_SUCCESSOR = 'brom.io/successor';

type Export = CatalogExport;
type ExportedType = Export['notificationTypes'][number];

/**
 * Catalog entity names are at most 63 characters; `<application>.<type>` can be 127.
 * Longer names are cut and made unique with a hash of the whole.
 */
export function apiEntityName(application: string, type: string): string {
  const full = `${application}.${type}`;
  if (full.length <= 63) return full;
  const hash = createHash('sha256').update(full).digest('hex').slice(0, 8);
  const head = full.slice(0, 63 - 9).replace(/[^a-z0-9]+$/, '');
  return `${head}-${hash}`;
}

/** AsyncAPI 3.0 document describing one notification type as an AMQP channel. */
export function asyncApiDocument(type: ExportedType, data: Export, title: string) {
  const exchange = `${data.broker.prefix}${type.application}`;
  const channelId = type.name;
  const messageId = `${type.name}Message`;
  const message: Record<string, unknown> = {
    name: type.name,
    title: type.name,
    summary: type.description || undefined,
    contentType: 'application/json',
    bindings: { amqp: { bindingVersion: '0.3.0' } },
  };
  if (type.payloadSchema) message.payload = type.payloadSchema;
  return {
    asyncapi: '3.0.0',
    info: {
      title: `${title}: ${type.name}`,
      version: '1.0.0',
      description:
        `${deprecationNotice(type)}${type.description}\n\nPublished by \`${type.application}\` to exchange \`${exchange}\` ` +
        `with routing keys matching \`${type.routingKeyPattern}\`. Subscribe through BROM; ` +
        'approved subscriptions are bound to your queue.',
    },
    defaultContentType: 'application/json',
    ...(data.broker.amqpUrls.length > 0
      ? {
          servers: Object.fromEntries(
            data.broker.amqpUrls.map((url, i, all) => [
              all.length === 1 ? 'broker' : `broker-${i + 1}`,
              { host: hostOf(url), protocol: 'amqp', pathname: `/${data.broker.vhost}` },
            ]),
          ),
        }
      : {}),
    channels: {
      [channelId]: {
        address: type.routingKeyPattern,
        description: `Routing-key pattern on exchange ${exchange}`,
        messages: { [messageId]: message },
        bindings: {
          amqp: {
            is: 'routingKey',
            exchange: {
              name: exchange,
              type: 'topic',
              durable: true,
              autoDelete: false,
              vhost: data.broker.vhost,
            },
            bindingVersion: '0.3.0',
          },
        },
      },
    },
    operations: {
      [`receive-${type.name}`]: {
        action: 'receive',
        channel: { $ref: `#/channels/${channelId}` },
        messages: [{ $ref: `#/channels/${channelId}/messages/${messageId}` }],
      },
    },
  };
}

function deprecationNotice(type: ExportedType): string {
  const deprecation = type.deprecation;
  if (!deprecation) return '';
  const successor = deprecation.successor
    ? `; its successor is \`${type.application}/${deprecation.successor}\``
    : '';
  return `**Deprecated**: subscriptions end on ${deprecation.sunsetAt}${successor}.\n\n`;
}

function hostOf(url: string) {
  try {
    const parsed = new URL(url);
    return parsed.port ? `${parsed.hostname}:${parsed.port}` : parsed.hostname;
  } catch {
    return url;
  }
}

/**
 * The entities for one export: an API per notification type and, for applications that
 * are not linked to a catalog Component, a Component carrying their relations. Linked
 * components get their relations from {@link BromRelationsProcessor} instead.
 */
export function entitiesFromExport(
  data: Export,
  options: {
    portalUrl: string;
    /** The catalog's base URL; default the portal's sibling `/catalog`. */
    catalogUrl?: string;
  },
): Entity[] {
  const catalogUrl = options.catalogUrl ?? `${options.portalUrl.replace(/\/brom$/, '')}/catalog`;
  const apps = new Map(data.applications.map(a => [a.name, a]));
  const apiRef = (t: { application: string; name: string }) =>
    `api:default/${apiEntityName(t.application, t.name)}`;
  const entities: Entity[] = [];

  for (const type of data.notificationTypes) {
    const app = apps.get(type.application);
    if (!app) continue;
    const deprecation = type.deprecation;
    const successorName = deprecation?.successor
      ? apiEntityName(type.application, deprecation.successor)
      : undefined;
    const api: ApiEntity = {
      apiVersion: 'backstage.io/v1alpha1',
      kind: 'API',
      metadata: {
        name: apiEntityName(type.application, type.name),
        title: `${app.title} – ${type.name}`,
        description: type.description,
        tags: deprecation
          ? ['notification', 'rabbitmq', 'deprecated']
          : ['notification', 'rabbitmq'],
        annotations: {
          [ANNOTATION_BROM_NOTIFICATION_TYPE]: `${type.application}/${type.name}`,
          [ANNOTATION_BROM_APPLICATION]: type.application,
          ...(deprecation ? { [ANNOTATION_BROM_SUNSET]: deprecation.sunsetAt } : {}),
          ...(successorName
            ? { [ANNOTATION_BROM_SUCCESSOR]: `api:default/${successorName}` }
            : {}),
        },
        links: [
          {
            url: `${options.portalUrl}/applications/${type.application}`,
            title: deprecation ? 'Manage in BROM' : 'Subscribe in BROM',
          },
          ...(successorName
            ? [
                {
                  url: `${catalogUrl}/default/api/${successorName}`,
                  title: `Successor: ${type.application}/${deprecation!.successor}`,
                },
              ]
            : []),
        ],
      },
      spec: {
        type: 'asyncapi',
        // Backstage's lifecycle vocabulary: experimental, production, deprecated.
        lifecycle: deprecation ? 'deprecated' : 'production',
        owner: app.owner,
        definition: JSON.stringify(asyncApiDocument(type, data, app.title), null, 2),
      },
    };
    entities.push(api);
  }

  // Grouped once, so that the components cost the size of the export, not applications ×
  // (types + subscriptions).
  const provided = groupBy(data.notificationTypes, t => t.application, apiRef);
  const consumed = groupBy(
    data.subscriptions,
    s => s.consumer,
    s => apiRef({ application: s.producer, name: s.notificationType }),
  );
  for (const app of data.applications) {
    if (app.entityRef) continue;
    const provides = provided.get(app.name) ?? [];
    const consumes = consumed.get(app.name) ?? [];
    const component: ComponentEntity = {
      apiVersion: 'backstage.io/v1alpha1',
      kind: 'Component',
      metadata: {
        name: app.name,
        title: app.title,
        description: app.description || undefined,
        annotations: { [ANNOTATION_BROM_APPLICATION]: app.name },
        links: [
          { url: `${options.portalUrl}/applications/${app.name}`, title: 'Manage in BROM' },
        ],
      },
      spec: {
        type: 'service',
        lifecycle: 'production',
        owner: app.owner,
        ...(provides.length ? { providesApis: provides } : {}),
        ...(consumes.length ? { consumesApis: consumes } : {}),
      },
    };
    entities.push(component);
  }
  return entities;
}

/** `value` of each item, grouped by `key`, in the items' order. */
export function groupBy<T, V>(
  items: readonly T[],
  key: (item: T) => string,
  value: (item: T) => V,
): Map<string, V[]> {
  const groups = new Map<string, V[]>();
  for (const item of items) {
    const group = groups.get(key(item));
    if (group) group.push(value(item));
    else groups.set(key(item), [value(item)]);
  }
  return groups;
}

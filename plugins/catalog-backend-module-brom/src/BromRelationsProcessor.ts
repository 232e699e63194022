import {
  Entity,
  RELATION_API_CONSUMED_BY,
  RELATION_API_PROVIDED_BY,
  RELATION_CONSUMES_API,
  RELATION_PROVIDES_API,
  stringifyEntityRef,
} from '@backstage/catalog-model';
import {
  CatalogProcessor,
  CatalogProcessorEmit,
  LocationSpec,
  processingResult,
} from '@backstage/plugin-catalog-node';
import { CatalogExport } from '@internal/plugin-brom-common';
import { ANNOTATION_BROM_APPLICATION, apiEntityName, groupBy } from './entities';

/**
 * Adds BROM's producer and consumer relations to catalog Components that BROM applications
 * are linked to (their entity ref), instead of emitting a duplicate Component. Consumer
 * relations come only from approved subscriptions: what was approved, not what a YAML says.
 */
export class BromRelationsProcessor implements CatalogProcessor {
  readonly #latest: () => CatalogExport | undefined;

  constructor(options: { latest: () => CatalogExport | undefined }) {
    this.#latest = options.latest;
  }

  getProcessorName(): string {
    return 'BromRelationsProcessor';
  }

  async postProcessEntity(
    entity: Entity,
    _location: LocationSpec,
    emit: CatalogProcessorEmit,
  ): Promise<Entity> {
    const data = this.#latest();
    if (!data || entity.kind.toLocaleLowerCase('en-US') !== 'component') return entity;
    const index = indexOf(data);
    const apps = index.linked.get(stringifyEntityRef(entity)) ?? [];
    if (apps.length === 0) return entity;
    const self = { kind: entity.kind, namespace: entity.metadata.namespace ?? 'default', name: entity.metadata.name };
    const api = (application: string, name: string) => ({
      kind: 'API',
      namespace: 'default',
      name: apiEntityName(application, name),
    });
    for (const app of apps) {
      for (const type of index.typesOf.get(app.name) ?? []) {
        const target = api(type.application, type.name);
        emit(processingResult.relation({ source: self, type: RELATION_PROVIDES_API, target }));
        emit(processingResult.relation({ source: target, type: RELATION_API_PROVIDED_BY, target: self }));
      }
      for (const sub of index.subscriptionsOf.get(app.name) ?? []) {
        const target = api(sub.producer, sub.notificationType);
        emit(processingResult.relation({ source: self, type: RELATION_CONSUMES_API, target }));
        emit(processingResult.relation({ source: target, type: RELATION_API_CONSUMED_BY, target: self }));
      }
    }
    // The frontend decides synchronously whether to show the BROM tab, from this annotation.
    return {
      ...entity,
      metadata: {
        ...entity.metadata,
        annotations: {
          ...entity.metadata.annotations,
          [ANNOTATION_BROM_APPLICATION]: apps[0].name,
        },
      },
    };
  }
}

/** One export's applications by linked entity ref, and its types and subscriptions by application. */
interface ExportIndex {
  linked: Map<string, CatalogExport['applications']>;
  typesOf: Map<string, CatalogExport['notificationTypes']>;
  subscriptionsOf: Map<string, CatalogExport['subscriptions']>;
}

/**
 * The catalog processes every Component again and again (each linked one, and every one on its
 * processing interval): looking each up by scanning the export would cost the number of
 * applications per entity, tens of thousands of string comparisons each at 10x the benchmark's
 * scale. The export is replaced, never changed in place, so each is indexed once.
 */
const indexes = new WeakMap<CatalogExport, ExportIndex>();

function indexOf(data: CatalogExport): ExportIndex {
  let index = indexes.get(data);
  if (index) return index;
  const same = <T>(item: T) => item;
  index = {
    linked: groupBy(
      data.applications.filter(app => app.entityRef),
      app => app.entityRef!.toLocaleLowerCase('en-US'),
      same,
    ),
    typesOf: groupBy(data.notificationTypes, type => type.application, same),
    subscriptionsOf: groupBy(data.subscriptions, sub => sub.consumer, same),
  };
  indexes.set(data, index);
  return index;
}

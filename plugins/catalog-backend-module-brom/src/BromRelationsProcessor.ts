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
import { CatalogIndex } from './CatalogIndex';
import { ANNOTATION_BROM_APPLICATION, apiEntityName } from './entities';

/**
 * Adds BROM's producer and consumer relations to catalog Components that BROM applications
 * are linked to (their entity ref), instead of emitting a duplicate Component. Consumer
 * relations come only from approved subscriptions: what was approved, not what a YAML says.
 */
export class BromRelationsProcessor implements CatalogProcessor {
  readonly #latest: () => CatalogIndex | undefined;

  constructor(options: { latest: () => CatalogIndex | undefined }) {
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
    const index = this.#latest();
    if (!index || entity.kind.toLocaleLowerCase('en-US') !== 'component') return entity;
    const apps = index.linkedTo(stringifyEntityRef(entity));
    if (apps.length === 0) return entity;
    const self = { kind: entity.kind, namespace: entity.metadata.namespace ?? 'default', name: entity.metadata.name };
    const api = (application: string, name: string) => ({
      kind: 'API',
      namespace: 'default',
      name: apiEntityName(application, name),
    });
    for (const app of apps) {
      for (const type of index.typesOf(app.name)) {
        const target = api(type.application, type.name);
        emit(processingResult.relation({ source: self, type: RELATION_PROVIDES_API, target }));
        emit(processingResult.relation({ source: target, type: RELATION_API_PROVIDED_BY, target: self }));
      }
      for (const sub of index.subscriptionsOf(app.name)) {
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

/**
 * Catalog module for BROM: notification types as API entities with AsyncAPI definitions,
 * and producer/consumer relations.
 *
 * @packageDocumentation
 */
export { catalogModuleBrom as default } from './module';
export { BromEntityProvider } from './BromEntityProvider';
export { BromRelationsProcessor } from './BromRelationsProcessor';
export { CatalogIndex } from './CatalogIndex';
export { apiEntityName, asyncApiDocument, entitiesFromExport } from './entities';

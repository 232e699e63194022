import { Entity } from '@backstage/catalog-model';

/** Names the BROM application a catalog entity is, e.g. `brom.io/application: orders`. */
export const BROM_APPLICATION_ANNOTATION = 'brom.io/application';

/**
 * True for Component entities that say which BROM application they are. Components that BROM
 * creates for unlinked applications carry the annotation; a team's own Component can add it
 * to its catalog-info.yaml.
 */
export function isBromApplicationAvailable(entity: Entity): boolean {
  return (
    entity.kind.toLocaleLowerCase('en-US') === 'component' &&
    Boolean(entity.metadata.annotations?.[BROM_APPLICATION_ANNOTATION])
  );
}

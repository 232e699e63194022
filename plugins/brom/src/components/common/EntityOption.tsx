import { useEntityPresentation } from '@backstage/plugin-catalog-react';

/**
 * A native select's option for an entity, labelled with the name the catalog shows
 * ("Payments") while its value stays the reference the backend expects.
 */
export const EntityOption = ({ entityRef }: { entityRef: string }) => {
  const { primaryTitle } = useEntityPresentation(entityRef);
  return <option value={entityRef}>{primaryTitle}</option>;
};

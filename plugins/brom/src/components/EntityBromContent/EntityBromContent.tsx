import { stringifyEntityRef } from '@backstage/catalog-model';
import { EmptyState, Progress } from '@backstage/core-components';
import { useApi } from '@backstage/core-plugin-api';
import { useEntity } from '@backstage/plugin-catalog-react';
import useAsyncRetry from 'react-use/esm/useAsyncRetry';
import { bromApiRef } from '../../api/BromApi';
import { ApplicationView } from '../ApplicationView';
import { LoadError } from '../common/LoadError';
import { BROM_APPLICATION_ANNOTATION } from './isBromApplicationAvailable';

/**
 * The BROM application of the current catalog entity: named by its `brom.io/application`
 * annotation, or the application whose catalog component is this entity.
 */
export const EntityBromContent = () => {
  const { entity } = useEntity();
  const api = useApi(bromApiRef);
  const entityRef = stringifyEntityRef(entity);
  const annotated = entity.metadata.annotations?.[BROM_APPLICATION_ANNOTATION];
  const {
    value: name,
    loading,
    error,
    retry,
  } = useAsyncRetry(async () => {
    if (annotated) return annotated;
    const applications = await api.listApplications({ entityRef, limit: 1 });
    return applications.items[0]?.name;
  }, [api, annotated, entityRef]);

  if (loading) return <Progress />;
  if (error) {
    return (
      <LoadError error={error} what="the BROM applications" onRetry={retry} />
    );
  }
  if (!name) {
    return (
      <EmptyState
        missing="info"
        title="Not a BROM application"
        description={`Register an application in BROM with catalog component ${entityRef}, or add the annotation ${BROM_APPLICATION_ANNOTATION} with the application's name to this entity.`}
      />
    );
  }
  return <ApplicationView name={name} />;
};

import { Link } from '@backstage/core-components';
import { useRouteRef } from '@backstage/core-plugin-api';
import { applicationRouteRef } from '../../routes';

/** A link to an application's page in the portal. */
export const ApplicationLink = ({ name }: { name: string }) => {
  const applicationLink = useRouteRef(applicationRouteRef);
  return <Link to={applicationLink({ name })}>{name}</Link>;
};

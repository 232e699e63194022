import { Link } from '@backstage/core-components';
import { useRouteRef } from '@backstage/core-plugin-api';
import { ReactNode } from 'react';
import { applicationRouteRef } from '../../routes';

/** A link to an application's page in the portal, labelled with its name unless given words. */
export const ApplicationLink = ({
  name,
  children,
}: {
  name: string;
  children?: ReactNode;
}) => {
  const applicationLink = useRouteRef(applicationRouteRef);
  return <Link to={applicationLink({ name })}>{children ?? name}</Link>;
};

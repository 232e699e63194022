import { Content, Header, Page } from '@backstage/core-components';
import { useRouteRef } from '@backstage/core-plugin-api';
import { useParams } from 'react-router-dom';
import { rootRouteRef } from '../../routes';
import { ApplicationView } from './ApplicationView';

/** The portal page of one application, at `/brom/applications/:name`. */
export const ApplicationPage = () => {
  const { name = '' } = useParams();
  const rootLink = useRouteRef(rootRouteRef);
  return (
    <Page themeId="tool">
      <Header title={name} type="Messaging" typeLink={rootLink()} />
      <Content>
        <ApplicationView name={name} />
      </Content>
    </Page>
  );
};

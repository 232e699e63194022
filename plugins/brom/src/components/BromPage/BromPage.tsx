import {
  Content,
  ContentHeader,
  Header,
  Page,
  SupportButton,
} from '@backstage/core-components';
import { ProducerCatalogue } from '../ProducerCatalogue';

export const BromPage = () => (
  <Page themeId="tool">
    <Header
      title="Notifications"
      subtitle="Publish and subscribe to notifications between applications"
    />
    <Content>
      <ContentHeader title="Producer catalogue">
        <SupportButton>
          Producers publish notification types; consumers ask to subscribe and the
          producer's owners approve.
        </SupportButton>
      </ContentHeader>
      <ProducerCatalogue />
    </Content>
  </Page>
);

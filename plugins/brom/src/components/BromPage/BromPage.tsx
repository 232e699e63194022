import {
  Content,
  Header,
  Page,
  SupportButton,
  TabbedLayout,
} from '@backstage/core-components';
import { useApi } from '@backstage/core-plugin-api';
import { usePermission } from '@backstage/plugin-permission-react';
import { bromBrokerReadUnmanagedPermission } from '@internal/plugin-brom-common';
import { makeStyles } from '@material-ui/core/styles';
import { Route, Routes } from 'react-router-dom';
import useAsyncRetry from 'react-use/esm/useAsyncRetry';
import { bromApiRef } from '../../api/BromApi';
import { ApplicationPage } from '../ApplicationView';
import { ApprovalsInbox } from '../ApprovalsInbox';
import { ConsumerCatalogue } from '../ConsumerCatalogue';
import { MyApplications } from '../MyApplications';
import { ProducerCatalogue } from '../ProducerCatalogue';
import { UnmanagedObjectsCard } from '../UnmanagedObjects';
import { useBromSignal } from '../common/useBromSignal';

/** "Approvals (3)" once the inbox is counted. */
function useApprovalsLabel() {
  const api = useApi(bromApiRef);
  const { value, retry } = useAsyncRetry(
    () => api.listApprovals({ limit: 1 }),
    [api],
  );
  useBromSignal(retry, { kind: 'change', typePrefix: 'subscription.' });
  return {
    label: value ? `Approvals (${value.totalCount})` : 'Approvals',
    refresh: retry,
  };
}

const useStyles = makeStyles(theme => ({
  // Four tabs fit beside the pinned sidebar in an 800 px window: Material UI's 160 px
  // minimum per tab would push "Approvals" behind a scroll arrow.
  tabs: {
    '& [role="tab"]': { minWidth: 0, padding: theme.spacing(2, 1) },
  },
}));

const BromHome = () => {
  const classes = useStyles();
  const approvals = useApprovalsLabel();
  // Administrators only: others would meet a 403 there.
  const unmanaged = usePermission({
    permission: bromBrokerReadUnmanagedPermission,
  });
  return (
    <Page themeId="tool">
      <Header
        title="Messaging"
        subtitle="Publish notification types and subscribe to them between applications"
      >
        <SupportButton>
          Producers declare notification types; consumers ask to subscribe and
          the producer's owners approve. BROM then creates the queues and
          bindings on RabbitMQ.
        </SupportButton>
      </Header>
      <Content className={classes.tabs}>
        <TabbedLayout>
          <TabbedLayout.Route path="/" title="Producers">
            <ProducerCatalogue />
          </TabbedLayout.Route>
          <TabbedLayout.Route path="/consumers" title="Consumers">
            <ConsumerCatalogue />
          </TabbedLayout.Route>
          <TabbedLayout.Route path="/mine" title="My applications">
            <MyApplications />
          </TabbedLayout.Route>
          <TabbedLayout.Route path="/approvals" title={approvals.label}>
            <ApprovalsInbox onDecided={approvals.refresh} />
          </TabbedLayout.Route>
          {unmanaged.allowed && (
            <TabbedLayout.Route path="/unmanaged" title="Broker">
              <UnmanagedObjectsCard />
            </TabbedLayout.Route>
          )}
        </TabbedLayout>
      </Content>
    </Page>
  );
};

/** The BROM portal: catalogues, my applications and approvals, and one page per application. */
export const BromPage = () => (
  <Routes>
    <Route path="/applications/:name" element={<ApplicationPage />} />
    <Route path="/*" element={<BromHome />} />
  </Routes>
);

import { Navigate, Route } from 'react-router-dom';
import { apiDocsPlugin, ApiExplorerPage } from '@backstage/plugin-api-docs';
import {
  CatalogEntityPage,
  CatalogIndexPage,
  catalogPlugin,
} from '@backstage/plugin-catalog';
import { orgPlugin } from '@backstage/plugin-org';
import {
  SettingsLayout,
  UserSettingsPage,
} from '@backstage/plugin-user-settings';
import {
  NotificationsPage,
  UserNotificationSettingsCard,
} from '@backstage/plugin-notifications';
import { SignalsDisplay } from '@backstage/plugin-signals';
import { CatalogGraphPage } from '@backstage/plugin-catalog-graph';
import {
  AlertDisplay,
  OAuthRequestDialog,
  SignInPage,
} from '@backstage/core-components';
import { configApiRef, SignInPageProps, useApi } from '@backstage/core-plugin-api';
import { createApp } from '@backstage/app-defaults';
import CssBaseline from '@material-ui/core/CssBaseline';
import { AppRouter, FlatRoutes } from '@backstage/core-app-api';
import { BromPage } from '@internal/plugin-brom';
import { apis, feideAuthApiRef } from './apis';
import { entityPage } from './components/catalog/EntityPage';
import { Root } from './components/Root';
import { DevelopmentSignInPage } from './components/SignIn/DevelopmentSignInPage';

const app = createApp({
  apis,
  bindRoutes({ bind }) {
    bind(orgPlugin.externalRoutes, {
      catalogIndex: catalogPlugin.routes.catalogIndex,
    });
    bind(apiDocsPlugin.externalRoutes, {});
  },
  components: {
    SignInPage: BromSignInPage,
  },
});

/** Feide in production; in development, a choice of example users (and Feide if configured). */
function BromSignInPage(props: SignInPageProps) {
  const config = useApi(configApiRef);
  if (config.getOptionalString('auth.environment') === 'production') {
    return (
      <SignInPage
        {...props}
        providers={[
          {
            id: 'feide',
            title: 'Feide',
            message: 'Sign in with your Feide account',
            apiRef: feideAuthApiRef,
          },
        ]}
      />
    );
  }
  return <DevelopmentSignInPage {...props} />;
}

const routes = (
  <FlatRoutes>
    <Route path="/" element={<Navigate to="brom" />} />
    <Route path="/catalog" element={<CatalogIndexPage />} />
    <Route
      path="/catalog/:namespace/:kind/:name"
      element={<CatalogEntityPage />}
    >
      {entityPage}
    </Route>
    <Route path="/api-docs" element={<ApiExplorerPage />} />
    <Route path="/brom" element={<BromPage />} />
    <Route path="/notifications" element={<NotificationsPage />} />
    <Route path="/settings" element={<UserSettingsPage />}>
      <SettingsLayout.Route path="/notifications" title="Notifications">
        <UserNotificationSettingsCard originNames={{ 'plugin:brom': 'BROM' }} />
      </SettingsLayout.Route>
    </Route>
    <Route path="/catalog-graph" element={<CatalogGraphPage />} />
  </FlatRoutes>
);

// The theme provider no longer brings Material UI's baseline: without it the body keeps
// the browser's 8 px margin and boxes size content-box, so the sidebar's padding is added
// to a full-width page and every page scrolls sideways.
export default app.createRoot(
  <>
    <CssBaseline />
    <AlertDisplay />
    <OAuthRequestDialog />
    <SignalsDisplay />
    <AppRouter>
      <Root>{routes}</Root>
    </AppRouter>
  </>,
);

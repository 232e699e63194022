import {
  coreServices,
  createBackendModule,
} from '@backstage/backend-plugin-api';
import { Config } from '@backstage/config';
import { oidcAuthenticator } from '@backstage/plugin-auth-backend-module-oidc-provider';
import {
  authProvidersExtensionPoint,
  createOAuthRouteHandlers,
  OAuthEnvironmentHandler,
} from '@backstage/plugin-auth-node';
import { BromMembershipsClient } from './BromMembershipsClient';
import {
  createFeideSignInResolver,
  feideProfileTransform,
} from './feideSignIn';
import { FeideGroupsClient } from './FeideGroupsClient';

/** Feide's groups API in production. */
export const FEIDE_GROUPS_API_BASE_URL = 'https://groups-api.dataporten.no';

const FEIDE_REQUEST_TIMEOUT_MS = 10_000;
const BROM_REQUEST_TIMEOUT_MS = 10_000;

/** BROM's own settings in an `auth.providers.feide.<environment>` block. */
export interface FeideEnvironmentSettings {
  groupsApiBaseUrl: string;
}

export function readFeideEnvironmentSettings(
  envConfig: Config,
): FeideEnvironmentSettings {
  return {
    groupsApiBaseUrl:
      envConfig.getOptionalString('groupsApiBaseUrl') ??
      FEIDE_GROUPS_API_BASE_URL,
  };
}

/**
 * Sign-in with Feide (OpenID Connect) as the `feide` provider, with ownership from the
 * user's Feide groups. The OIDC part is Backstage's `oidcAuthenticator`; each environment
 * block (`auth.providers.feide.<env>`) takes its options (`metadataUrl`, `clientId`,
 * `clientSecret`, `prompt`, `additionalScopes`, …) plus `groupsApiBaseUrl`.
 *
 * The route handlers are built per environment, rather than through
 * `createOAuthProviderFactory`, because that factory shares one sign-in resolver between
 * environments, and each environment may use its own groups API.
 */
export const authModuleFeideProvider = createBackendModule({
  pluginId: 'auth',
  moduleId: 'feide-provider',
  register(reg) {
    reg.registerInit({
      deps: {
        providers: authProvidersExtensionPoint,
        auth: coreServices.auth,
        discovery: coreServices.discovery,
        logger: coreServices.logger,
      },
      async init({ providers, auth, discovery, logger }) {
        const memberships = BromMembershipsClient.create({
          discovery,
          auth,
          timeoutMs: BROM_REQUEST_TIMEOUT_MS,
        });
        providers.registerProvider({
          providerId: 'feide',
          factory: ctx =>
            OAuthEnvironmentHandler.mapConfig(ctx.config, envConfig => {
              const settings = readFeideEnvironmentSettings(envConfig);
              return createOAuthRouteHandlers({
                authenticator: oidcAuthenticator,
                appUrl: ctx.appUrl,
                baseUrl: ctx.baseUrl,
                config: envConfig,
                isOriginAllowed: ctx.isOriginAllowed,
                cookieConfigurer: ctx.cookieConfigurer,
                providerId: ctx.providerId,
                resolverContext: ctx.resolverContext,
                profileTransform: feideProfileTransform,
                signInResolver: createFeideSignInResolver({
                  groups: FeideGroupsClient.create({
                    baseUrl: settings.groupsApiBaseUrl,
                    timeoutMs: FEIDE_REQUEST_TIMEOUT_MS,
                  }),
                  memberships,
                  logger: logger.child({ provider: 'feide' }),
                }),
              });
            }),
        });
      },
    });
  },
});

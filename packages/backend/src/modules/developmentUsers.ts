import { createBackendModule } from '@backstage/backend-plugin-api';
import { NotAllowedError } from '@backstage/errors';
import {
  authProvidersExtensionPoint,
  createProxyAuthenticator,
  createProxyAuthProviderFactory,
} from '@backstage/plugin-auth-node';

/** Header naming the development user to sign in as. */
export const DEVELOPMENT_USER_HEADER = 'x-brom-development-user';

/**
 * Lets one person try BROM's approval flow as members of different teams: sign in as any
 * user listed in `auth.providers.development.users`. Refuses to work outside the
 * development auth environment, like Backstage's guest provider.
 */
const developmentUserAuthenticator = createProxyAuthenticator({
  defaultProfileTransform: async (result: { userEntityRef: string }) => ({
    profile: { displayName: result.userEntityRef },
  }),
  initialize({ config }) {
    const users = new Map(
      (config.getOptionalConfigArray('users') ?? []).map(user => [
        user.getString('id'),
        user.getString('userEntityRef'),
      ]),
    );
    return { users };
  },
  async authenticate({ req }, { users }) {
    const id = req.header(DEVELOPMENT_USER_HEADER);
    const userEntityRef = id ? users.get(id) : undefined;
    if (!userEntityRef) {
      throw new NotAllowedError(
        `Choose one of the development users: ${[...users.keys()].join(', ')}`,
      );
    }
    return { result: { userEntityRef } };
  },
});

export const authModuleDevelopmentUsers = createBackendModule({
  pluginId: 'auth',
  moduleId: 'development-users',
  register(reg) {
    reg.registerInit({
      deps: { providers: authProvidersExtensionPoint },
      async init({ providers }) {
        providers.registerProvider({
          providerId: 'development',
          factory: createProxyAuthProviderFactory({
            authenticator: developmentUserAuthenticator,
            async signInResolver({ result }, ctx) {
              if (process.env.NODE_ENV === 'production') {
                throw new NotAllowedError('Development users are not available in production');
              }
              return ctx.signInWithCatalogUser({ entityRef: result.userEntityRef });
            },
          }),
        });
      },
    });
  },
});

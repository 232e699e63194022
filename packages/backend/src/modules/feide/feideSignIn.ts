import { LoggerService } from '@backstage/backend-plugin-api';
import {
  AuthenticationError,
  ServiceUnavailableError,
} from '@backstage/errors';
import { OidcAuthResult } from '@backstage/plugin-auth-backend-module-oidc-provider';
import {
  OAuthAuthenticatorResult,
  ProfileTransform,
  SignInResolver,
} from '@backstage/plugin-auth-node';
import { BromMembershipsClient } from './BromMembershipsClient';
import { feideGroupEntityRef, feideUserEntityRef } from './entityNames';
import { FeideGroupsClient } from './FeideGroupsClient';

export type FeideAuthResult = OAuthAuthenticatorResult<OidcAuthResult>;

/**
 * The profile shown in the app. Feide asserts the e-mail address of the user's home
 * organisation without an `email_verified` claim, which the generic OIDC transform
 * insists on, so it is taken as given.
 */
export const feideProfileTransform: ProfileTransform<
  FeideAuthResult
> = async result => {
  const { userinfo } = result.fullProfile;
  return {
    profile: {
      displayName:
        typeof userinfo.name === 'string' ? userinfo.name : userinfo.sub,
      ...(typeof userinfo.email === 'string' ? { email: userinfo.email } : {}),
      ...(typeof userinfo.picture === 'string'
        ? { picture: userinfo.picture }
        : {}),
    },
  };
};

/**
 * Signs a Feide user in with ownership taken from Feide, never from the catalog: on
 * every sign-in and session refresh it asks Feide's groups API (with the user's own
 * access token) which groups the user is in, records them in BROM (which creates the user
 * on first sign-in and publishes users and groups to the catalog), and issues a token
 * whose ownership claims are the user and those groups. Leaving a group in Feide
 * therefore takes effect at the next sign-in.
 */
export function createFeideSignInResolver(options: {
  groups: FeideGroupsClient;
  memberships: BromMembershipsClient;
  logger: LoggerService;
}): SignInResolver<FeideAuthResult> {
  const { groups, memberships, logger } = options;
  return async ({ profile, result }, ctx) => {
    const sub = result.fullProfile.userinfo.sub;
    if (!sub) {
      throw new AuthenticationError(
        'Feide did not identify the user (no sub claim)',
      );
    }
    const userEntityRef = feideUserEntityRef(sub);

    const feideGroups = await groups
      .listMyGroups(result.session.accessToken)
      .catch(error => {
        throw new ServiceUnavailableError(
          'Could not read your groups from Feide',
          error,
        );
      });
    const byRef = new Map<string, string>();
    for (const group of feideGroups) {
      byRef.set(feideGroupEntityRef(group.id), group.displayName);
    }
    const groupRefs = [...byRef.keys()].sort();

    await memberships
      .replaceMemberships(userEntityRef, {
        displayName: profile.displayName ?? sub,
        ...(profile.email ? { email: profile.email } : {}),
        groups: groupRefs.map(ref => ({ ref, displayName: byRef.get(ref)! })),
      })
      .catch(error => {
        throw new ServiceUnavailableError(
          'Could not record your group memberships in BROM',
          error,
        );
      });

    logger.info(
      `Signed in ${userEntityRef} as a member of ${groupRefs.length} Feide groups`,
      {
        userEntityRef,
      },
    );
    return ctx.issueToken({
      claims: { sub: userEntityRef, ent: [userEntityRef, ...groupRefs] },
    });
  };
}

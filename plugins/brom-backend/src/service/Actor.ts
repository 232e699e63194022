import {
  BackstageCredentials,
  BackstageUserPrincipal,
} from '@backstage/backend-plugin-api';

/** The signed-in user a request acts for. */
export interface Actor {
  credentials: BackstageCredentials<BackstageUserPrincipal>;
  userEntityRef: string;
  /** The user's ownership claims from sign-in: their own ref and their groups. */
  ownershipEntityRefs: string[];
}

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
  /** Member of a group named in `brom.admins`. */
  isAdmin: boolean;
}

export function actsFor(actor: Actor, owner: string): boolean {
  return actor.isAdmin || actor.ownershipEntityRefs.includes(owner);
}

import {
  BackstageCredentials,
  BackstageUserPrincipal,
} from '@backstage/backend-plugin-api';
import { Viewer } from '../store/visibility';

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

/** The actor as a reader of things whose visibility depends on who asks. */
export function viewerOf(actor: Actor): Viewer {
  return { claims: actor.ownershipEntityRefs, isAdmin: actor.isAdmin };
}

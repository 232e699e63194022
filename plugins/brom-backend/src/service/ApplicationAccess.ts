import { PermissionsService } from '@backstage/backend-plugin-api';
import {
  ConflictError,
  NotAllowedError,
  NotFoundError,
} from '@backstage/errors';
import {
  AuthorizeResult,
  BasicPermission,
  ResourcePermission,
} from '@backstage/plugin-permission-common';
import {
  Application,
  bromApplicationAnyOwnerPermission,
  bromApplicationDeletePermission,
  bromForceDeletePermission,
  bromNotificationTypeReadAllPermission,
} from '@internal/plugin-brom-common';
import { ApplicationStore } from '../store/ApplicationStore';
import { Viewer } from '../store/visibility';
import { Actor } from './Actor';

/**
 * Permission checks on applications, shared by the services. A check runs outside the
 * write transaction (the permission framework may call back into this plugin); the write
 * then re-reads the application and refuses if its owner changed in between.
 */
export class ApplicationAccess {
  readonly #permissions: PermissionsService;
  readonly #applications: ApplicationStore;

  private constructor(options: {
    permissions: PermissionsService;
    applications: ApplicationStore;
  }) {
    this.#permissions = options.permissions;
    this.#applications = options.applications;
  }

  static create(options: {
    permissions: PermissionsService;
    applications: ApplicationStore;
  }): ApplicationAccess {
    return new ApplicationAccess(options);
  }

  async isAllowed(
    actor: Actor,
    permission: ResourcePermission<'brom-application'>,
    resourceRef: string,
  ): Promise<boolean> {
    const [decision] = await this.#permissions.authorize(
      [{ permission, resourceRef }],
      { credentials: actor.credentials },
    );
    return decision.result === AuthorizeResult.ALLOW;
  }

  /** Whether a permission on no particular application (e.g. an administration right) is granted. */
  async isGranted(actor: Actor, permission: BasicPermission): Promise<boolean> {
    const [decision] = await this.#permissions.authorize([{ permission }], {
      credentials: actor.credentials,
    });
    return decision.result === AuthorizeResult.ALLOW;
  }

  async authorize(
    actor: Actor,
    permission: BasicPermission,
    deniedMessage = `You are not allowed to ${permission.name}`,
  ) {
    if (!(await this.isGranted(actor, permission))) {
      throw new NotAllowedError(deniedMessage);
    }
  }

  /**
   * Checks the permission to delete `name` (an application, or one of its notification
   * types) and, when the deletion is forced (revoking live subscriptions), the force-delete
   * right; returns the application.
   */
  async authorizeDeletion(
    actor: Actor,
    permission: ResourcePermission<'brom-application'>,
    name: string,
    force: boolean,
  ): Promise<Application> {
    const application = await this.authorizeOn(actor, permission, name);
    if (force) {
      await this.authorize(
        actor,
        bromForceDeletePermission,
        'Only BROM administrators can force a deletion',
      );
    }
    return application;
  }

  /** The actor as a reader of things whose visibility depends on who asks. */
  async viewerOf(actor: Actor): Promise<Viewer> {
    return {
      claims: actor.ownershipEntityRefs,
      isAdmin: await this.isGranted(
        actor,
        bromNotificationTypeReadAllPermission,
      ),
    };
  }

  /** Whether the actor may make `owner` an application's owner: their own group, or any with the right. */
  async actsFor(actor: Actor, owner: string): Promise<boolean> {
    return (
      actor.ownershipEntityRefs.includes(owner) ||
      this.isGranted(actor, bromApplicationAnyOwnerPermission)
    );
  }

  /**
   * Checks a permission on an application and returns the application it was checked
   * against. A missing application is a 404 before any permission is asked.
   */
  async authorizeOn(
    actor: Actor,
    permission: ResourcePermission<'brom-application'>,
    name: string,
    options: { includeDeleted?: boolean } = {},
  ): Promise<Application> {
    const application = await getApplication(this.#applications, name);
    if (
      application.deletedAt &&
      !options.includeDeleted &&
      permission !== bromApplicationDeletePermission
    ) {
      throw applicationBeingDeleted(name);
    }
    if (!(await this.isAllowed(actor, permission, name))) {
      throw new NotAllowedError(
        `Only members of ${application.owner} (the owner of "${name}") or BROM administrators can do this`,
      );
    }
    return application;
  }
}

export async function getApplication(
  applications: ApplicationStore,
  name: string,
): Promise<Application> {
  const application = await applications.findByName(name);
  if (!application)
    throw new NotFoundError(`Application "${name}" does not exist`);
  return application;
}

/** Re-reads, in the write transaction, an application a permission was checked on. */
export async function applicationForWrite(
  applications: ApplicationStore,
  name: string,
  seen: Application,
  options: { live: boolean } = { live: true },
): Promise<Application> {
  const application = await getApplication(applications, name);
  if (options.live && application.deletedAt)
    throw applicationBeingDeleted(name);
  if (application.owner !== seen.owner) {
    throw new ConflictError(
      `The owner of "${name}" changed while your request was checked; reload and try again`,
    );
  }
  return application;
}

export function applicationBeingDeleted(name: string) {
  return new ConflictError(`Application "${name}" is being deleted`);
}

export function typeBeingDeleted(application: string, name: string) {
  return new ConflictError(
    `Notification type "${application}/${name}" is being deleted`,
  );
}

import { ConflictError, InputError, NotFoundError } from '@backstage/errors';
import {
  Application,
  bromApplicationUpdatePermission,
  CreateNotificationTypeRequest,
  CreateNotificationTypeVersionRequest,
  DeprecateNotificationTypeRequest,
  NotificationType,
  Page,
  routingKeyPatternsOverlap,
  UpdateNotificationTypeRequest,
} from '@internal/plugin-brom-common';
import { randomUUID } from 'node:crypto';
import { BromRepositories, BromUnitOfWork } from '../store/BromRepositories';
import { NotificationTypeListQuery } from '../store/NotificationTypeStore';
import { Actor } from './Actor';
import {
  ApplicationAccess,
  applicationForWrite,
  getApplication,
  typeBeingDeleted,
} from './ApplicationAccess';
import { recordChange } from './recordChange';
import { assertGeneration, nextGeneration } from './concurrency';
import { assertValidPayloadSchema } from './payloadSchema';
import { softDelete } from './softDelete';
import { SubscriptionService } from './SubscriptionService';

export interface NotificationTypeServiceOptions {
  work: BromUnitOfWork;
  access: ApplicationAccess;
  subscriptions: SubscriptionService;
  clock: () => Date;
  /** The least a sunset may lie ahead when a type is deprecated (`brom.lifecycle.minimumSunsetDays`). */
  minimumSunsetDays?: number;
}

/** Who ends subscriptions at a sunset, in the audit and the events. */
export const LIFECYCLE_ACTOR = { userEntityRef: 'brom:lifecycle' } as const;

const DAY_MS = 24 * 3600 * 1000;

/** A new version of a type, and the type it replaces (now deprecated). */
export interface NotificationTypeVersion {
  notificationType: NotificationType;
  predecessor: NotificationType;
}

/** Producers declare the notification types they publish, each with its routing keys. */
export class NotificationTypeService {
  readonly #work: BromUnitOfWork;
  readonly #access: ApplicationAccess;
  readonly #subscriptions: SubscriptionService;
  readonly #clock: () => Date;
  readonly #minimumSunsetDays: number;

  private constructor(options: NotificationTypeServiceOptions) {
    this.#work = options.work;
    this.#access = options.access;
    this.#subscriptions = options.subscriptions;
    this.#clock = options.clock;
    this.#minimumSunsetDays = options.minimumSunsetDays ?? 30;
  }

  static create(
    options: NotificationTypeServiceOptions,
  ): NotificationTypeService {
    return new NotificationTypeService(options);
  }

  /** Types the actor may see: public ones, and private ones of their own applications. */
  async listNotificationTypes(
    actor: Actor,
    query: Omit<NotificationTypeListQuery, 'viewer'>,
  ): Promise<Page<NotificationType>> {
    return this.#work.repositories.notificationTypes.list({
      ...query,
      viewer: await this.#access.viewerOf(actor),
    });
  }

  /** A type hidden from the actor answers as one that does not exist. */
  async getNotificationType(
    actor: Actor,
    application: string,
    name: string,
  ): Promise<NotificationType> {
    const { repositories } = this.#work;
    const app = await getApplication(repositories.applications, application);
    const type = await repositories.notificationTypes.findVisible(
      app,
      name,
      await this.#access.viewerOf(actor),
    );
    if (!type) throw typeNotFound(application, name);
    return type;
  }

  async createNotificationType(
    actor: Actor,
    application: string,
    request: CreateNotificationTypeRequest,
  ): Promise<NotificationType> {
    assertValidPayloadSchema(request.payloadSchema);
    const seen = await this.#access.authorizeOn(
      actor,
      bromApplicationUpdatePermission,
      application,
    );
    return this.#work.write(async repositories => {
      const app = await applicationForWrite(
        repositories.applications,
        application,
        seen,
      );
      const siblings = await repositories.notificationTypes.listOf(app);
      const sameName = siblings.find(s => s.name === request.name);
      if (sameName) {
        throw new ConflictError(
          sameName.deletedAt
            ? `Notification type "${request.name}" of "${application}" is being deleted; choose another name or wait until it is gone`
            : `Notification type "${request.name}" already exists in "${application}"`,
        );
      }
      assertNoOverlap(request.routingKeyPattern, siblings);
      const now = this.#now();
      const type: NotificationType = {
        id: randomUUID(),
        application: app.name,
        name: request.name,
        routingKeyPattern: request.routingKeyPattern,
        description: request.description,
        payloadSchema: request.payloadSchema ?? null,
        visibility: request.visibility ?? 'public',
        requiresApproval: request.requiresApproval ?? true,
        deprecation: null,
        generation: 1,
        createdAt: now,
        updatedAt: now,
        deletedAt: null,
      };
      await repositories.notificationTypes.insert(type, {
        applicationId: app.id,
      });
      await this.#recordChange(
        repositories,
        actor,
        app,
        'notification-type.created',
        {
          after: type,
          event: { type: 'notificationType.declared' },
        },
      );
      return type;
    });
  }

  async updateNotificationType(
    actor: Actor,
    application: string,
    name: string,
    request: UpdateNotificationTypeRequest,
  ): Promise<NotificationType> {
    assertValidPayloadSchema(request.payloadSchema);
    return this.#writeType(
      actor,
      application,
      name,
      request.generation,
      async (repositories, app, before) => {
        if (
          request.routingKeyPattern &&
          request.routingKeyPattern !== before.routingKeyPattern
        ) {
          const siblings = await repositories.notificationTypes.listOf(app);
          assertNoOverlap(
            request.routingKeyPattern,
            siblings.filter(s => s.id !== before.id),
          );
        }
        await assertSubscribersUnaffected(repositories, before, request);
        const after = nextGeneration(before, this.#now(), {
          routingKeyPattern:
            request.routingKeyPattern ?? before.routingKeyPattern,
          description: request.description ?? before.description,
          payloadSchema:
            request.payloadSchema === undefined
              ? before.payloadSchema
              : request.payloadSchema,
          visibility: request.visibility ?? before.visibility,
          requiresApproval: request.requiresApproval ?? before.requiresApproval,
        });
        await repositories.notificationTypes.update(after);
        await this.#recordChange(
          repositories,
          actor,
          app,
          'notification-type.updated',
          {
            before,
            after,
            event: { type: 'notificationType.updated' },
          },
        );
        return after;
      },
    );
  }

  /**
   * A change to a current type at the generation the caller saw, in one transaction: the
   * caller may update its application, the type exists and is not being deleted.
   */
  async #writeType<T>(
    actor: Actor,
    application: string,
    name: string,
    generation: number,
    write: (
      repositories: BromRepositories,
      app: Application,
      before: NotificationType,
    ) => Promise<T>,
  ): Promise<T> {
    const seen = await this.#access.authorizeOn(
      actor,
      bromApplicationUpdatePermission,
      application,
    );
    return this.#work.write(async repositories => {
      const app = await applicationForWrite(
        repositories.applications,
        application,
        seen,
      );
      const before = await getType(repositories, app, name);
      if (before.deletedAt) throw typeBeingDeleted(application, name);
      assertGeneration(`Notification type "${name}"`, before, generation);
      return write(repositories, app, before);
    });
  }

  /**
   * Deprecates a type with a sunset date and an optional successor, or, for a type already
   * deprecated, moves its sunset later (and may change the successor).
   */
  async deprecateNotificationType(
    actor: Actor,
    application: string,
    name: string,
    request: DeprecateNotificationTypeRequest,
  ): Promise<NotificationType> {
    return this.#writeType(
      actor,
      application,
      name,
      request.generation,
      async (repositories, app, before) => {
        const now = this.#now();
        const previous = before.deprecation;
        if (previous) {
          if (previous.sunsetAt <= now) {
            throw new ConflictError(
              `Notification type "${application}/${name}" reached its sunset on ${previous.sunsetAt}; its subscriptions have ended and the date can no longer be moved`,
            );
          }
          if (Date.parse(request.sunsetAt) <= Date.parse(previous.sunsetAt)) {
            throw new InputError(
              `sunsetAt: the sunset of a deprecated type can only be moved later than ${previous.sunsetAt}`,
            );
          }
        } else {
          this.#assertSunsetFarEnough(request.sunsetAt);
        }
        const successor =
          request.successor === undefined
            ? previous?.successor ?? null
            : request.successor;
        if (successor !== null) {
          await assertSuccessor(repositories, app, before, successor);
        }
        const after = nextGeneration(before, now, {
          deprecation: {
            deprecatedAt: previous?.deprecatedAt ?? now,
            deprecatedBy: actor.userEntityRef,
            sunsetAt: new Date(request.sunsetAt).toISOString(),
            successor,
          },
        });
        await repositories.notificationTypes.update(after);
        await this.#recordLifecycleChange(
          repositories,
          actor,
          app,
          before,
          after,
        );
        return after;
      },
    );
  }

  /**
   * A new version of a type in one transaction: a copy of it with the requested changes,
   * and the type itself deprecated with the copy as its successor.
   */
  async createNotificationTypeVersion(
    actor: Actor,
    application: string,
    name: string,
    request: CreateNotificationTypeVersionRequest,
  ): Promise<NotificationTypeVersion> {
    assertValidPayloadSchema(request.payloadSchema);
    return this.#writeType(
      actor,
      application,
      name,
      request.generation,
      async (repositories, app, before) => {
        if (before.deprecation) {
          throw new ConflictError(
            `Notification type "${application}/${name}" is already deprecated${
              before.deprecation.successor
                ? `; its successor is "${application}/${before.deprecation.successor}"`
                : ''
            }`,
          );
        }
        this.#assertSunsetFarEnough(request.sunsetAt);
        const siblings = await repositories.notificationTypes.listOf(app);
        const sameName = siblings.find(s => s.name === request.name);
        if (sameName) {
          throw new ConflictError(
            `Notification type "${request.name}" already exists in "${application}"`,
          );
        }
        const pattern = request.routingKeyPattern ?? before.routingKeyPattern;
        // The new version may overlap the type it replaces, and only that one: both carry the
        // same messages until the sunset.
        assertNoOverlap(
          pattern,
          siblings.filter(s => s.id !== before.id),
        );
        const now = this.#now();
        const version: NotificationType = {
          id: randomUUID(),
          application: app.name,
          name: request.name,
          routingKeyPattern: pattern,
          description: request.description ?? before.description,
          payloadSchema:
            request.payloadSchema === undefined
              ? before.payloadSchema
              : request.payloadSchema,
          visibility: request.visibility ?? before.visibility,
          requiresApproval: request.requiresApproval ?? before.requiresApproval,
          deprecation: null,
          generation: 1,
          createdAt: now,
          updatedAt: now,
          deletedAt: null,
        };
        await repositories.notificationTypes.insert(version, {
          applicationId: app.id,
        });
        await this.#recordChange(
          repositories,
          actor,
          app,
          'notification-type.created',
          { after: version, event: { type: 'notificationType.declared' } },
        );
        const predecessor = nextGeneration(before, now, {
          deprecation: {
            deprecatedAt: now,
            deprecatedBy: actor.userEntityRef,
            sunsetAt: new Date(request.sunsetAt).toISOString(),
            successor: version.name,
          },
        });
        await repositories.notificationTypes.update(predecessor);
        await this.#recordLifecycleChange(
          repositories,
          actor,
          app,
          before,
          predecessor,
        );
        return { notificationType: version, predecessor };
      },
    );
  }

  /**
   * Ends the live subscriptions of every type whose sunset has come (by the injected
   * clock): each is revoked, audited and announced, and the reconciler removes its binding.
   * One transaction per type; returns how many subscriptions ended.
   */
  async endDueSunsets(): Promise<number> {
    const now = this.#now();
    const due = await this.#work.repositories.notificationTypes.listSunsetDue(
      now,
    );
    let ended = 0;
    for (const candidate of due) {
      ended += await this.#work.write(async repositories => {
        const subscribers = await repositories.subscriptions.listLive({
          typeId: candidate.id,
        });
        let count = 0;
        for (const subscription of subscribers) {
          const deprecation = subscription.notificationTypeDeprecation;
          // Re-checked in the transaction: the sunset may have moved since the listing.
          if (!deprecation || deprecation.sunsetAt > now) return 0;
          await this.#subscriptions.endBySunset(
            repositories,
            LIFECYCLE_ACTOR,
            subscription,
            `Notification type "${subscription.producer}/${
              subscription.notificationType
            }" reached its sunset on ${deprecation.sunsetAt}${
              deprecation.successor
                ? `; its successor is "${subscription.producer}/${deprecation.successor}"`
                : ''
            }`,
          );
          count += 1;
        }
        return count;
      });
    }
    return ended;
  }

  #assertSunsetFarEnough(sunsetAt: string) {
    const earliest = this.#clock().getTime() + this.#minimumSunsetDays * DAY_MS;
    if (Date.parse(sunsetAt) < earliest) {
      throw new InputError(
        `sunsetAt: the sunset must be at least ${
          this.#minimumSunsetDays
        } days ahead, on or after ${new Date(
          earliest,
        ).toISOString()}, so that subscribers can move`,
      );
    }
  }

  async #recordLifecycleChange(
    repositories: BromRepositories,
    actor: Actor,
    app: Application,
    before: NotificationType,
    after: NotificationType,
  ) {
    const subscriptions = await repositories.subscriptions.listLive({
      typeId: after.id,
    });
    const previous = before.deprecation;
    await recordChange(repositories, {
      actor,
      at: this.#now(),
      action: previous
        ? 'notification-type.sunset-extended'
        : 'notification-type.deprecated',
      target: after,
      applications: [app],
      before,
      after,
      event: {
        ...(previous
          ? {
              type: 'notificationType.sunsetExtended',
              previousSunsetAt: previous.sunsetAt,
            }
          : { type: 'notificationType.deprecated' }),
        aggregate: { kind: 'notificationType', id: after.id },
        notificationType: after,
        subscriptions,
      },
    });
  }

  async deleteNotificationType(
    actor: Actor,
    application: string,
    name: string,
    request: { generation: number; force: boolean },
  ): Promise<NotificationType> {
    const seen = await this.#access.authorizeDeletion(
      actor,
      bromApplicationUpdatePermission,
      application,
      request.force,
    );
    return this.#work.write(async repositories => {
      const app = await applicationForWrite(
        repositories.applications,
        application,
        seen,
      );
      const before = await getType(repositories, app, name);
      if (before.deletedAt) throw typeBeingDeleted(application, name);
      const after = await softDelete({
        what: `Notification type "${name}"`,
        current: before,
        request,
        subscribers: await repositories.subscriptions.listLive({
          typeId: before.id,
        }),
        revoke: subscription =>
          this.#subscriptions.forceRevoke(
            repositories,
            actor,
            subscription,
            `Notification type "${application}/${name}" was deleted by an administrator`,
          ),
        save: next =>
          repositories.notificationTypes.update(next, {
            deletedBy: actor.userEntityRef,
          }),
        now: this.#now(),
      });
      await this.#recordChange(
        repositories,
        actor,
        app,
        request.force
          ? 'notification-type.force-deleted'
          : 'notification-type.deleted',
        {
          before,
          after,
          event: { type: 'notificationType.deleted', forced: request.force },
        },
      );
      return after;
    });
  }

  async #recordChange(
    repositories: BromRepositories,
    actor: Actor,
    application: Application,
    action: string,
    change: {
      before?: NotificationType;
      after: NotificationType;
      event:
        | { type: 'notificationType.declared' | 'notificationType.updated' }
        | { type: 'notificationType.deleted'; forced: boolean };
    },
  ) {
    await recordChange(repositories, {
      actor,
      at: this.#now(),
      action,
      target: change.after,
      applications: [application],
      before: change.before ?? null,
      after: change.after,
      event: {
        ...change.event,
        aggregate: { kind: 'notificationType', id: change.after.id },
        notificationType: change.after,
      },
    });
  }

  #now(): string {
    return this.#clock().toISOString();
  }
}

async function getType(
  repositories: BromRepositories,
  application: Application,
  name: string,
): Promise<NotificationType> {
  const type = await repositories.notificationTypes.find(application, name);
  if (!type) throw typeNotFound(application.name, name);
  return type;
}

function typeNotFound(application: string, name: string) {
  return new NotFoundError(
    `Notification type "${application}/${name}" does not exist`,
  );
}

/** The successor must be another live, current type of the same producer. */
async function assertSuccessor(
  repositories: BromRepositories,
  app: Application,
  type: NotificationType,
  successor: string,
) {
  if (successor === type.name) {
    throw new InputError('successor: a type cannot be its own successor');
  }
  const found = await repositories.notificationTypes.find(app, successor);
  if (!found || found.deletedAt) {
    throw new InputError(
      `successor: "${app.name}" has no notification type "${successor}"`,
    );
  }
  if (found.deprecation) {
    throw new InputError(
      `successor: "${app.name}/${successor}" is itself deprecated; name a current type`,
    );
  }
}

/**
 * Refuses a change that would alter what live subscribers receive (another routing-key
 * pattern, or a public type made private), naming them and offering a new version instead.
 */
async function assertSubscribersUnaffected(
  repositories: BromRepositories,
  before: NotificationType,
  request: UpdateNotificationTypeRequest,
) {
  const changes: string[] = [];
  if (
    request.routingKeyPattern !== undefined &&
    request.routingKeyPattern !== before.routingKeyPattern
  ) {
    changes.push(
      `changing its routing-key pattern from "${before.routingKeyPattern}" to "${request.routingKeyPattern}"`,
    );
  }
  if (request.visibility === 'private' && before.visibility !== 'private') {
    changes.push('making it private');
  }
  if (changes.length === 0) return;
  const subscribers = await repositories.subscriptions.listLive({
    typeId: before.id,
  });
  if (subscribers.length === 0) return;
  throw new ConflictError(
    `Notification type "${before.application}/${
      before.name
    }" has live subscribers: ${subscribers
      .map(s => `${s.consumer} (${s.state})`)
      .join(', ')}; ${changes.join(
      ' and ',
    )} would change what they receive. Create a new version instead (POST /applications/${
      before.application
    }/notification-types/${
      before.name
    }/versions): it starts as a copy, becomes the successor, and this type is deprecated`,
  );
}

function assertNoOverlap(pattern: string, siblings: NotificationType[]) {
  for (const sibling of siblings) {
    if (sibling.deletedAt) continue;
    if (routingKeyPatternsOverlap(pattern, sibling.routingKeyPattern)) {
      throw new InputError(
        `Routing-key pattern "${pattern}" overlaps with "${sibling.routingKeyPattern}" of notification type "${sibling.name}"; a producer's patterns must not match the same key`,
      );
    }
  }
}

import { ConflictError, InputError, NotFoundError } from '@backstage/errors';
import {
  Application,
  bromApplicationUpdatePermission,
  CreateNotificationTypeRequest,
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
}

/** Producers declare the notification types they publish, each with its routing keys. */
export class NotificationTypeService {
  readonly #work: BromUnitOfWork;
  readonly #access: ApplicationAccess;
  readonly #subscriptions: SubscriptionService;
  readonly #clock: () => Date;

  private constructor(options: NotificationTypeServiceOptions) {
    this.#work = options.work;
    this.#access = options.access;
    this.#subscriptions = options.subscriptions;
    this.#clock = options.clock;
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
      assertGeneration(
        `Notification type "${name}"`,
        before,
        request.generation,
      );
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

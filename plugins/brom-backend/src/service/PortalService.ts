import {
  LoggerService,
  PermissionsService,
} from '@backstage/backend-plugin-api';
import {
  ConflictError,
  InputError,
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
  ApproveSubscriptionRequest,
  AuditEvent,
  CatalogExport,
  bromApplicationCreatePermission,
  bromApplicationDeletePermission,
  bromApplicationUpdatePermission,
  bromAuditReadPermission,
  bromCredentialManagePermission,
  bromSubscriptionDecidePermission,
  bromSubscriptionRequestPermission,
  CreateApplicationRequest,
  CreateCredentialRequest,
  CreateNotificationTypeRequest,
  Credential,
  IssuedCredential,
  NotificationType,
  Page,
  ReasonedDecisionRequest,
  RequestSubscriptionRequest,
  RotateCredentialRequest,
  routingKeyPatternsOverlap,
  Subscription,
  SubscriptionState,
  UpdateApplicationRequest,
  UpdateNotificationTypeRequest,
} from '@internal/plugin-brom-common';
import { ExpressionBuilder, SelectQueryBuilder } from 'kysely';
import { randomUUID } from 'node:crypto';
import { BromStore, BromTransaction } from '../store/BromStore';
import {
  toApplication,
  toAuditEvent,
  toCredential,
  toNotificationType,
  toSubscription,
} from '../store/mappers';
import { ApplicationRow, NotificationTypeRow, SubscriptionRow } from '../store/tables';
import { Actor, actsFor } from './Actor';
import { credentialUsername, generateSecret } from './secrets';

/** A 409 that carries the current state, so the client can show it and retry. */
export class StaleGenerationError extends ConflictError {
  constructor(what: string, current: { generation: number }, sent: number) {
    super(
      `${what} has changed since you loaded it (it is at generation ${current.generation}, your change was based on ${sent}); reload it and try again`,
    );
    (this as any).current = current;
  }
}

const LIVE_SUBSCRIPTION_STATES: SubscriptionState[] = ['requested', 'approved'];

const STATE_AFTER: Record<'approve' | 'reject' | 'revoke', SubscriptionState> = {
  approve: 'approved',
  reject: 'rejected',
  revoke: 'revoked',
};

/** Audit target kinds by the prefix of the action, e.g. `subscription.approved`. */
const TARGET_KINDS: Record<string, AuditEvent['targetKind']> = {
  application: 'application',
  'notification-type': 'notificationType',
  subscription: 'subscription',
  credential: 'credential',
};
const MAX_LIVE_CREDENTIALS = 2;

export interface PortalServiceOptions {
  store: BromStore;
  permissions: PermissionsService;
  logger: LoggerService;
  /** Names an application may not take: broker users and RabbitMQ's own. */
  reservedNames: string[];
  clock?: () => Date;
  /** Called after each committed write with the new state version. */
  onCommit?: (version: number) => void;
}

/**
 * The portal's domain rules. Every mutation checks its permission first (outside the
 * transaction: the permission framework may call back into this plugin), then re-reads,
 * checks and writes the rows and the audit event in one transaction.
 */
export class PortalService {
  readonly #store: BromStore;
  readonly #permissions: PermissionsService;
  readonly #reserved: Set<string>;
  readonly #clock: () => Date;
  readonly #onCommit: (version: number) => void;

  private constructor(options: PortalServiceOptions) {
    this.#store = options.store;
    this.#permissions = options.permissions;
    this.#reserved = new Set(options.reservedNames);
    this.#clock = options.clock ?? (() => new Date());
    this.#onCommit = options.onCommit ?? (() => {});
  }

  static create(options: PortalServiceOptions): PortalService {
    return new PortalService(options);
  }

  // ---------------------------------------------------------------- applications

  async listApplications(query: {
    q?: string;
    owner?: string;
    ownedBy?: string[];
    includeDeleted?: boolean;
    offset: number;
    limit: number;
  }): Promise<Page<Application>> {
    let base = this.#store.db.selectFrom('brom_applications');
    if (!query.includeDeleted) base = base.where('deleted_at', 'is', null);
    if (query.owner) base = base.where('owner', '=', query.owner);
    if (query.ownedBy) {
      if (query.ownedBy.length === 0) {
        return emptyPage(query);
      }
      base = base.where('owner', 'in', query.ownedBy);
    }
    if (query.q) base = base.where(matchesSearch(query.q, ['name', 'title', 'description']));
    const count = await countRows(base);
    const rows = await base
      .selectAll()
      .orderBy('name')
      .offset(query.offset)
      .limit(query.limit)
      .execute();
    return {
      items: rows.map(toApplication),
      totalCount: count,
      offset: query.offset,
      limit: query.limit,
    };
  }

  async getApplication(name: string): Promise<Application> {
    return toApplication(await this.#applicationRow(this.#store.db, name));
  }

  async createApplication(
    actor: Actor,
    request: CreateApplicationRequest,
  ): Promise<Application> {
    await this.#authorize(actor, bromApplicationCreatePermission);
    this.#assertNameAllowed(request.name);
    if (!actsFor(actor, request.owner)) {
      throw new NotAllowedError(
        `You can only register applications for a group you belong to; you are not a member of ${request.owner}`,
      );
    }
    const now = this.#now();
    const row: ApplicationRow = {
      id: randomUUID(),
      name: request.name,
      title: request.title?.trim() || request.name,
      description: request.description ?? '',
      owner: request.owner,
      entity_ref: request.entityRef ?? null,
      message_ttl_ms: request.settings?.messageTtlMs ?? null,
      max_length: request.settings?.maxLength ?? null,
      generation: 1,
      created_at: now,
      created_by: actor.userEntityRef,
      updated_at: now,
      deleted_at: null,
      deleted_by: null,
      queue_deletion_confirmed_at: null,
      queue_deletion_confirmed_by: null,
    };
    return this.#write(async tx => {
      const existing = await tx
        .selectFrom('brom_applications')
        .select(['deleted_at'])
        .where('name', '=', request.name)
        .executeTakeFirst();
      if (existing) {
        throw new ConflictError(
          existing.deleted_at
            ? `Application "${request.name}" is being deleted; choose another name or wait until its broker objects are removed`
            : `Application "${request.name}" already exists`,
        );
      }
      await tx.insertInto('brom_applications').values(row).execute();
      const application = toApplication(row);
      await this.#audit(tx, actor, 'application.created', application, {
        after: auditedApplication(application),
      });
      return application;
    });
  }

  async updateApplication(
    actor: Actor,
    name: string,
    request: UpdateApplicationRequest,
  ): Promise<Application> {
    const seen = await this.#authorizeOn(actor, bromApplicationUpdatePermission, name);
    if (request.owner && request.owner !== seen.owner && !actsFor(actor, request.owner)) {
      throw new NotAllowedError(
        `You can only hand an application to a group you belong to; you are not a member of ${request.owner}`,
      );
    }
    return this.#write(async tx => {
      const row = await this.#liveApplicationForWrite(tx, name, seen);
      if (row.generation !== request.generation) {
        throw new StaleGenerationError(
          `Application "${name}"`,
          toApplication(row),
          request.generation,
        );
      }
      const before = toApplication(row);
      const next: ApplicationRow = {
        ...row,
        title: request.title?.trim() || (request.title === undefined ? row.title : row.name),
        description: request.description ?? row.description,
        owner: request.owner ?? row.owner,
        entity_ref:
          request.entityRef === undefined ? row.entity_ref : request.entityRef,
        message_ttl_ms:
          request.settings?.messageTtlMs === undefined
            ? row.message_ttl_ms
            : request.settings.messageTtlMs,
        max_length:
          request.settings?.maxLength === undefined
            ? row.max_length
            : request.settings.maxLength,
        generation: row.generation + 1,
        updated_at: this.#now(),
      };
      await tx
        .updateTable('brom_applications')
        .set(next)
        .where('id', '=', row.id)
        .execute();
      const after = toApplication(next);
      await this.#audit(tx, actor, 'application.updated', after, {
        before: auditedApplication(before),
        after: auditedApplication(after),
      });
      return after;
    });
  }

  async deleteApplication(
    actor: Actor,
    name: string,
    request: { generation: number; force: boolean },
  ): Promise<Application> {
    const seen = await this.#authorizeOn(actor, bromApplicationDeletePermission, name);
    if (request.force && !actor.isAdmin) {
      throw new NotAllowedError('Only BROM administrators can force a deletion');
    }
    return this.#write(async tx => {
      const row = await this.#liveApplicationForWrite(tx, name, seen);
      if (row.generation !== request.generation) {
        throw new StaleGenerationError(
          `Application "${name}"`,
          toApplication(row),
          request.generation,
        );
      }
      const subscribers = await this.#liveSubscribersOf(tx, { producerId: row.id });
      const foreign = subscribers.filter(s => s.consumer_application_id !== row.id);
      if (foreign.length > 0 && !request.force) {
        throw new ConflictError(
          `Application "${name}" has active subscribers: ${describeSubscribers(foreign)}. Ask them to unsubscribe first, or ask an administrator to force the deletion`,
        );
      }
      for (const subscriber of foreign) {
        await this.#forceRevoke(tx, actor, subscriber, `Producer "${name}" was deleted by an administrator`);
      }
      const now = this.#now();
      const next: ApplicationRow = {
        ...row,
        deleted_at: now,
        deleted_by: actor.userEntityRef,
        generation: row.generation + 1,
        updated_at: now,
      };
      await tx
        .updateTable('brom_applications')
        .set(next)
        .where('id', '=', row.id)
        .execute();
      const after = toApplication(next);
      await this.#audit(tx, actor, request.force ? 'application.force-deleted' : 'application.deleted', after, {
        before: auditedApplication(toApplication(row)),
        after: auditedApplication(after),
      });
      return after;
    });
  }

  /** Records that the owner accepts losing the messages still in the consumer's queue. */
  async confirmQueueDeletion(
    actor: Actor,
    name: string,
    request: { generation: number },
  ): Promise<Application> {
    const seen = await this.#authorizeOn(actor, bromApplicationDeletePermission, name);
    return this.#write(async tx => {
      const row = await this.#applicationRow(tx, name);
      if (row.owner !== seen.owner) throw concurrentOwnerChange(name);
      if (!row.deleted_at) {
        throw new ConflictError(
          `Application "${name}" is not being deleted; delete it first, then confirm the deletion of its queue`,
        );
      }
      if (row.generation !== request.generation) {
        throw new StaleGenerationError(`Application "${name}"`, toApplication(row), request.generation);
      }
      const now = this.#now();
      const next: ApplicationRow = {
        ...row,
        queue_deletion_confirmed_at: now,
        queue_deletion_confirmed_by: actor.userEntityRef,
        generation: row.generation + 1,
        updated_at: now,
      };
      await tx.updateTable('brom_applications').set(next).where('id', '=', row.id).execute();
      const after = toApplication(next);
      await this.#audit(tx, actor, 'application.queue-deletion-confirmed', after, {
        before: auditedApplication(toApplication(row)),
        after: auditedApplication(after),
      });
      return after;
    });
  }

  // ---------------------------------------------------------- notification types

  async listNotificationTypes(query: {
    application?: string;
    q?: string;
    owner?: string;
    viewer: string[];
    offset: number;
    limit: number;
  }): Promise<Page<NotificationType>> {
    let base = this.#store.db
      .selectFrom('brom_notification_types as t')
      .innerJoin('brom_applications as a', 'a.id', 't.application_id')
      .where('t.deleted_at', 'is', null)
      .where('a.deleted_at', 'is', null)
      .where(eb =>
        eb.or([
          eb('t.visibility', '=', 'public'),
          ...(query.viewer.length ? [eb('a.owner', 'in', query.viewer)] : []),
        ]),
      );
    if (query.application) base = base.where('a.name', '=', query.application);
    if (query.owner) base = base.where('a.owner', '=', query.owner);
    if (query.q) {
      base = base.where(
        matchesSearch(query.q, ['t.name', 't.description', 't.routing_key_pattern', 'a.name']),
      );
    }
    const count = await countRows(base);
    const rows = await base
      .selectAll('t')
      .select('a.name as application_name')
      .orderBy('a.name')
      .orderBy('t.name')
      .offset(query.offset)
      .limit(query.limit)
      .execute();
    return {
      items: rows.map(r => toNotificationType(r, r.application_name)),
      totalCount: count,
      offset: query.offset,
      limit: query.limit,
    };
  }

  async getNotificationType(application: string, name: string): Promise<NotificationType> {
    const app = await this.#applicationRow(this.#store.db, application);
    const row = await this.#typeRow(this.#store.db, app, name);
    return toNotificationType(row, app.name);
  }

  async createNotificationType(
    actor: Actor,
    application: string,
    request: CreateNotificationTypeRequest,
  ): Promise<NotificationType> {
    const seen = await this.#authorizeOn(actor, bromApplicationUpdatePermission, application);
    return this.#write(async tx => {
      const app = await this.#liveApplicationForWrite(tx, application, seen);
      const siblings = await tx
        .selectFrom('brom_notification_types')
        .selectAll()
        .where('application_id', '=', app.id)
        .execute();
      const sameName = siblings.find(s => s.name === request.name);
      if (sameName) {
        throw new ConflictError(
          sameName.deleted_at
            ? `Notification type "${request.name}" of "${application}" is being deleted; choose another name or wait until it is gone`
            : `Notification type "${request.name}" already exists in "${application}"`,
        );
      }
      assertNoOverlap(request.routingKeyPattern, siblings);
      const now = this.#now();
      const row: NotificationTypeRow = {
        id: randomUUID(),
        application_id: app.id,
        name: request.name,
        routing_key_pattern: request.routingKeyPattern,
        description: request.description,
        payload_schema: request.payloadSchema ? JSON.stringify(request.payloadSchema) : null,
        visibility: request.visibility ?? 'public',
        requires_approval: request.requiresApproval ?? true,
        generation: 1,
        created_at: now,
        updated_at: now,
        deleted_at: null,
        deleted_by: null,
      };
      await tx.insertInto('brom_notification_types').values(row).execute();
      const type = toNotificationType(row, app.name);
      await this.#audit(tx, actor, 'notification-type.created', type, { after: { ...type } });
      return type;
    });
  }

  async updateNotificationType(
    actor: Actor,
    application: string,
    name: string,
    request: UpdateNotificationTypeRequest,
  ): Promise<NotificationType> {
    const seen = await this.#authorizeOn(actor, bromApplicationUpdatePermission, application);
    return this.#write(async tx => {
      const app = await this.#liveApplicationForWrite(tx, application, seen);
      const row = await this.#typeRow(tx, app, name);
      if (row.deleted_at) throw typeBeingDeleted(application, name);
      if (row.generation !== request.generation) {
        throw new StaleGenerationError(
          `Notification type "${name}"`,
          toNotificationType(row, app.name),
          request.generation,
        );
      }
      if (request.routingKeyPattern && request.routingKeyPattern !== row.routing_key_pattern) {
        const siblings = await tx
          .selectFrom('brom_notification_types')
          .selectAll()
          .where('application_id', '=', app.id)
          .where('id', '!=', row.id)
          .execute();
        assertNoOverlap(request.routingKeyPattern, siblings);
      }
      const next: NotificationTypeRow = {
        ...row,
        routing_key_pattern: request.routingKeyPattern ?? row.routing_key_pattern,
        description: request.description ?? row.description,
        payload_schema:
          request.payloadSchema === undefined
            ? row.payload_schema
            : request.payloadSchema && JSON.stringify(request.payloadSchema),
        visibility: request.visibility ?? row.visibility,
        requires_approval: request.requiresApproval ?? Boolean(row.requires_approval),
        generation: row.generation + 1,
        updated_at: this.#now(),
      };
      await tx.updateTable('brom_notification_types').set(next).where('id', '=', row.id).execute();
      const before = toNotificationType(row, app.name);
      const after = toNotificationType(next, app.name);
      await this.#audit(tx, actor, 'notification-type.updated', after, {
        before: { ...before },
        after: { ...after },
      });
      return after;
    });
  }

  async deleteNotificationType(
    actor: Actor,
    application: string,
    name: string,
    request: { generation: number; force: boolean },
  ): Promise<NotificationType> {
    const seen = await this.#authorizeOn(actor, bromApplicationUpdatePermission, application);
    if (request.force && !actor.isAdmin) {
      throw new NotAllowedError('Only BROM administrators can force a deletion');
    }
    return this.#write(async tx => {
      const app = await this.#liveApplicationForWrite(tx, application, seen);
      const row = await this.#typeRow(tx, app, name);
      if (row.deleted_at) throw typeBeingDeleted(application, name);
      if (row.generation !== request.generation) {
        throw new StaleGenerationError(
          `Notification type "${name}"`,
          toNotificationType(row, app.name),
          request.generation,
        );
      }
      const subscribers = await this.#liveSubscribersOf(tx, { typeId: row.id });
      if (subscribers.length > 0 && !request.force) {
        throw new ConflictError(
          `Notification type "${name}" has active subscribers: ${describeSubscribers(subscribers)}. Ask them to unsubscribe first, or ask an administrator to force the deletion`,
        );
      }
      for (const subscriber of subscribers) {
        await this.#forceRevoke(tx, actor, subscriber, `Notification type "${application}/${name}" was deleted by an administrator`);
      }
      const now = this.#now();
      const next: NotificationTypeRow = {
        ...row,
        deleted_at: now,
        deleted_by: actor.userEntityRef,
        generation: row.generation + 1,
        updated_at: now,
      };
      await tx.updateTable('brom_notification_types').set(next).where('id', '=', row.id).execute();
      const after = toNotificationType(next, app.name);
      await this.#audit(tx, actor, request.force ? 'notification-type.force-deleted' : 'notification-type.deleted', after, {
        before: { ...toNotificationType(row, app.name) },
        after: { ...after },
      });
      return after;
    });
  }

  // --------------------------------------------------------------- subscriptions

  async listSubscriptions(query: {
    consumer?: string;
    producer?: string;
    notificationType?: string;
    state?: SubscriptionState;
    consumerOwnedBy?: string[];
    producerOwnedBy?: string[];
    offset: number;
    limit: number;
  }): Promise<Page<Subscription>> {
    let base = this.#store.db
      .selectFrom('brom_subscriptions as s')
      .innerJoin('brom_applications as c', 'c.id', 's.consumer_application_id')
      .innerJoin('brom_notification_types as t', 't.id', 's.notification_type_id')
      .innerJoin('brom_applications as p', 'p.id', 't.application_id');
    if (query.consumer) base = base.where('c.name', '=', query.consumer);
    if (query.producer) base = base.where('p.name', '=', query.producer);
    if (query.notificationType) base = base.where('t.name', '=', query.notificationType);
    if (query.state) base = base.where('s.state', '=', query.state);
    for (const [column, owners] of [
      ['c.owner', query.consumerOwnedBy],
      ['p.owner', query.producerOwnedBy],
    ] as const) {
      if (!owners) continue;
      if (owners.length === 0) {
        return emptyPage(query);
      }
      base = base.where(column, 'in', owners);
    }
    const count = await countRows(base);
    const rows = await base
      .selectAll('s')
      .select([
        'c.name as consumer_name',
        'p.name as producer_name',
        't.name as type_name',
        't.routing_key_pattern as type_pattern',
      ])
      .orderBy('s.updated_at', 'desc')
      .orderBy('s.id')
      .offset(query.offset)
      .limit(query.limit)
      .execute();
    return {
      items: rows.map(r =>
        toSubscription(r, {
          consumer: r.consumer_name,
          producer: r.producer_name,
          notificationType: r.type_name,
          routingKeyPattern: r.type_pattern,
        }),
      ),
      totalCount: count,
      offset: query.offset,
      limit: query.limit,
    };
  }

  async getSubscription(id: string): Promise<Subscription> {
    return (await this.#subscriptionContext(this.#store.db, id)).subscription;
  }

  async requestSubscription(
    actor: Actor,
    request: RequestSubscriptionRequest,
  ): Promise<Subscription> {
    const seenConsumer = await this.#authorizeOn(
      actor,
      bromSubscriptionRequestPermission,
      request.consumer,
    );
    return this.#write(async tx => {
      const consumer = await this.#liveApplicationForWrite(tx, request.consumer, seenConsumer);
      const producer = await this.#applicationRow(tx, request.producer);
      if (producer.deleted_at) throw applicationBeingDeleted(producer.name);
      const type = await this.#typeRow(tx, producer, request.notificationType);
      if (type.deleted_at) throw typeBeingDeleted(producer.name, type.name);
      if (type.visibility === 'private' && producer.owner !== consumer.owner) {
        throw new NotFoundError(
          `Notification type "${request.producer}/${request.notificationType}" does not exist`,
        );
      }
      const now = this.#now();
      const autoApprove = !type.requires_approval;
      const existing = await tx
        .selectFrom('brom_subscriptions')
        .selectAll()
        .where('consumer_application_id', '=', consumer.id)
        .where('notification_type_id', '=', type.id)
        .executeTakeFirst();
      if (existing && LIVE_SUBSCRIPTION_STATES.includes(existing.state as SubscriptionState)) {
        throw new ConflictError(
          `"${consumer.name}" has already ${existing.state === 'approved' ? 'been approved for' : 'requested'} "${producer.name}/${type.name}"`,
        );
      }
      const next: SubscriptionRow = {
        id: existing?.id ?? randomUUID(),
        consumer_application_id: consumer.id,
        notification_type_id: type.id,
        state: autoApprove ? 'approved' : 'requested',
        justification: request.justification,
        requested_by: actor.userEntityRef,
        requested_at: now,
        decided_by: null,
        decided_at: autoApprove ? now : null,
        reason: autoApprove ? 'Approved automatically: this notification type needs no approval' : null,
        generation: (existing?.generation ?? 0) + 1,
        updated_at: now,
      };
      if (existing) {
        await tx.updateTable('brom_subscriptions').set(next).where('id', '=', existing.id).execute();
      } else {
        await tx.insertInto('brom_subscriptions').values(next).execute();
      }
      const names = {
        consumer: consumer.name,
        producer: producer.name,
        notificationType: type.name,
        routingKeyPattern: type.routing_key_pattern,
      };
      const after = toSubscription(next, names);
      const action = existing ? 'subscription.re-requested' : 'subscription.requested';
      await this.#audit(tx, actor, action, after, {
        before: existing ? { ...toSubscription(existing, names) } : null,
        after: { ...after },
      });
      if (autoApprove) {
        await this.#audit(tx, actor, 'subscription.auto-approved', after, { after: { ...after } });
      }
      return after;
    });
  }

  async approveSubscription(
    actor: Actor,
    id: string,
    request: ApproveSubscriptionRequest,
  ): Promise<Subscription> {
    return this.#decide(actor, id, request.generation, 'approve', request.reason ?? null);
  }

  async rejectSubscription(
    actor: Actor,
    id: string,
    request: ReasonedDecisionRequest,
  ): Promise<Subscription> {
    return this.#decide(actor, id, request.generation, 'reject', request.reason);
  }

  /** Revoking is open to both sides; a consumer revoking a pending request cancels it. */
  async revokeSubscription(
    actor: Actor,
    id: string,
    request: ReasonedDecisionRequest,
  ): Promise<Subscription> {
    return this.#decide(actor, id, request.generation, 'revoke', request.reason);
  }

  async #decide(
    actor: Actor,
    id: string,
    generation: number,
    decision: 'approve' | 'reject' | 'revoke',
    reason: string | null,
  ): Promise<Subscription> {
    const context = await this.#subscriptionContext(this.#store.db, id);
    if (decision === 'revoke') {
      const [asProducer, asConsumer] = await Promise.all([
        this.#isAllowed(actor, bromSubscriptionDecidePermission, context.producer.name),
        this.#isAllowed(actor, bromSubscriptionRequestPermission, context.consumer.name),
      ]);
      if (!asProducer && !asConsumer) {
        throw new NotAllowedError(
          `Only the owners of "${context.producer.name}" or "${context.consumer.name}" can revoke this subscription`,
        );
      }
    } else {
      await this.#authorizeOn(actor, bromSubscriptionDecidePermission, context.producer.name);
    }
    return this.#write(async tx => {
      const current = await this.#subscriptionContext(tx, id);
      const row = current.row;
      if (row.generation !== generation) {
        throw new StaleGenerationError('The subscription', current.subscription, generation);
      }
      const allowedFrom: SubscriptionState[] =
        decision === 'revoke' ? ['requested', 'approved'] : ['requested'];
      if (!allowedFrom.includes(row.state as SubscriptionState)) {
        throw new ConflictError(
          `The subscription is ${row.state}; only a ${allowedFrom.join(' or ')} subscription can be ${pastTense(decision)}`,
        );
      }
      if (
        decision === 'approve' &&
        Boolean(current.type.requires_approval) &&
        row.requested_by === actor.userEntityRef
      ) {
        throw new NotAllowedError(
          'You requested this subscription, so someone else from the producer\u2019s team must approve it',
        );
      }
      const now = this.#now();
      const nextState = STATE_AFTER[decision];
      const next: SubscriptionRow = {
        ...row,
        state: nextState,
        decided_by: actor.userEntityRef,
        decided_at: now,
        reason,
        generation: row.generation + 1,
        updated_at: now,
      };
      // The generation in the WHERE clause makes a concurrent decision a no-op we can see.
      const result = await tx
        .updateTable('brom_subscriptions')
        .set(next)
        .where('id', '=', row.id)
        .where('generation', '=', row.generation)
        .executeTakeFirst();
      if (Number(result.numUpdatedRows) !== 1) {
        throw new ConflictError('The subscription was changed concurrently; reload it and try again');
      }
      const after = toSubscription(next, current.names);
      await this.#audit(tx, actor, `subscription.${pastTense(decision)}`, after, {
        before: { ...current.subscription },
        after: { ...after },
      });
      return after;
    });
  }

  // ----------------------------------------------------------------- credentials

  async listCredentials(actor: Actor, application: string): Promise<Credential[]> {
    const app = await this.#authorizeOn(actor, bromCredentialManagePermission, application);
    const rows = await this.#store.db
      .selectFrom('brom_credentials')
      .selectAll()
      .where('application_id', '=', app.id)
      .orderBy('created_at')
      .execute();
    return rows.map(r => toCredential(r, app.name));
  }

  async createCredential(
    actor: Actor,
    application: string,
    request: CreateCredentialRequest,
  ): Promise<IssuedCredential> {
    return this.#issueCredential(actor, application, request.expiresAt ?? null, undefined);
  }

  /**
   * Issues a new credential and lets the older live ones expire after the overlap, so a
   * deployment can switch without a gap.
   */
  async rotateCredential(
    actor: Actor,
    application: string,
    request: RotateCredentialRequest,
  ): Promise<IssuedCredential> {
    return this.#issueCredential(
      actor,
      application,
      request.expiresAt ?? null,
      request.overlapSeconds ?? 3600,
    );
  }

  async revokeCredential(
    actor: Actor,
    application: string,
    credentialId: string,
  ): Promise<Credential> {
    const seen = await this.#authorizeOn(actor, bromCredentialManagePermission, application);
    return this.#write(async tx => {
      const app = await this.#applicationRow(tx, application);
      if (app.owner !== seen.owner) throw concurrentOwnerChange(application);
      const row = await tx
        .selectFrom('brom_credentials')
        .selectAll()
        .where('id', '=', credentialId)
        .where('application_id', '=', app.id)
        .executeTakeFirst();
      if (!row) {
        throw new NotFoundError(`Credential ${credentialId} of "${application}" does not exist`);
      }
      if (row.revoked_at) {
        throw new ConflictError(`Credential ${row.username} is already revoked`);
      }
      const now = this.#now();
      const next = { ...row, revoked_at: now, revoked_by: actor.userEntityRef };
      await tx
        .updateTable('brom_credentials')
        .set({ revoked_at: now, revoked_by: actor.userEntityRef })
        .where('id', '=', row.id)
        .execute();
      const after = toCredential(next, app.name);
      await this.#audit(tx, actor, 'credential.revoked', after, {
        before: { ...toCredential(row, app.name) },
        after: { ...after },
      });
      return after;
    });
  }

  async #issueCredential(
    actor: Actor,
    application: string,
    expiresAt: string | null,
    overlapSeconds: number | undefined,
  ): Promise<IssuedCredential> {
    const seen = await this.#authorizeOn(actor, bromCredentialManagePermission, application);
    const nowDate = this.#clock();
    const now = nowDate.toISOString();
    if (expiresAt && new Date(expiresAt) <= nowDate) {
      throw new InputError('expiresAt must be in the future');
    }
    const normalisedExpiry = expiresAt ? new Date(expiresAt).toISOString() : null;
    const { secret, salt, hash } = generateSecret();
    return this.#write(async tx => {
      const app = await this.#liveApplicationForWrite(tx, application, seen);
      const live = (
        await tx
          .selectFrom('brom_credentials')
          .selectAll()
          .where('application_id', '=', app.id)
          .where('revoked_at', 'is', null)
          .execute()
      ).filter(c => !c.expires_at || c.expires_at > now);
      if (overlapSeconds === undefined && live.length >= MAX_LIVE_CREDENTIALS) {
        throw new ConflictError(
          `"${application}" already has ${MAX_LIVE_CREDENTIALS} live credentials; revoke one before creating another`,
        );
      }
      if (overlapSeconds !== undefined) {
        if (live.length >= MAX_LIVE_CREDENTIALS) {
          throw new ConflictError(
            `"${application}" already has ${MAX_LIVE_CREDENTIALS} live credentials, so a rotation is under way; revoke the old one to finish it first`,
          );
        }
        const cutoff = new Date(nowDate.getTime() + overlapSeconds * 1000).toISOString();
        for (const old of live) {
          if (old.expires_at && old.expires_at <= cutoff) continue;
          await tx
            .updateTable('brom_credentials')
            .set({ expires_at: cutoff })
            .where('id', '=', old.id)
            .execute();
          await this.#audit(tx, actor, 'credential.expiry-shortened', toCredential(old, app.name), {
            before: { ...toCredential(old, app.name) },
            after: { ...toCredential({ ...old, expires_at: cutoff }, app.name) },
          });
        }
      }
      const row = {
        id: randomUUID(),
        application_id: app.id,
        username: credentialUsername(app.name),
        salt,
        hash,
        created_at: now,
        created_by: actor.userEntityRef,
        expires_at: normalisedExpiry,
        revoked_at: null,
        revoked_by: null,
      };
      await tx.insertInto('brom_credentials').values(row).execute();
      const credential = toCredential(row, app.name);
      await this.#audit(
        tx,
        actor,
        overlapSeconds === undefined ? 'credential.created' : 'credential.rotated',
        credential,
        { after: { ...credential } },
      );
      return { credential, secret };
    });
  }

  // ----------------------------------------------------------------------- audit

  async listAuditEvents(
    actor: Actor,
    query: {
      application?: string;
      actor?: string;
      action?: string;
      since?: string;
      until?: string;
      offset: number;
      limit: number;
    },
  ): Promise<Page<AuditEvent>> {
    if (query.application) {
      await this.#authorizeOn(actor, bromAuditReadPermission, query.application, {
        includeDeleted: true,
      });
    } else if (!actor.isAdmin) {
      throw new InputError(
        'Give an application to read its audit history; only administrators can read all of it',
      );
    }
    let base = this.#store.db.selectFrom('brom_audit_events');
    if (query.application) base = base.where('application', '=', query.application);
    if (query.actor) base = base.where('actor', '=', query.actor);
    if (query.action) base = base.where('action', '=', query.action);
    // Stored times are toISOString() strings; compare like with like, whatever offset or
    // precision the client wrote.
    if (query.since) base = base.where('at', '>=', new Date(query.since).toISOString());
    if (query.until) base = base.where('at', '<', new Date(query.until).toISOString());
    const count = await countRows(base);
    const rows = await base
      .selectAll()
      .orderBy('id', 'desc')
      .offset(query.offset)
      .limit(query.limit)
      .execute();
    return {
      items: rows.map(r => toAuditEvent(r as any)),
      totalCount: count,
      offset: query.offset,
      limit: query.limit,
    };
  }

  // --------------------------------------------------------------------- catalog

  /** Live applications, types and approved subscriptions, read at one state version. */
  async catalogExport(broker: CatalogExport['broker']): Promise<CatalogExport> {
    return this.#store.read(async (tx, version) => {
      const apps = await tx
        .selectFrom('brom_applications')
        .selectAll()
        .where('deleted_at', 'is', null)
        .orderBy('name')
        .execute();
      const names = new Map(apps.map(a => [a.id, a.name]));
      const types = (
        await tx
          .selectFrom('brom_notification_types')
          .selectAll()
          .where('deleted_at', 'is', null)
          .orderBy('name')
          .execute()
      ).filter(t => names.has(t.application_id));
      const typeById = new Map(types.map(t => [t.id, t]));
      const subscriptions = (
        await tx
          .selectFrom('brom_subscriptions')
          .selectAll()
          .where('state', '=', 'approved')
          .execute()
      ).filter(
        s => names.has(s.consumer_application_id) && typeById.has(s.notification_type_id),
      );
      return {
        version,
        broker,
        applications: apps.map(a => ({
          name: a.name,
          title: a.title,
          description: a.description,
          owner: a.owner,
          entityRef: a.entity_ref,
        })),
        notificationTypes: types.map(t => {
          const type = toNotificationType(t, names.get(t.application_id)!);
          return {
            application: type.application,
            name: type.name,
            routingKeyPattern: type.routingKeyPattern,
            description: type.description,
            payloadSchema: type.payloadSchema,
          };
        }),
        subscriptions: subscriptions.map(s => {
          const type = typeById.get(s.notification_type_id)!;
          return {
            consumer: names.get(s.consumer_application_id)!,
            producer: names.get(type.application_id)!,
            notificationType: type.name,
          };
        }),
      };
    });
  }

  // --------------------------------------------------------------------- helpers

  async #write<T>(fn: (tx: BromTransaction) => Promise<T>): Promise<T> {
    let committed = 0;
    const result = await this.#store.write(async (tx, version) => {
      committed = version;
      return fn(tx);
    });
    this.#onCommit(committed);
    return result;
  }

  #now(): string {
    return this.#clock().toISOString();
  }

  #assertNameAllowed(name: string) {
    if (this.#reserved.has(name) || name.startsWith('amq')) {
      throw new InputError(
        `Application name "${name}" is reserved (guest, admin, the portal's broker user and names starting with "amq" are); choose another`,
      );
    }
  }

  async #isAllowed(
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

  async #authorize(actor: Actor, permission: BasicPermission) {
    const [decision] = await this.#permissions.authorize([{ permission }], {
      credentials: actor.credentials,
    });
    if (decision.result !== AuthorizeResult.ALLOW) {
      throw new NotAllowedError(`You are not allowed to ${permission.name}`);
    }
  }

  /**
   * Checks a permission on an application and returns the row it was checked against. A
   * missing application is a 404 before any permission is asked.
   */
  async #authorizeOn(
    actor: Actor,
    permission: ResourcePermission<'brom-application'>,
    name: string,
    options: { includeDeleted?: boolean } = {},
  ): Promise<ApplicationRow> {
    const row = await this.#applicationRow(this.#store.db, name);
    if (row.deleted_at && !options.includeDeleted && permission !== bromApplicationDeletePermission) {
      throw applicationBeingDeleted(name);
    }
    if (!(await this.#isAllowed(actor, permission, name))) {
      throw new NotAllowedError(
        `Only members of ${row.owner} (the owner of "${name}") or BROM administrators can do this`,
      );
    }
    return row;
  }

  async #applicationRow(
    db: BromTransaction | BromStore['db'],
    name: string,
  ): Promise<ApplicationRow> {
    const row = await db
      .selectFrom('brom_applications')
      .selectAll()
      .where('name', '=', name)
      .executeTakeFirst();
    if (!row) throw new NotFoundError(`Application "${name}" does not exist`);
    return row;
  }

  async #liveApplicationForWrite(
    tx: BromTransaction,
    name: string,
    seen: ApplicationRow,
  ): Promise<ApplicationRow> {
    const row = await this.#applicationRow(tx, name);
    if (row.deleted_at) throw applicationBeingDeleted(name);
    if (row.owner !== seen.owner) throw concurrentOwnerChange(name);
    return row;
  }

  async #typeRow(
    db: BromTransaction | BromStore['db'],
    app: ApplicationRow,
    name: string,
  ): Promise<NotificationTypeRow> {
    const row = await db
      .selectFrom('brom_notification_types')
      .selectAll()
      .where('application_id', '=', app.id)
      .where('name', '=', name)
      .executeTakeFirst();
    if (!row) {
      throw new NotFoundError(`Notification type "${app.name}/${name}" does not exist`);
    }
    return row;
  }

  async #liveSubscribersOf(
    tx: BromTransaction,
    of: { producerId?: string; typeId?: string },
  ) {
    let query = tx
      .selectFrom('brom_subscriptions as s')
      .innerJoin('brom_notification_types as t', 't.id', 's.notification_type_id')
      .innerJoin('brom_applications as c', 'c.id', 's.consumer_application_id')
      .selectAll('s')
      .select(['c.name as consumer_name', 't.name as type_name'])
      .where('s.state', 'in', LIVE_SUBSCRIPTION_STATES);
    if (of.producerId) query = query.where('t.application_id', '=', of.producerId);
    if (of.typeId) query = query.where('t.id', '=', of.typeId);
    return query.orderBy('c.name').execute();
  }

  async #forceRevoke(
    tx: BromTransaction,
    actor: Actor,
    row: SubscriptionRow,
    reason: string,
  ) {
    const context = await this.#subscriptionContext(tx, row.id);
    const now = this.#now();
    const next: SubscriptionRow = {
      ...row,
      state: 'revoked',
      decided_by: actor.userEntityRef,
      decided_at: now,
      reason,
      generation: row.generation + 1,
      updated_at: now,
    };
    await tx
      .updateTable('brom_subscriptions')
      .set({
        state: next.state,
        decided_by: next.decided_by,
        decided_at: next.decided_at,
        reason: next.reason,
        generation: next.generation,
        updated_at: next.updated_at,
      })
      .where('id', '=', row.id)
      .execute();
    const after = toSubscription(next, context.names);
    await this.#audit(tx, actor, 'subscription.revoked', after, {
      before: { ...context.subscription },
      after: { ...after },
    });
  }

  async #subscriptionContext(db: BromTransaction | BromStore['db'], id: string) {
    const row = await db
      .selectFrom('brom_subscriptions')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst();
    if (!row) throw new NotFoundError(`Subscription ${id} does not exist`);
    const type = await db
      .selectFrom('brom_notification_types')
      .selectAll()
      .where('id', '=', row.notification_type_id)
      .executeTakeFirstOrThrow();
    const apps = await db
      .selectFrom('brom_applications')
      .selectAll()
      .where('id', 'in', [row.consumer_application_id, type.application_id])
      .execute();
    const consumer = apps.find(a => a.id === row.consumer_application_id)!;
    const producer = apps.find(a => a.id === type.application_id)!;
    const names = {
      consumer: consumer.name,
      producer: producer.name,
      notificationType: type.name,
      routingKeyPattern: type.routing_key_pattern,
    };
    return {
      row,
      type,
      consumer,
      producer,
      names,
      subscription: toSubscription(row, names),
    };
  }

  async #audit(
    tx: BromTransaction,
    actor: Actor,
    action: string,
    target: { id: string } & (
      | { name: string; owner: string }
      | { application: string }
      | { consumer: string; producer: string }
    ),
    change: { before?: Record<string, unknown> | null; after?: Record<string, unknown> | null },
  ) {
    const targetKind = TARGET_KINDS[action.slice(0, action.indexOf('.'))] ?? 'credential';
    // Subscriptions are audited under the producer, whose owners decide on them.
    let application: string;
    if ('producer' in target) application = target.producer;
    else if ('application' in target) application = target.application;
    else application = target.name;
    // The consumer's history shows a subscription too, not only the producer's.
    const applications = new Set([application]);
    if ('consumer' in target) applications.add(target.consumer);
    for (const name of applications) {
      await tx
        .insertInto('brom_audit_events')
        .values({
          at: this.#now(),
          actor: actor.userEntityRef,
          action,
          target_kind: targetKind,
          target_id: target.id,
          application: name,
          before: change.before ? JSON.stringify(change.before) : null,
          after: change.after ? JSON.stringify(change.after) : null,
        })
        .execute();
    }
  }
}

function auditedApplication(application: Application): Record<string, unknown> {
  return { ...application };
}

function assertNoOverlap(pattern: string, siblings: NotificationTypeRow[]) {
  for (const sibling of siblings) {
    if (sibling.deleted_at) continue;
    if (routingKeyPatternsOverlap(pattern, sibling.routing_key_pattern)) {
      throw new InputError(
        `Routing-key pattern "${pattern}" overlaps with "${sibling.routing_key_pattern}" of notification type "${sibling.name}"; a producer's patterns must not match the same key`,
      );
    }
  }
}

function describeSubscribers(rows: Array<{ consumer_name: string; type_name: string; state: string }>) {
  return rows.map(r => `${r.consumer_name} (${r.type_name}, ${r.state})`).join(', ');
}

function applicationBeingDeleted(name: string) {
  return new ConflictError(`Application "${name}" is being deleted`);
}

function typeBeingDeleted(application: string, name: string) {
  return new ConflictError(`Notification type "${application}/${name}" is being deleted`);
}

function concurrentOwnerChange(name: string) {
  return new ConflictError(
    `The owner of "${name}" changed while your request was checked; reload and try again`,
  );
}

const PAST_TENSE = { approve: 'approved', reject: 'rejected', revoke: 'revoked' } as const;

function pastTense(decision: 'approve' | 'reject' | 'revoke') {
  return PAST_TENSE[decision];
}

/** LIKE escapes differ between PostgreSQL and SQLite; searching for wildcards is not useful. */
function escapeLike(value: string) {
  return value.replace(/[\\%_]/g, '');
}

/** Case-insensitive substring search over the given columns. */
function matchesSearch(q: string, columns: string[]) {
  const like = `%${escapeLike(q.toLowerCase())}%`;
  return (eb: ExpressionBuilder<any, any>) =>
    eb.or(columns.map(column => eb(eb.fn('lower', [column]), 'like', like)));
}

async function countRows(query: SelectQueryBuilder<any, any, any>): Promise<number> {
  const [{ count }] = await query
    .select(eb => eb.fn.countAll<number>().as('count'))
    .execute();
  return Number(count);
}

function emptyPage<T>(query: { offset: number; limit: number }): Page<T> {
  return { items: [], totalCount: 0, offset: query.offset, limit: query.limit };
}

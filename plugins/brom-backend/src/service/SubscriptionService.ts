import {
  ConflictError,
  NotAllowedError,
  NotFoundError,
} from '@backstage/errors';
import {
  ApproveSubscriptionRequest,
  bromSubscriptionDecidePermission,
  NotificationType,
  bromSubscriptionRequestPermission,
  Page,
  ReasonedDecisionRequest,
  RequestSubscriptionRequest,
  Subscription,
  SubscriptionState,
} from '@internal/plugin-brom-common';
import { randomUUID } from 'node:crypto';
import { BromRepositories, BromUnitOfWork } from '../store/BromRepositories';
import { Viewer } from '../store/visibility';
import {
  LIVE_SUBSCRIPTION_STATES,
  SubscriptionContext,
  SubscriptionListQuery,
} from '../store/SubscriptionStore';
import { Actor } from './Actor';
import {
  ApplicationAccess,
  applicationBeingDeleted,
  applicationForWrite,
  getApplication,
  typeBeingDeleted,
} from './ApplicationAccess';
import { recordAudit } from './AuditService';
import { assertGeneration, nextGeneration } from './concurrency';

type Decision = 'approve' | 'reject' | 'revoke';

const STATE_AFTER = {
  approve: 'approved',
  reject: 'rejected',
  revoke: 'revoked',
} as const satisfies Record<Decision, SubscriptionState>;

export interface SubscriptionServiceOptions {
  work: BromUnitOfWork;
  access: ApplicationAccess;
  clock: () => Date;
}

/** Consumers ask to subscribe to notification types; the producers' owners decide. */
export class SubscriptionService {
  readonly #work: BromUnitOfWork;
  readonly #access: ApplicationAccess;
  readonly #clock: () => Date;

  private constructor(options: SubscriptionServiceOptions) {
    this.#work = options.work;
    this.#access = options.access;
    this.#clock = options.clock;
  }

  static create(options: SubscriptionServiceOptions): SubscriptionService {
    return new SubscriptionService(options);
  }

  /** Subscriptions the actor may see: to types visible to them, or of their consumers. */
  async listSubscriptions(
    actor: Actor,
    query: Omit<SubscriptionListQuery, 'viewer'>,
  ): Promise<Page<Subscription>> {
    return this.#work.repositories.subscriptions.list({
      ...query,
      viewer: await this.#access.viewerOf(actor),
    });
  }

  async getSubscription(actor: Actor, id: string): Promise<Subscription> {
    return (await getContext(this.#work.repositories, id, await this.#access.viewerOf(actor))).subscription;
  }

  async requestSubscription(
    actor: Actor,
    request: RequestSubscriptionRequest,
  ): Promise<Subscription> {
    const seenConsumer = await this.#access.authorizeOn(
      actor,
      bromSubscriptionRequestPermission,
      request.consumer,
    );
    return this.#work.write(async repositories => {
      const consumer = await applicationForWrite(
        repositories.applications,
        request.consumer,
        seenConsumer,
      );
      const producer = await getApplication(repositories.applications, request.producer);
      if (producer.deletedAt) throw applicationBeingDeleted(producer.name);
      // The consumer's owners must be able to see the type, whoever asks for them.
      const type = await repositories.notificationTypes.findVisible(
        producer,
        request.notificationType,
        { claims: [consumer.owner], isAdmin: false },
      );
      if (!type) {
        throw new NotFoundError(
          `Notification type "${producer.name}/${request.notificationType}" does not exist`,
        );
      }
      if (type.deletedAt) throw typeBeingDeleted(producer.name, type.name);
      if (type.deprecation) throw typeDeprecated(type);
      const now = this.#clock().toISOString();
      const autoApprove = !type.requiresApproval;
      const existing = await repositories.subscriptions.findOf(consumer, type);
      if (existing && LIVE_SUBSCRIPTION_STATES.includes(existing.state)) {
        throw new ConflictError(
          `"${consumer.name}" has already ${existing.state === 'approved' ? 'been approved for' : 'requested'} "${producer.name}/${type.name}"`,
        );
      }
      const subscription: Subscription = {
        id: existing?.id ?? randomUUID(),
        consumer: consumer.name,
        producer: producer.name,
        notificationType: type.name,
        routingKeyPattern: type.routingKeyPattern,
        state: autoApprove ? 'approved' : 'requested',
        justification: request.justification,
        requestedBy: actor.userEntityRef,
        requestedAt: now,
        decidedBy: null,
        decidedAt: autoApprove ? now : null,
        reason: autoApprove
          ? 'Approved automatically: this notification type needs no approval'
          : null,
        notificationTypeDeprecation: null,
        generation: (existing?.generation ?? 0) + 1,
        updatedAt: now,
      };
      if (existing) {
        await repositories.subscriptions.update(subscription, existing.generation, {
          requiresApproval: type.requiresApproval,
        });
      } else {
        await repositories.subscriptions.insert(subscription, {
          consumerId: consumer.id,
          typeId: type.id,
          requiresApproval: type.requiresApproval,
        });
      }
      await recordAudit(repositories.audit, {
        actor,
        at: now,
        action: existing ? 'subscription.re-requested' : 'subscription.requested',
        target: subscription,
        applications: [producer, consumer],
        before: existing ?? null,
        after: subscription,
      });
      const envelope = {
        aggregate: { kind: 'subscription', id: subscription.id },
        actor: actor.userEntityRef,
        at: now,
        subscription,
      } as const;
      await repositories.events.append({
        ...envelope,
        type: 'subscription.requested',
        reRequested: Boolean(existing),
      });
      if (autoApprove) {
        await recordAudit(repositories.audit, {
          actor,
          at: now,
          action: 'subscription.auto-approved',
          target: subscription,
          applications: [producer, consumer],
          after: subscription,
        });
        await repositories.events.append({
          ...envelope,
          type: 'subscription.approved',
          automatic: true,
        });
      }
      return subscription;
    });
  }

  approveSubscription(
    actor: Actor,
    id: string,
    request: ApproveSubscriptionRequest,
  ): Promise<Subscription> {
    return this.#decide(actor, id, request.generation, 'approve', request.reason ?? null);
  }

  rejectSubscription(
    actor: Actor,
    id: string,
    request: ReasonedDecisionRequest,
  ): Promise<Subscription> {
    return this.#decide(actor, id, request.generation, 'reject', request.reason);
  }

  /** Revoking is open to both sides; a consumer revoking a pending request cancels it. */
  revokeSubscription(
    actor: Actor,
    id: string,
    request: ReasonedDecisionRequest,
  ): Promise<Subscription> {
    return this.#decide(actor, id, request.generation, 'revoke', request.reason);
  }

  /**
   * Revokes a live subscription whose producer or type an administrator deletes by force,
   * in the deleting transaction: the revoke path of a decision without its checks.
   */
  async forceRevoke(
    repositories: BromRepositories,
    actor: Actor,
    subscription: Subscription,
    reason: string,
  ): Promise<Subscription> {
    const context = await getContext(repositories, subscription.id);
    return this.#transition(repositories, actor, context, 'revoke', reason);
  }

  /**
   * Ends a live subscription whose type reached its sunset, in the sunset task's
   * transaction: the subscription is revoked with `reason`, audited as
   * `subscription.ended-by-sunset` and announced as `subscription.endedBySunset`.
   */
  async endBySunset(
    repositories: BromRepositories,
    actor: Pick<Actor, 'userEntityRef'>,
    subscription: Subscription,
    reason: string,
  ): Promise<Subscription> {
    const context = await getContext(repositories, subscription.id);
    return this.#transition(repositories, actor, context, 'revoke', reason, 'sunset');
  }

  async #decide(
    actor: Actor,
    id: string,
    generation: number,
    decision: Decision,
    reason: string | null,
  ): Promise<Subscription> {
    // A subscription to a type hidden from the actor does not exist for them.
    const seen = await getContext(this.#work.repositories, id, await this.#access.viewerOf(actor));
    if (decision === 'revoke') {
      const [asProducer, asConsumer] = await Promise.all([
        this.#access.isAllowed(actor, bromSubscriptionDecidePermission, seen.producer.name),
        this.#access.isAllowed(actor, bromSubscriptionRequestPermission, seen.consumer.name),
      ]);
      if (!asProducer && !asConsumer) {
        throw new NotAllowedError(
          `Only the owners of "${seen.producer.name}" or "${seen.consumer.name}" can revoke this subscription`,
        );
      }
    } else {
      await this.#access.authorizeOn(actor, bromSubscriptionDecidePermission, seen.producer.name);
    }
    return this.#work.write(async repositories => {
      const current = await getContext(repositories, id);
      const subscription = current.subscription;
      assertGeneration('The subscription', subscription, generation);
      const allowedFrom: SubscriptionState[] =
        decision === 'revoke' ? LIVE_SUBSCRIPTION_STATES : ['requested'];
      if (!allowedFrom.includes(subscription.state)) {
        throw new ConflictError(
          `The subscription is ${subscription.state}; only a ${allowedFrom.join(' or ')} subscription can be ${STATE_AFTER[decision]}`,
        );
      }
      // The rule the request was made under, not the type's current one: switching the
      // type's rule off and on again must not let the requester decide.
      if (
        decision !== 'revoke' &&
        current.requiresApproval &&
        subscription.requestedBy === actor.userEntityRef
      ) {
        throw new NotAllowedError(
          `You requested this subscription, so someone else from the producer\u2019s team must ${decision} it`,
        );
      }
      return this.#transition(repositories, actor, current, decision, reason);
    });
  }

  async #transition(
    repositories: BromRepositories,
    actor: Pick<Actor, 'userEntityRef'>,
    context: SubscriptionContext,
    decision: Decision,
    reason: string | null,
    cause: 'decision' | 'sunset' = 'decision',
  ): Promise<Subscription> {
    const { subscription } = context;
    const now = this.#clock().toISOString();
    const state = STATE_AFTER[decision];
    const next = nextGeneration(subscription, now, {
      state,
      decidedBy: actor.userEntityRef,
      decidedAt: now,
      reason,
    });
    // The generation in the WHERE clause makes a concurrent decision a no-op we can see.
    if (!(await repositories.subscriptions.update(next, subscription.generation))) {
      throw new ConflictError(
        'The subscription was changed concurrently; reload it and try again',
      );
    }
    await recordAudit(repositories.audit, {
      actor,
      at: now,
      action: cause === 'sunset' ? 'subscription.ended-by-sunset' : `subscription.${state}`,
      target: next,
      applications: [context.producer, context.consumer],
      before: subscription,
      after: next,
    });
    const envelope = {
      aggregate: { kind: 'subscription', id: next.id },
      actor: actor.userEntityRef,
      at: now,
      subscription: next,
    } as const;
    if (cause === 'sunset') {
      await repositories.events.append({
        ...envelope,
        type: 'subscription.endedBySunset',
        successor: context.type.deprecation?.successor ?? null,
      });
    } else {
      await repositories.events.append(
        state === 'approved'
          ? { ...envelope, type: 'subscription.approved', automatic: false }
          : { ...envelope, type: `subscription.${state}` },
      );
    }
    return next;
  }
}

/** A 409 for a request to a deprecated type, naming its successor. */
function typeDeprecated(type: NotificationType) {
  const deprecation = type.deprecation!;
  const ref = `${type.application}/${type.name}`;
  const sunset = deprecation.sunsetAt.slice(0, 10);
  return new ConflictError(
    deprecation.successor
      ? `Notification type "${ref}" is deprecated and ends on ${sunset}; request its successor "${type.application}/${deprecation.successor}" instead`
      : `Notification type "${ref}" is deprecated and ends on ${sunset}; it takes no new subscriptions and has no successor`,
  );
}

async function getContext(
  repositories: BromRepositories,
  id: string,
  visibleTo?: Viewer,
): Promise<SubscriptionContext> {
  const context = await repositories.subscriptions.findContext(id, { visibleTo });
  if (!context) throw new NotFoundError(`Subscription ${id} does not exist`);
  return context;
}

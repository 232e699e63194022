import {
  Application,
  NotificationType,
  Page,
  Subscription,
  SubscriptionState,
} from '@internal/plugin-brom-common';
import { Kysely } from 'kysely';
import { withExternalProducer } from './ApplicationStore';
import { toApplication, toDeprecation, toNotificationType, toSubscription } from './mappers';
import {
  matchesSearch,
  OwnerFilter,
  ownerCriteria,
  pageByKey,
  SortedPageQuery,
} from './queries';
import { BromTables, SubscriptionRow } from './tables';
import { subscriptionVisibleTo, Viewer } from './visibility';

/** A subscription is live while it is requested or approved. */
export const LIVE_SUBSCRIPTION_STATES: SubscriptionState[] = ['requested', 'approved'];

export type SubscriptionSort = 'updatedAt' | 'requestedAt' | 'consumer' | 'producer';

/** The columns each sort orders by, the unique id last. */
const SUBSCRIPTION_SORT_COLUMNS: Record<SubscriptionSort, string[]> = {
  updatedAt: ['s.updated_at', 's.id'],
  requestedAt: ['s.requested_at', 's.id'],
  consumer: ['c.name', 'p.name', 't.name', 's.id'],
  producer: ['p.name', 't.name', 'c.name', 's.id'],
};

export interface SubscriptionListQuery extends SortedPageQuery<SubscriptionSort> {
  consumer?: string;
  producer?: string;
  notificationType?: string;
  state?: SubscriptionState;
  /** Only in one of these states. */
  states?: SubscriptionState[];
  /** Case-insensitive substring of the consumer's, producer's or type's name, or the justification. */
  q?: string;
  /** Only subscriptions this viewer may see. */
  viewer: Viewer;
  /** Only subscriptions of consumers whose owner the permission criteria allow. */
  consumerAllowed?: OwnerFilter;
  /** Only subscriptions to producers whose owner the permission criteria allow. */
  producerAllowed?: OwnerFilter;
}

/** A subscription with the applications and the type it joins. */
export interface SubscriptionContext {
  subscription: Subscription;
  consumer: Application;
  producer: Application;
  type: NotificationType;
  /** Whether the request was made under the type's "requires approval" rule. */
  requiresApproval: boolean;
}

export interface SubscriptionStore {
  list(query: SubscriptionListQuery): Promise<Page<Subscription>>;
  /** The subscription, if it exists and, given a viewer, the viewer may see it. */
  findContext(
    id: string,
    options?: { visibleTo?: Viewer },
  ): Promise<SubscriptionContext | undefined>;
  /** Which of `ids` exist and the viewer may see. */
  visibleIds(ids: readonly string[], viewer: Viewer): Promise<Set<string>>;
  /** The subscription of a consumer to a type, in whatever state. */
  findOf(consumer: Application, type: NotificationType): Promise<Subscription | undefined>;
  /**
   * Whether the application has any subscription row as a consumer, in whatever state: any
   * such row keeps its queue and dead-letter queue (see `desiredTopology`).
   */
  hasConsumerRows(applicationId: string): Promise<boolean>;
  /** Live subscriptions to a producer's types or to one type, by consumer name. */
  listLive(of: { producerId: string } | { typeId: string }): Promise<Subscription[]>;
  insert(
    subscription: Subscription,
    of: { consumerId: string; typeId: string; requiresApproval: boolean },
  ): Promise<void>;
  /**
   * Writes the subscription's new state if it is still at `fromGeneration`; false when a
   * concurrent change got there first. A new request gives the rule it is made under.
   */
  update(
    subscription: Subscription,
    fromGeneration: number,
    request?: { requiresApproval: boolean },
  ): Promise<boolean>;
}

/** The type's deprecation columns, selected beside a subscription. */
const DEPRECATION_SELECTION = [
  't.deprecated_at as type_deprecated_at',
  't.deprecated_by as type_deprecated_by',
  't.sunset_at as type_sunset_at',
  't.successor as type_successor',
] as const;

function typeDeprecation(row: {
  type_deprecated_at: string | null;
  type_deprecated_by: string | null;
  type_sunset_at: string | null;
  type_successor: string | null;
}) {
  return toDeprecation({
    deprecated_at: row.type_deprecated_at,
    deprecated_by: row.type_deprecated_by,
    sunset_at: row.type_sunset_at,
    successor: row.type_successor,
  });
}

/** The columns of `#joined()` the visibility rule reads. */
const VISIBILITY_COLUMNS = {
  visibility: 't.visibility',
  producerOwner: 'p.owner',
  consumerOwner: 'c.owner',
};

export class DatabaseSubscriptionStore implements SubscriptionStore {
  readonly #db: Kysely<BromTables>;

  private constructor(db: Kysely<BromTables>) {
    this.#db = db;
  }

  static create(options: { db: Kysely<BromTables> }): SubscriptionStore {
    return new DatabaseSubscriptionStore(options.db);
  }

  #joined() {
    return this.#db
      .selectFrom('brom_subscriptions as s')
      .innerJoin('brom_applications as c', 'c.id', 's.consumer_application_id')
      .innerJoin('brom_notification_types as t', 't.id', 's.notification_type_id')
      .innerJoin('brom_applications as p', 'p.id', 't.application_id');
  }

  async list(query: SubscriptionListQuery): Promise<Page<Subscription>> {
    let base = this.#joined();
    if (query.consumer) base = base.where('c.name', '=', query.consumer);
    if (query.producer) base = base.where('p.name', '=', query.producer);
    if (query.notificationType) base = base.where('t.name', '=', query.notificationType);
    if (query.state) base = base.where('s.state', '=', query.state);
    if (query.states) base = base.where('s.state', 'in', query.states);
    if (query.q) {
      base = base.where(matchesSearch(query.q, ['c.name', 'p.name', 't.name', 's.justification']));
    }
    base = base.where(eb => subscriptionVisibleTo(eb, query.viewer, VISIBILITY_COLUMNS));
    for (const [column, allowed] of [
      ['c.owner', query.consumerAllowed],
      ['p.owner', query.producerAllowed],
    ] as const) {
      if (!allowed) continue;
      base = base.where(eb => ownerCriteria(eb, column, allowed));
    }
    const { rows, page } = await pageByKey(
      this.#db,
      base,
      q =>
        q.selectAll('s').select([
          'c.name as consumer_name',
          'c.owner as consumer_owner',
          'p.name as producer_name',
          'p.owner as producer_owner',
          't.name as type_name',
          't.routing_key_pattern as type_pattern',
          ...DEPRECATION_SELECTION,
        ]),
      SUBSCRIPTION_SORT_COLUMNS,
      { sort: 'updatedAt', order: 'desc' },
      query,
    );
    return {
      items: rows.map(r => ({
        ...toSubscription(r, {
          consumer: r.consumer_name,
          producer: r.producer_name,
          notificationType: r.type_name,
          routingKeyPattern: r.type_pattern,
          deprecation: typeDeprecation(r),
        }),
        consumerOwner: r.consumer_owner,
        producerOwner: r.producer_owner,
      })),
      ...page,
    };
  }

  async findContext(
    id: string,
    options: { visibleTo?: Viewer } = {},
  ): Promise<SubscriptionContext | undefined> {
    const viewer = options.visibleTo;
    if (viewer) {
      const visible = await this.#joined()
        .select('s.id')
        .where('s.id', '=', id)
        .where(eb => subscriptionVisibleTo(eb, viewer, VISIBILITY_COLUMNS))
        .executeTakeFirst();
      if (!visible) return undefined;
    }
    const row = await this.#db
      .selectFrom('brom_subscriptions')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst();
    if (!row) return undefined;
    const type = await this.#db
      .selectFrom('brom_notification_types')
      .selectAll()
      .where('id', '=', row.notification_type_id)
      .executeTakeFirstOrThrow();
    const apps = await withExternalProducer(this.#db.selectFrom('brom_applications'))
      .where('id', 'in', [row.consumer_application_id, type.application_id])
      .execute();
    const consumer = toApplication(apps.find(a => a.id === row.consumer_application_id)!);
    const producer = toApplication(apps.find(a => a.id === type.application_id)!);
    return {
      subscription: toSubscription(row, {
        consumer: consumer.name,
        producer: producer.name,
        notificationType: type.name,
        routingKeyPattern: type.routing_key_pattern,
        deprecation: toDeprecation(type),
      }),
      consumer,
      producer,
      type: toNotificationType(type, producer.name),
      requiresApproval: Boolean(row.requires_approval),
    };
  }

  async visibleIds(ids: readonly string[], viewer: Viewer): Promise<Set<string>> {
    const visible = new Set<string>();
    for (let i = 0; i < ids.length; i += 500) {
      const rows = await this.#joined()
        .select('s.id')
        .where('s.id', 'in', ids.slice(i, i + 500))
        .where(eb => subscriptionVisibleTo(eb, viewer, VISIBILITY_COLUMNS))
        .execute();
      for (const row of rows) visible.add(row.id);
    }
    return visible;
  }

  async findOf(consumer: Application, type: NotificationType) {
    const row = await this.#db
      .selectFrom('brom_subscriptions')
      .selectAll()
      .where('consumer_application_id', '=', consumer.id)
      .where('notification_type_id', '=', type.id)
      .executeTakeFirst();
    return (
      row &&
      toSubscription(row, {
        consumer: consumer.name,
        producer: type.application,
        notificationType: type.name,
        routingKeyPattern: type.routingKeyPattern,
        deprecation: type.deprecation,
      })
    );
  }

  async hasConsumerRows(applicationId: string): Promise<boolean> {
    const row = await this.#db
      .selectFrom('brom_subscriptions')
      .select('id')
      .where('consumer_application_id', '=', applicationId)
      .limit(1)
      .executeTakeFirst();
    return row !== undefined;
  }

  async listLive(of: { producerId: string } | { typeId: string }) {
    let query = this.#joined()
      .selectAll('s')
      .select([
        'c.name as consumer_name',
        'p.name as producer_name',
        't.name as type_name',
        't.routing_key_pattern as type_pattern',
        ...DEPRECATION_SELECTION,
      ])
      .where('s.state', 'in', LIVE_SUBSCRIPTION_STATES);
    query =
      'producerId' in of
        ? query.where('t.application_id', '=', of.producerId)
        : query.where('t.id', '=', of.typeId);
    const rows = await query.orderBy('c.name').execute();
    return rows.map(r =>
      toSubscription(r, {
        consumer: r.consumer_name,
        producer: r.producer_name,
        notificationType: r.type_name,
        routingKeyPattern: r.type_pattern,
        deprecation: typeDeprecation(r),
      }),
    );
  }

  async insert(
    subscription: Subscription,
    of: { consumerId: string; typeId: string; requiresApproval: boolean },
  ) {
    await this.#db
      .insertInto('brom_subscriptions')
      .values({
        ...toColumns(subscription),
        id: subscription.id,
        consumer_application_id: of.consumerId,
        notification_type_id: of.typeId,
        requires_approval: of.requiresApproval,
      })
      .execute();
  }

  async update(
    subscription: Subscription,
    fromGeneration: number,
    request?: { requiresApproval: boolean },
  ) {
    const result = await this.#db
      .updateTable('brom_subscriptions')
      .set({
        ...toColumns(subscription),
        ...(request ? { requires_approval: request.requiresApproval } : {}),
      })
      .where('id', '=', subscription.id)
      .where('generation', '=', fromGeneration)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }
}

function toColumns(subscription: Subscription) {
  return {
    state: subscription.state,
    justification: subscription.justification,
    requested_by: subscription.requestedBy,
    requested_at: subscription.requestedAt,
    decided_by: subscription.decidedBy,
    decided_at: subscription.decidedAt,
    reason: subscription.reason,
    generation: subscription.generation,
    updated_at: subscription.updatedAt,
  } satisfies Partial<SubscriptionRow>;
}

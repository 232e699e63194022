import {
  Application,
  NotificationType,
  Subscription,
} from '@internal/plugin-brom-common';
import { Kysely } from 'kysely';
import { toApplication, toDeprecation, toNotificationType, toSubscription } from './mappers';
import { DomainEvent } from '../service/events/DomainEvent';
import { inChunks } from './inChunks';
import {
  ApplicationRow,
  BromTables,
  NotificationTypeRow,
  SubscriptionRow,
} from './tables';

/** The live part of the desired state, as the catalog shows it. */
export interface LiveState {
  /** Live applications by name. */
  applications: Application[];
  /** Live types of live applications, by name. */
  notificationTypes: NotificationType[];
  /** Approved subscriptions of live consumers to live types. */
  approvedSubscriptions: Subscription[];
}

export interface CatalogStore {
  /** The live state; with `applicationNames`, only those applications' part of it. */
  liveState(applicationNames?: string[]): Promise<LiveState>;
  /**
   * Names of the applications whose catalog entities the domain events after `after` may have
   * changed, and the position of the last of them; `applications` is undefined when there
   * are more than `limit` events or `after` is beyond the log (a restored database).
   */
  changesSince(
    after: number,
    limit: number,
  ): Promise<{ sequence: number; applications: string[] | undefined }>;
  /** The newest domain event's position, 0 when there is none. */
  latestSequence(): Promise<number>;
}

export class DatabaseCatalogStore implements CatalogStore {
  readonly #db: Kysely<BromTables>;

  private constructor(db: Kysely<BromTables>) {
    this.#db = db;
  }

  static create(options: { db: Kysely<BromTables> }): CatalogStore {
    return new DatabaseCatalogStore(options.db);
  }

  async liveState(applicationNames?: string[]): Promise<LiveState> {
    if (applicationNames) return this.#liveStateOf(applicationNames);
    const apps = await this.#db
      .selectFrom('brom_applications')
      .selectAll()
      .where('deleted_at', 'is', null)
      .orderBy('name')
      .execute();
    const names = new Map(apps.map(a => [a.id, a.name]));
    const types = (
      await this.#db
        .selectFrom('brom_notification_types')
        .selectAll()
        .where('deleted_at', 'is', null)
        .orderBy('name')
        .execute()
    ).filter(t => names.has(t.application_id));
    const subscriptions = await this.#db
      .selectFrom('brom_subscriptions')
      .selectAll()
      .where('state', '=', 'approved')
      .execute();
    return liveStateOf(apps, names, types, subscriptions);
  }

  /**
   * The part of the live state that decides the entities of `applicationNames`: those
   * applications, their types and the approved subscriptions of their queues, with the
   * producers and types those name (read by index; nothing else).
   */
  async #liveStateOf(applicationNames: string[]): Promise<LiveState> {
    const apps = await inChunks(applicationNames, chunk =>
      this.#db
        .selectFrom('brom_applications')
        .selectAll()
        .where('deleted_at', 'is', null)
        .where('name', 'in', chunk)
        .orderBy('name')
        .execute(),
    );
    const ids = apps.map(a => a.id);
    const own = await inChunks(ids, chunk =>
      this.#db
        .selectFrom('brom_notification_types')
        .selectAll()
        .where('deleted_at', 'is', null)
        .where('application_id', 'in', chunk)
        .orderBy('name')
        .execute(),
    );
    const subscriptions = await inChunks(ids, chunk =>
      this.#db
        .selectFrom('brom_subscriptions')
        .selectAll()
        .where('state', '=', 'approved')
        .where('consumer_application_id', 'in', chunk)
        .execute(),
    );
    // The types and producers the subscriptions name, for their names.
    const ownIds = new Set(own.map(t => t.id));
    const named = await inChunks(
      [...new Set(subscriptions.map(s => s.notification_type_id))].filter(
        id => !ownIds.has(id),
      ),
      chunk =>
        this.#db
          .selectFrom('brom_notification_types')
          .selectAll()
          .where('deleted_at', 'is', null)
          .where('id', 'in', chunk)
          .execute(),
    );
    const appIds = new Set(ids);
    const producers = await inChunks(
      [...new Set(named.map(t => t.application_id))].filter(
        id => !appIds.has(id),
      ),
      chunk =>
        this.#db
          .selectFrom('brom_applications')
          .select(['id', 'name'])
          .where('deleted_at', 'is', null)
          .where('id', 'in', chunk)
          .execute(),
    );
    const names = new Map([...apps, ...producers].map(a => [a.id, a.name]));
    const state = liveStateOf(
      apps,
      names,
      [...own, ...named.filter(t => names.has(t.application_id))],
      subscriptions,
    );
    // Only the applications' own types are theirs to show.
    return {
      ...state,
      notificationTypes: state.notificationTypes.filter(t => ownIds.has(t.id)),
    };
  }

  async changesSince(
    after: number,
    limit: number,
  ): Promise<{ sequence: number; applications: string[] | undefined }> {
    const latest = await this.latestSequence();
    if (after > latest) return { sequence: latest, applications: undefined };
    const events = await this.#db
      .selectFrom('brom_domain_events')
      .select(['sequence', 'aggregate_kind', 'aggregate_id', 'payload'])
      .where('sequence', '>', after)
      .orderBy('sequence')
      .limit(limit + 1)
      .execute();
    if (events.length > limit)
      return { sequence: latest, applications: undefined };
    const sequence = events.length
      ? Number(events[events.length - 1].sequence)
      : after;
    const names = new Set<string>();
    const producers: string[] = [];
    const types: string[] = [];
    for (const event of events) {
      const payload = JSON.parse(event.payload) as DomainEvent;
      // An application's entities show its title and owner, its types and its
      // subscriptions; its consumers' components name its types.
      if ('application' in payload) {
        names.add(payload.application.name);
        producers.push(event.aggregate_id);
      } else if ('notificationType' in payload) {
        names.add(payload.notificationType.application);
        types.push(event.aggregate_id);
      } else if ('subscription' in payload) {
        names.add(payload.subscription.consumer);
      }
    }
    // Consumers whose components name the changed producers' types.
    const consumers = await inChunks([...new Set(types)], chunk =>
      this.#db
        .selectFrom('brom_subscriptions as s')
        .innerJoin(
          'brom_applications as a',
          'a.id',
          's.consumer_application_id',
        )
        .select('a.name')
        .where('s.notification_type_id', 'in', chunk)
        .where('s.state', '=', 'approved')
        .execute(),
    );
    consumers.push(
      ...(await inChunks([...new Set(producers)], chunk =>
        this.#db
          .selectFrom('brom_subscriptions as s')
          .innerJoin(
            'brom_notification_types as t',
            't.id',
            's.notification_type_id',
          )
          .innerJoin(
            'brom_applications as a',
            'a.id',
            's.consumer_application_id',
          )
          .select('a.name')
          .where('t.application_id', 'in', chunk)
          .where('s.state', '=', 'approved')
          .execute(),
      )),
    );
    for (const c of consumers) names.add(c.name);
    return { sequence, applications: [...names].sort() };
  }

  async latestSequence(): Promise<number> {
    const row = await this.#db
      .selectFrom('brom_domain_events')
      .select(eb => eb.fn.max('sequence').as('latest'))
      .executeTakeFirst();
    return Number(row?.latest ?? 0);
  }
}

function liveStateOf(
  apps: ApplicationRow[],
  names: Map<string, string>,
  liveTypes: NotificationTypeRow[],
  approved: SubscriptionRow[],
): LiveState {
  const types = liveTypes;
  const typeById = new Map(types.map(t => [t.id, t]));
  const subscriptions = approved.filter(
    s =>
      names.has(s.consumer_application_id) &&
      typeById.has(s.notification_type_id),
  );
  return {
    applications: apps.map(toApplication),
    notificationTypes: types.map(t =>
      toNotificationType(t, names.get(t.application_id)!),
    ),
    approvedSubscriptions: subscriptions.map(s => {
      const type = typeById.get(s.notification_type_id)!;
      return toSubscription(s, {
        consumer: names.get(s.consumer_application_id)!,
        producer: names.get(type.application_id)!,
        notificationType: type.name,
        routingKeyPattern: type.routing_key_pattern,
        deprecation: toDeprecation(type),
      });
    }),
  };
}

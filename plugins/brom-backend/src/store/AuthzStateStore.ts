import { Kysely, sql } from 'kysely';
import { DomainEvent, DomainEventType } from '../service/events/DomainEvent';
import { inChunks } from './inChunks';
import { BromTables } from './tables';

/** What the authorisation policy is derived from, read in the caller's transaction. */
export interface AuthzState {
  /** Live applications by name. */
  applications: Array<{ id: string; name: string }>;
  /** Routing-key patterns of live types, by pattern. */
  notificationTypes: Array<{
    applicationId: string;
    routingKeyPattern: string;
  }>;
  /** Applications that have or had a subscription, so the reconciler declared their queues. */
  consumerIds: Set<string>;
  /** Credentials neither revoked nor expired, by username. */
  credentials: Array<{
    applicationId: string;
    username: string;
    salt: string;
    hash: string;
    expiresAt: string | null;
  }>;
}

/**
 * A place in the change log (the domain events): the newest event's sequence and aggregate,
 * which a later read checks is still there (a database restored from a backup has other
 * events under the same sequences).
 */
export interface AuthzLogPosition {
  sequence: number;
  aggregateId: string | null;
}

export interface AuthzStateStore {
  /** The whole state, or only that of the applications `applicationIds`. */
  read(now: string, applicationIds?: string[]): Promise<AuthzState>;
  /** Where the change log ends. */
  logPosition(): Promise<AuthzLogPosition>;
  /**
   * The applications whose policy the changes after `from` may have changed, and where the
   * log ends; undefined when the log cannot say: more than `limit` changes, or `from` is not
   * in it as it was.
   */
  changedApplications(
    from: AuthzLogPosition,
    limit: number,
  ): Promise<
    { position: AuthzLogPosition; applicationIds: Set<string> } | undefined
  >;
}

/** The events whose payload names rows they removed (the rows cannot name them any more). */
const FINALIZED_EVENTS: DomainEventType[] = [
  'application.finalized',
  'notificationType.finalized',
];

export class DatabaseAuthzStateStore implements AuthzStateStore {
  readonly #db: Kysely<BromTables>;

  private constructor(db: Kysely<BromTables>) {
    this.#db = db;
  }

  static create(options: { db: Kysely<BromTables> }): AuthzStateStore {
    return new DatabaseAuthzStateStore(options.db);
  }

  async read(now: string, applicationIds?: string[]): Promise<AuthzState> {
    // Either every row, or those of the applications named, 500 at a time.
    const of = async <T>(query: (ids: string[] | undefined) => Promise<T[]>) =>
      applicationIds ? inChunks(applicationIds, query) : query(undefined);
    const applications = await of(ids => {
      let q = this.#db
        .selectFrom('brom_applications')
        .select(['id', 'name'])
        .where('deleted_at', 'is', null);
      if (ids) q = q.where('id', 'in', ids);
      return q.orderBy('name').execute();
    });
    const types = await of(ids => {
      let q = this.#db
        .selectFrom('brom_notification_types')
        .select(['application_id', 'routing_key_pattern'])
        .where('deleted_at', 'is', null);
      if (ids) q = q.where('application_id', 'in', ids);
      return q.orderBy('routing_key_pattern').execute();
    });
    const consumers = await of(ids => {
      let q = this.#db
        .selectFrom('brom_subscriptions')
        .select('consumer_application_id')
        .distinct();
      if (ids) q = q.where('consumer_application_id', 'in', ids);
      return q.execute();
    });
    const credentials = await of(ids => {
      let q = this.#db
        .selectFrom('brom_credentials')
        .select(['application_id', 'username', 'salt', 'hash', 'expires_at'])
        .where('revoked_at', 'is', null)
        .where(eb =>
          eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', now)]),
        );
      if (ids) q = q.where('application_id', 'in', ids);
      return q.orderBy('username').execute();
    });
    return {
      applications,
      notificationTypes: types.map(t => ({
        applicationId: t.application_id,
        routingKeyPattern: t.routing_key_pattern,
      })),
      consumerIds: new Set(consumers.map(c => c.consumer_application_id)),
      credentials: credentials.map(c => ({
        applicationId: c.application_id,
        username: c.username,
        salt: c.salt,
        hash: c.hash,
        expiresAt: c.expires_at,
      })),
    };
  }

  async logPosition(): Promise<AuthzLogPosition> {
    const row = await this.#db
      .selectFrom('brom_domain_events')
      .select(['sequence', 'aggregate_id'])
      .orderBy('sequence', 'desc')
      .limit(1)
      .executeTakeFirst();
    return row
      ? { sequence: Number(row.sequence), aggregateId: row.aggregate_id }
      : { sequence: 0, aggregateId: null };
  }

  async changedApplications(from: AuthzLogPosition, limit: number) {
    // From `from` itself, to check that it is still the event it was.
    // The payload only of the events that need it: a finalized row is named by its event.
    const rows = await this.#db
      .selectFrom('brom_domain_events')
      .select(['sequence', 'type', 'aggregate_kind', 'aggregate_id'])
      .select(
        sql<string | null>`case when type in (${sql.join(
          FINALIZED_EVENTS,
        )}) then payload end`.as('payload'),
      )
      .where('sequence', '>=', from.sequence)
      .orderBy('sequence')
      .limit(limit + 2)
      .execute();
    const events = rows.filter(r => Number(r.sequence) > from.sequence);
    if (from.sequence > 0) {
      const first = rows[0];
      if (!first || Number(first.sequence) !== from.sequence) return undefined;
      if (first.aggregate_id !== from.aggregateId) return undefined;
    }
    if (events.length > limit) return undefined;

    // Which applications each change touches: an application its own entries; a type its
    // producer's write permissions; a subscription its consumer's read permissions; a
    // credential its application. A row removed since (finalized) is named by the event
    // that removed it.
    const applicationIds = new Set<string>();
    const ids = (kind: string) => [
      ...new Set(
        events.filter(e => e.aggregate_kind === kind).map(e => e.aggregate_id),
      ),
    ];
    for (const id of ids('application')) applicationIds.add(id);
    const lookups = [
      ['notificationType', 'brom_notification_types', 'application_id'],
      ['subscription', 'brom_subscriptions', 'consumer_application_id'],
      ['credential', 'brom_credentials', 'application_id'],
    ] as const;
    for (const [kind, table, column] of lookups) {
      const found = await inChunks(ids(kind), chunk =>
        this.#db
          .selectFrom(table)
          .select(`${column} as applicationId`)
          .where('id', 'in', chunk)
          .execute(),
      );
      for (const row of found) applicationIds.add(row.applicationId);
    }
    for (const event of events) {
      if (event.payload === null) continue;
      const finalized = JSON.parse(event.payload) as DomainEvent;
      if ('consumerIds' in finalized)
        finalized.consumerIds.forEach(id => applicationIds.add(id));
      if ('producerId' in finalized) applicationIds.add(finalized.producerId);
    }
    const last = events.length ? events[events.length - 1] : undefined;
    return {
      position: last
        ? { sequence: Number(last.sequence), aggregateId: last.aggregate_id }
        : from,
      applicationIds,
    };
  }
}

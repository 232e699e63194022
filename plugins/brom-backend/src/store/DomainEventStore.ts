import { Kysely } from 'kysely';
import { DeliveredDomainEvent, DomainEvent } from '../service/events/DomainEvent';
import { BromStore } from './BromStore';
import { BromTables } from './tables';

/** Appends domain events inside a write transaction, so they commit with the change. */
export interface DomainEventOutbox {
  append(event: DomainEvent): Promise<void>;
}

export class DatabaseDomainEventOutbox implements DomainEventOutbox {
  readonly #db: Kysely<BromTables>;

  private constructor(db: Kysely<BromTables>) {
    this.#db = db;
  }

  static create(options: { db: Kysely<BromTables> }): DomainEventOutbox {
    return new DatabaseDomainEventOutbox(options.db);
  }

  async append(event: DomainEvent) {
    await this.#db
      .insertInto('brom_domain_events')
      .values({
        type: event.type,
        aggregate_kind: event.aggregate.kind,
        aggregate_id: event.aggregate.id,
        payload: JSON.stringify(event),
        recorded_at: event.at,
      })
      .execute();
  }
}

/** A subscriber's place in the outbox. */
export interface DomainEventCursor {
  subscriber: string;
  /** Sequence of the last event handled. */
  position: number;
  /** Failed deliveries since the last success. */
  attempts: number;
  nextAttemptAt: string | null;
}

/** What a claim leaves behind: the cursor's new place and backoff. */
export type CursorAdvance = Pick<DomainEventCursor, 'position' | 'attempts' | 'nextAttemptAt'> & {
  lastError: string | null;
};

/** The subscribers' side of the outbox. */
export interface DomainEventCursorStore {
  /** Sequence of the newest event, 0 when there is none. */
  latestSequence(): Promise<number>;
  /** Creates the subscriber's cursor at `position` unless it exists. */
  ensureCursor(subscriber: string, position: number): Promise<void>;
  /**
   * Claims the subscriber's cursor (on PostgreSQL a row lock that other replicas skip, held
   * until `handle` settles) and hands it the events after it, at most `limit`. What `handle`
   * returns is written to the cursor under the claim. Resolves false when another replica
   * holds the claim.
   */
  claim(
    subscriber: string,
    limit: number,
    handle: (
      cursor: DomainEventCursor,
      events: DeliveredDomainEvent[],
    ) => Promise<CursorAdvance | undefined>,
  ): Promise<boolean>;
}

export class DatabaseDomainEventCursorStore implements DomainEventCursorStore {
  readonly #db: Kysely<BromTables>;
  readonly #dialect: 'pg' | 'sqlite';

  private constructor(db: Kysely<BromTables>, dialect: 'pg' | 'sqlite') {
    this.#db = db;
    this.#dialect = dialect;
  }

  static create(options: { store: BromStore }): DomainEventCursorStore {
    // Cursor writes stay outside BromStore.write: they are not state changes, and bumping
    // the state version would wake every reader, this dispatcher included.
    return new DatabaseDomainEventCursorStore(options.store.db, options.store.dialect);
  }

  async latestSequence() {
    const row = await this.#db
      .selectFrom('brom_domain_events')
      .select(eb => eb.fn.max('sequence').as('latest'))
      .executeTakeFirst();
    return Number(row?.latest ?? 0);
  }

  async ensureCursor(subscriber: string, position: number) {
    await this.#db
      .insertInto('brom_domain_event_cursors')
      .values({
        subscriber,
        position,
        attempts: 0,
        next_attempt_at: null,
        last_error: null,
      })
      .onConflict(oc => oc.column('subscriber').doNothing())
      .execute();
  }

  async claim(
    subscriber: string,
    limit: number,
    handle: (
      cursor: DomainEventCursor,
      events: DeliveredDomainEvent[],
    ) => Promise<CursorAdvance | undefined>,
  ): Promise<boolean> {
    // SQLite is one process, whose dispatcher runs one claim per subscriber at a time; a
    // transaction there would hold the only connection while the handler runs, and a
    // handler that writes would wait on itself.
    if (this.#dialect === 'sqlite') {
      return this.#claimWith(this.#db, subscriber, limit, handle, false);
    }
    return this.#db
      .transaction()
      .execute(tx => this.#claimWith(tx, subscriber, limit, handle, true));
  }

  async #claimWith(
    db: Kysely<BromTables>,
    subscriber: string,
    limit: number,
    handle: (
      cursor: DomainEventCursor,
      events: DeliveredDomainEvent[],
    ) => Promise<CursorAdvance | undefined>,
    lock: boolean,
  ): Promise<boolean> {
    let query = db
      .selectFrom('brom_domain_event_cursors')
      .selectAll()
      .where('subscriber', '=', subscriber);
    if (lock) query = query.forUpdate().skipLocked();
    const row = await query.executeTakeFirst();
    if (!row) return false;
    const cursor: DomainEventCursor = {
      subscriber,
      position: Number(row.position),
      attempts: row.attempts,
      nextAttemptAt: row.next_attempt_at,
    };
    const events = await db
      .selectFrom('brom_domain_events')
      .select(['sequence', 'payload'])
      .where('sequence', '>', cursor.position)
      .orderBy('sequence')
      .limit(limit)
      .execute();
    const advance = await handle(
      cursor,
      events.map(e => ({ ...JSON.parse(e.payload), sequence: Number(e.sequence) })),
    );
    if (advance) {
      await db
        .updateTable('brom_domain_event_cursors')
        .set({
          position: advance.position,
          attempts: advance.attempts,
          next_attempt_at: advance.nextAttemptAt,
          last_error: advance.lastError,
        })
        .where('subscriber', '=', subscriber)
        .execute();
    }
    return true;
  }
}

import { ObjectStatus, UnmanagedObject } from '@internal/plugin-brom-common';
import { Kysely } from 'kysely';
import { BromTables, SyncStatusRow } from './tables';

/** The portal's read side of what the reconciler recorded about broker objects. */
export interface SyncStatusStore {
  /** The application's objects and the vhost's, by key. */
  listForApplication(application: { id: string; name: string }): Promise<ObjectStatus[]>;
  /** The recorded objects of these keys, with whether the reconciler manages them. */
  getMany(keys: string[]): Promise<Map<string, ObjectStatus & { managed: boolean }>>;
  /** When the reconciler last observed the whole vhost, if ever. */
  lastObservedAt(vhost: string): Promise<string | null>;
  /**
   * Unmanaged objects the last full pass found: all of them, or those touching one
   * application's exchange or queue.
   */
  listUnmanaged(filter?: { id: string } | { keys: string[] }): Promise<UnmanagedObject[]>;
}

export class DatabaseSyncStatusStore implements SyncStatusStore {
  readonly #db: Kysely<BromTables>;

  private constructor(db: Kysely<BromTables>) {
    this.#db = db;
  }

  static create(options: { db: Kysely<BromTables> }): SyncStatusStore {
    return new DatabaseSyncStatusStore(options.db);
  }

  async listForApplication(application: { id: string; name: string }) {
    const rows = await this.#db
      .selectFrom('brom_sync_status')
      .selectAll()
      .where(eb =>
        eb.or([eb('application_id', '=', application.id), eb('kind', '=', 'vhost')]),
      )
      .orderBy('key')
      .execute();
    return rows.map(row => toObjectStatus(row, application.name));
  }

  async getMany(keys: string[]) {
    const rows = keys.length
      ? await this.#db.selectFrom('brom_sync_status').selectAll().where('key', 'in', keys).execute()
      : [];
    return new Map(
      rows.map(row => [row.key, { ...toObjectStatus(row, ''), managed: Boolean(row.managed) }]),
    );
  }

  async lastObservedAt(vhost: string): Promise<string | null> {
    const row = await this.#db
      .selectFrom('brom_broker_observation')
      .select('observed_at')
      .where('vhost', '=', vhost)
      .executeTakeFirst();
    return row?.observed_at ?? null;
  }

  async listUnmanaged(filter?: { id: string } | { keys: string[] }): Promise<UnmanagedObject[]> {
    let query = this.#db
      .selectFrom('brom_unmanaged_objects as u')
      .leftJoin('brom_applications as s', 's.id', 'u.source_application_id')
      .leftJoin('brom_applications as d', 'd.id', 'u.destination_application_id')
      .select([
        'u.key',
        'u.kind',
        'u.name',
        'u.first_seen_at',
        's.name as source_name',
        'd.name as destination_name',
      ]);
    if (filter && 'keys' in filter) {
      if (filter.keys.length === 0) return [];
      query = query.where('u.key', 'in', filter.keys);
    } else if (filter) {
      const id = filter.id;
      query = query.where(eb =>
        eb.or([eb('u.source_application_id', '=', id), eb('u.destination_application_id', '=', id)]),
      );
    }
    const rows = await query.orderBy('u.key').execute();
    return rows.map(row => ({
      key: row.key,
      kind: row.kind,
      name: row.name,
      sourceApplication: row.source_name ?? null,
      destinationApplication: row.destination_name ?? null,
      firstSeenAt: row.first_seen_at,
    }));
  }
}

function toObjectStatus(row: SyncStatusRow, application: string): ObjectStatus {
  return {
    key: row.key,
    kind: row.kind as ObjectStatus['kind'],
    name: row.name,
    application: row.application_id ? application : null,
    subscriptionId: row.subscription_id,
    desiredGeneration: row.desired_generation,
    condition: {
      type: 'Ready',
      status: row.status as 'True' | 'False' | 'Unknown',
      reason: row.reason,
      message: row.message,
      observedGeneration: row.observed_generation,
      lastTransitionTime: row.last_transition_time,
    },
    attempts: row.attempts,
    lastAttemptAt: row.last_attempt_at,
    nextAttemptAt: row.next_attempt_at,
  };
}

import { ObjectStatus } from '@internal/plugin-brom-common';
import { Kysely } from 'kysely';
import { BromTables, SyncStatusRow } from './tables';

/** The portal's read side of what the reconciler recorded about broker objects. */
export interface SyncStatusStore {
  /** The application's objects and the vhost's, by key. */
  listForApplication(application: { id: string; name: string }): Promise<ObjectStatus[]>;
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

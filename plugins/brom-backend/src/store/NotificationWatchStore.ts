import { Kysely } from 'kysely';
import { BromStore } from './BromStore';
import { BromTables } from './tables';

/** A live credential that expires within the horizon asked for. */
export interface ExpiringCredential {
  id: string;
  username: string;
  expiresAt: string;
  application: { id: string; name: string; owner: string };
}

/** What the reconciler recorded about one application's broker objects, condensed. */
export interface ApplicationBrokerState {
  application: {
    id: string;
    name: string;
    owner: string;
    deleted: boolean;
    queueDeletionConfirmed: boolean;
  };
  /** Earliest transition to not-ready among its objects that are not ready; null when all are. */
  notReadySince: string | null;
  /** The message of an object held back because its queue holds messages, if any. */
  queueDeletionBlocked: string | null;
}

/** A notice already sent (see brom_notification_records). */
export interface NotificationRecord {
  key: string;
  applicationId: string;
  detail: string | null;
  recordedAt: string;
}

/** Reasons the reconciler gives when it keeps a queue because its owner has not confirmed. */
const QUEUE_HELD_REASONS = ['QueueNotEmpty', 'QueueMessageCountUnknown'];

/** Keys of the notices that an application's broker objects have not been ready for a while. */
export const BROKER_NOT_READY_PREFIX = 'broker-not-ready:';

/**
 * The scheduled notices' side of the store: what is about to expire or has been failing,
 * and which notices were already sent. Not state changes: nothing here bumps the version.
 */
export interface NotificationWatchStore {
  expiringCredentials(now: string, until: string): Promise<ExpiringCredential[]>;
  /**
   * The applications with a broker object that is not ready, with their not-ready summary,
   * and those with a `broker-not-ready:` notice on record (all ready again: `notReadySince`
   * null). Applications whose objects are all ready are not read: the check, every minute,
   * costs what is wrong, not the size of the store.
   */
  applicationBrokerStates(): Promise<ApplicationBrokerState[]>;
  records(prefix: string): Promise<NotificationRecord[]>;
  /** Records a notice; false when it was already recorded (another replica sent it). */
  record(record: NotificationRecord): Promise<boolean>;
  remove(key: string): Promise<void>;
}

export class DatabaseNotificationWatchStore implements NotificationWatchStore {
  readonly #db: Kysely<BromTables>;

  private constructor(db: Kysely<BromTables>) {
    this.#db = db;
  }

  static create(options: { store: BromStore }): NotificationWatchStore {
    return new DatabaseNotificationWatchStore(options.store.db);
  }

  async expiringCredentials(now: string, until: string): Promise<ExpiringCredential[]> {
    const rows = await this.#db
      .selectFrom('brom_credentials as c')
      .innerJoin('brom_applications as a', 'a.id', 'c.application_id')
      .select([
        'c.id as id',
        'c.username as username',
        'c.expires_at as expires_at',
        'a.id as application_id',
        'a.name as application_name',
        'a.owner as owner',
      ])
      .where('c.revoked_at', 'is', null)
      .where('a.deleted_at', 'is', null)
      .where('c.expires_at', 'is not', null)
      .where('c.expires_at', '>', now)
      .where('c.expires_at', '<=', until)
      .orderBy('c.expires_at')
      .execute();
    return rows.map(row => ({
      id: row.id,
      username: row.username,
      expiresAt: row.expires_at!,
      application: { id: row.application_id, name: row.application_name, owner: row.owner },
    }));
  }

  async applicationBrokerStates(): Promise<ApplicationBrokerState[]> {
    const alerted = this.#db
      .selectFrom('brom_notification_records')
      .select('application_id')
      .where('key', 'like', `${BROKER_NOT_READY_PREFIX}%`);
    const rows = await this.#db
      .selectFrom('brom_applications as a')
      .leftJoin('brom_sync_status as s', join =>
        join.onRef('s.application_id', '=', 'a.id').on('s.status', '<>', 'True'),
      )
      .where(eb => eb.or([eb('s.key', 'is not', null), eb('a.id', 'in', alerted)]))
      .select([
        'a.id as id',
        'a.name as name',
        'a.owner as owner',
        'a.deleted_at as deleted_at',
        'a.queue_deletion_confirmed_at as confirmed_at',
        's.status as status',
        's.reason as reason',
        's.message as message',
        's.last_transition_time as since',
      ])
      .orderBy('a.name')
      .orderBy('s.key')
      .execute();
    const states = new Map<string, ApplicationBrokerState>();
    for (const row of rows) {
      let state = states.get(row.id);
      if (!state) {
        state = {
          application: {
            id: row.id,
            name: row.name,
            owner: row.owner,
            deleted: row.deleted_at !== null,
            queueDeletionConfirmed: row.confirmed_at !== null,
          },
          notReadySince: null,
          queueDeletionBlocked: null,
        };
        states.set(row.id, state);
      }
      // An alerted application with nothing wrong any more has no status row here.
      if (row.status === null || row.since === null) continue;
      if (state.notReadySince === null || row.since < state.notReadySince) {
        state.notReadySince = row.since;
      }
      if (QUEUE_HELD_REASONS.includes(row.reason!) && state.queueDeletionBlocked === null) {
        state.queueDeletionBlocked = row.message;
      }
    }
    return [...states.values()];
  }

  async records(prefix: string): Promise<NotificationRecord[]> {
    const rows = await this.#db
      .selectFrom('brom_notification_records')
      .selectAll()
      .where('key', 'like', `${prefix.replace(/[\\%_]/g, c => `\\${c}`)}%`)
      .orderBy('key')
      .execute();
    return rows.map(row => ({
      key: row.key,
      applicationId: row.application_id,
      detail: row.detail,
      recordedAt: row.recorded_at,
    }));
  }

  async record(record: NotificationRecord): Promise<boolean> {
    const result = await this.#db
      .insertInto('brom_notification_records')
      .values({
        key: record.key,
        application_id: record.applicationId,
        detail: record.detail,
        recorded_at: record.recordedAt,
      })
      .onConflict(oc => oc.column('key').doNothing())
      .executeTakeFirst();
    return Number(result.numInsertedOrUpdatedRows ?? 0) > 0;
  }

  async remove(key: string): Promise<void> {
    await this.#db.deleteFrom('brom_notification_records').where('key', '=', key).execute();
  }
}

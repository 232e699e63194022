import { Condition } from '@internal/plugin-brom-common';
import { BromDb, BromStore, BromTransaction } from '../../store/BromStore';
import {
  ApplicationRow,
  ExternalProducerRow,
  NotificationTypeRow,
  SubscriptionRow,
  SyncStatusRow,
} from '../../store/tables';
import { DatabaseDomainEventOutbox } from '../../store/DomainEventStore';
import { inChunks } from '../../store/inChunks';
import { SecretBox } from '../../service/secretBox';
import { ReconcilerInput } from '../core/types';
import { UnmanagedObservation } from '../core/unmanaged';

/** The reason {@link accessEndReason} gives an expired credential. */
const EXPIRED = 'credential expired';

/** Who finalizes deleted rows, in the audit and the change log. */
const FINALIZER = 'brom:reconciler';

/** What a pass reads in one transaction: the desired state and what the store knows of the broker. */
export interface ReconcilerSnapshot {
  input: ReconcilerInput;
  /** Keys of objects the reconciler created or adopted (the ownership record). */
  managed: Set<string>;
  /** The last stored status per key, for condition transition times. */
  statuses: Map<string, SyncStatusRow>;
  /**
   * Broker users whose access ended: revoked or expired credentials, deleted applications.
   * A revoked subscription is not among them: its consumer still reads its queue, which
   * serves all its subscriptions, so closing its connections would only make it reconnect.
   */
  revokedUsers: Array<{
    credentialId: string;
    username: string;
    reason: string;
    /** When the access ended. */
    since: string;
  }>;
  /**
   * When the next live credential expires (ms since the epoch), if any does: a pass is due
   * then, to close its connections (and, in the native mode, remove its broker user).
   */
  nextExpiryAt?: number;
  /**
   * Where the change log stood when this was read: {@link ReconcilerStore.readChanges}
   * after it names what changed since.
   */
  cursor: number;
}

/** What an incremental pass reads: the rows of the applications that changed, and no others. */
export interface ReconcilerChanges {
  /**
   * The rows that decide the objects of `applicationIds` (`inputOfApplications`), with the
   * state version read in the same transaction.
   */
  input: ReconcilerInput;
  /** Applications changed since the cursor, and those the caller asked for. */
  applicationIds: Set<string>;
  /** Where the next read starts. */
  cursor: number;
  /** None without reading when `request.revocations` says none can have appeared. */
  revokedUsers: ReconcilerSnapshot['revokedUsers'];
  /**
   * As in {@link ReconcilerSnapshot.nextExpiryAt}, over every credential; the one
   * `request.revocations` gave when they were not read again.
   */
  nextExpiryAt?: number;
}

/** What {@link ReconcilerStore.readChanges} is asked for. */
export interface ChangesRequest {
  /** A cursor a read returned. */
  after: number;
  /** Applications to read whether or not they changed. */
  applicationIds: Iterable<string>;
  /** Above this many changes the log cannot say (the caller reads everything). */
  limit: number;
  /**
   * What the previous pass learnt of revoked access, when it left none unenforced (every
   * revoked user's connections closed for good): then the revoked users and the next
   * expiry are read again only if a credential or an application changed since, or that
   * expiry has come (`nextExpiryAt <= now`). Without it they are read.
   */
  revocations?: { nextExpiryAt?: number };
}

export interface StatusRecord {
  key: string;
  kind: string;
  name: string;
  applicationId: string | null;
  subscriptionId: string | null;
  managed: boolean;
  desiredGeneration: number;
  condition: Condition;
  attempts: number;
  lastAttemptAt: string | null;
  nextAttemptAt: string | null;
}

/** Keys of records that only remember that revoked access was cut off at the broker. */
export const ENFORCED_PREFIX = 'enforced:';

const STATUS_COLUMNS = [
  'kind',
  'name',
  'application_id',
  'subscription_id',
  'managed',
  'desired_generation',
  'observed_generation',
  'status',
  'reason',
  'message',
  'last_transition_time',
  'attempts',
  'last_attempt_at',
  'next_attempt_at',
] as const;

/** The records that remember which revocations were enforced (`keys`), at `now`. */
export function enforcementRecords(keys: string[], now: Date): StatusRecord[] {
  const at = now.toISOString();
  return keys.map(key => ({
    key: `${ENFORCED_PREFIX}${key}`,
    kind: 'enforcement',
    name: key,
    applicationId: null,
    subscriptionId: null,
    managed: false,
    desiredGeneration: 0,
    condition: {
      type: 'Ready',
      status: 'True',
      reason: 'ConnectionsClosed',
      message: 'live connections of the revoked access were closed',
      observedGeneration: 0,
      lastTransitionTime: at,
    },
    attempts: 0,
    lastAttemptAt: at,
    nextAttemptAt: null,
  }));
}

function toRow(r: StatusRecord): SyncStatusRow {
  return {
    key: r.key,
    kind: r.kind,
    name: r.name,
    application_id: r.applicationId,
    subscription_id: r.subscriptionId,
    managed: r.managed,
    desired_generation: r.desiredGeneration,
    observed_generation: r.condition.observedGeneration,
    status: r.condition.status,
    reason: r.condition.reason,
    message: r.condition.message.slice(0, 2000),
    last_transition_time: r.condition.lastTransitionTime,
    attempts: r.attempts,
    last_attempt_at: r.lastAttemptAt,
    next_attempt_at: r.nextAttemptAt,
  };
}

/** True when writing `row` would not change the stored `stored` (booleans and numbers as either dialect returns them). */
function sameRow(row: SyncStatusRow, stored: SyncStatusRow | undefined): boolean {
  if (!stored) return false;
  return STATUS_COLUMNS.every(column => {
    const a = row[column];
    const b = stored[column];
    if (column === 'managed') return Boolean(a) === Boolean(b);
    if (typeof a === 'number' || typeof b === 'number') {
      return a === null || b === null ? a === b : Number(a) === Number(b);
    }
    return a === b;
  });
}

/** What the reconciler reads from and writes to BROM's store. */
export interface ReconcilerStore {
  /** The desired state and what the store knows of the broker, in one transaction. */
  read(now: Date): Promise<ReconcilerSnapshot>;
  /**
   * Writes status records and removes the `remove` keys. With `previous` (the rows read at
   * the start of the pass), records identical to their stored row need not be written again.
   */
  writeStatuses(
    records: StatusRecord[],
    remove: string[],
    previous?: ReadonlyMap<string, SyncStatusRow>,
  ): Promise<void>;
  /**
   * What changed since `after` (a cursor a read returned), in one transaction: the rows of
   * the applications the change log names and of `applicationIds`, and the revoked users.
   * `undefined` when the log cannot say (the cursor is unknown, or more than `limit`
   * changes): the caller then reads everything.
   */
  readChanges(now: Date, request: ChangesRequest): Promise<ReconcilerChanges | undefined>;
  /** The stored status rows of `keys` (those that exist). */
  readStatuses(keys: Iterable<string>): Promise<Map<string, SyncStatusRow>>;
  /** Remembers that revoked access was cut off at the broker, so it is done once. */
  recordEnforced(keys: string[], now: Date): Promise<void>;
  /**
   * Records a full observation of the vhost: when it started, and the unmanaged objects it
   * found (replacing those recorded before; an object seen again keeps its first sighting).
   */
  recordObservation(
    vhost: string,
    observedAt: Date,
    unmanaged: UnmanagedObservation[],
    now: Date,
  ): Promise<void>;
  /**
   * The finalizer's last step: removes deleted rows whose broker objects are gone. This is
   * a change of desired state, so it bumps the version (and audits it).
   */
  finalize(applicationIds: string[], notificationTypeIds: string[], now: Date): Promise<void>;
}

/**
 * {@link ReconcilerStore} over BROM's database. Status writes do not bump the state
 * version: they describe the broker, not the desired state, and must not wake the
 * reconciler.
 */
export class DatabaseReconcilerStore implements ReconcilerStore {
  readonly #store: BromStore;
  readonly #onStatusChange: ((applications: string[]) => void) | undefined;

  readonly #secrets: SecretBox | null;

  private constructor(
    store: BromStore,
    onStatusChange: ((applications: string[]) => void) | undefined,
    secrets: SecretBox | null,
  ) {
    this.#store = store;
    this.#onStatusChange = onStatusChange;
    this.#secrets = secrets;
  }

  /**
   * `onStatusChange` hears, after each status write commits, the names of the applications
   * whose recorded status changed (for live pages; it must not throw). `secrets` opens
   * external producers' upstream passwords for their shovels; without it (the status
   * service, which only needs the objects' keys) they read as empty.
   */
  static create(
    store: BromStore,
    options: {
      onStatusChange?: (applications: string[]) => void;
      secrets?: SecretBox | null;
    } = {},
  ) {
    return new DatabaseReconcilerStore(store, options.onStatusChange, options.secrets ?? null);
  }

  #externalProducer(row: ExternalProducerRow | undefined) {
    if (!row) return null;
    return {
      upstreamUri: row.upstream_uri,
      upstreamExchange: row.upstream_exchange,
      upstreamRoutingKey: row.upstream_routing_key,
      upstreamQueue: row.upstream_queue,
      username: row.username,
      password: this.#secrets ? this.#secrets.open(row.password_encrypted, row.application_id) : '',
    };
  }

  /**
   * The reconciler's input from rows: `credentials` are the live ones (each has a broker user
   * in both authorisation modes), `upstreams` the external producers' rows by application id.
   */
  #toInput(
    version: number,
    apps: ApplicationRow[],
    types: NotificationTypeRow[],
    subs: SubscriptionRow[],
    credentials: Array<{ id: string; application_id: string; username: string }>,
    upstreams: ReadonlyMap<string, ExternalProducerRow>,
  ): ReconcilerInput {
    return {
      version,
      applications: apps.map(a => ({
        id: a.id,
        name: a.name,
        generation: a.generation,
        deletedAt: a.deleted_at,
        queueDeletionConfirmedAt: a.queue_deletion_confirmed_at,
        settings: { messageTtlMs: a.message_ttl_ms, maxLength: a.max_length },
        deadLetterArgument: Boolean(a.queue_dead_letter_argument),
        externalProducer: this.#externalProducer(upstreams.get(a.id)),
      })),
      notificationTypes: types.map(t => ({
        id: t.id,
        applicationId: t.application_id,
        name: t.name,
        routingKeyPattern: t.routing_key_pattern,
        generation: t.generation,
        deletedAt: t.deleted_at,
      })),
      credentials: credentials.map(c => ({
        id: c.id,
        applicationId: c.application_id,
        username: c.username,
      })),
      subscriptions: subs.map(s => ({
        id: s.id,
        consumerApplicationId: s.consumer_application_id,
        notificationTypeId: s.notification_type_id,
        state: s.state as ReconcilerInput['subscriptions'][number]['state'],
        generation: s.generation,
      })),
    };
  }

  async read(now: Date): Promise<ReconcilerSnapshot> {
    const nowIso = now.toISOString();
    return this.#store.read(async (tx, version) => {
      const apps = await tx.selectFrom('brom_applications').selectAll().execute();
      const upstreams = new Map(
        (await tx.selectFrom('brom_external_producers').selectAll().execute()).map(e => [
          e.application_id,
          e,
        ]),
      );
      const types = await tx.selectFrom('brom_notification_types').selectAll().execute();
      const subs = await tx.selectFrom('brom_subscriptions').selectAll().execute();
      const creds = await tx
        .selectFrom('brom_credentials')
        .select(['id', 'application_id', 'username', 'expires_at', 'revoked_at'])
        .execute();
      const statusRows = await tx.selectFrom('brom_sync_status').selectAll().execute();
      const cursor = await latestEvent(tx);

      const statuses = new Map(statusRows.map(r => [r.key, r]));
      const managed = new Set(statusRows.filter(r => Boolean(r.managed)).map(r => r.key));
      const deletedApps = new Map(
        apps.filter(a => a.deleted_at).map(a => [a.id, a.deleted_at!]),
      );

      const revokedUsers: ReconcilerSnapshot['revokedUsers'] = [];
      for (const c of creds) {
        const reason = accessEndReason(c, deletedApps.has(c.application_id), nowIso);
        if (reason && !statuses.has(`${ENFORCED_PREFIX}credential:${c.id}`)) {
          const since =
            deletedApps.get(c.application_id) ?? c.revoked_at ?? c.expires_at ?? nowIso;
          revokedUsers.push({ credentialId: c.id, username: c.username, reason, since });
        }
      }
      const nextExpiryAt = creds
        .filter(c => !c.revoked_at && !deletedApps.has(c.application_id))
        .map(c => (c.expires_at && c.expires_at > nowIso ? Date.parse(c.expires_at) : NaN))
        .filter(ms => !Number.isNaN(ms))
        .reduce<number | undefined>((min, ms) => (min === undefined || ms < min ? ms : min), undefined);
      return {
        nextExpiryAt,
        input: this.#toInput(
          version,
          apps,
          types,
          subs,
          creds.filter(
            c => accessEndReason(c, deletedApps.has(c.application_id), nowIso) === undefined,
          ),
          upstreams,
        ),
        managed,
        statuses,
        revokedUsers,
        cursor,
      };
    });
  }

  async readChanges(
    now: Date,
    request: ChangesRequest,
  ): Promise<ReconcilerChanges | undefined> {
    const nowIso = now.toISOString();
    const requested = [...request.applicationIds];
    const known = request.revocations;
    // Revoked users change only with a credential or an application, or when an expiry comes.
    const revocationsChanged = (events: LogEvent[]) =>
      !known ||
      (known.nextExpiryAt !== undefined && known.nextExpiryAt <= now.getTime()) ||
      events.some(e => e.aggregate_kind === 'credential' || e.aggregate_kind === 'application');

    // Nothing changed: one statement (the version and the log's end), no transaction.
    const probe = await readLog(this.#store.db, request.after, request.limit);
    if (probe === 'unknown') return undefined;
    if (probe.events.length === 0 && requested.length === 0 && !revocationsChanged([])) {
      return {
        input: this.#toInput(probe.version, [], [], [], [], new Map()),
        applicationIds: new Set(),
        cursor: request.after,
        revokedUsers: [],
        nextExpiryAt: known!.nextExpiryAt,
      };
    }

    return this.#store.read(async (tx, version) => {
      const log = await readLog(tx, request.after, request.limit);
      if (log === 'unknown') return undefined;
      const { events } = log;
      const cursor = events.length ? Number(events[events.length - 1].sequence) : request.after;
      const ids = (kind: string) =>
        [...new Set(events.filter(e => e.aggregate_kind === kind).map(e => e.aggregate_id))];

      // Which applications each change touches: an application its own objects; a type its
      // producer's exchange and the bindings from it; a subscription its consumer's queue
      // and bindings; a credential its application (whose broker user it is).
      const applicationIds = new Set([...requested, ...ids('application')]);
      const add = (rows: Array<{ id: string }>) => rows.forEach(r => applicationIds.add(r.id));
      add(await inChunks(ids('notificationType'), chunk =>
        tx.selectFrom('brom_notification_types').select('application_id as id').where('id', 'in', chunk).execute(),
      ));
      add(await inChunks(ids('subscription'), chunk =>
        tx.selectFrom('brom_subscriptions').select('consumer_application_id as id').where('id', 'in', chunk).execute(),
      ));
      add(await inChunks(ids('credential'), chunk =>
        tx.selectFrom('brom_credentials').select('application_id as id').where('id', 'in', chunk).execute(),
      ));
      // An expiry is in no log: the application of a credential that expired since is looked
      // at too, so that the native mode's broker user goes in this pass, not the next full one.
      const revocations = revocationsChanged(events)
        ? {
            ended: await readEndedAccess(tx, nowIso),
            nextExpiryAt: await readNextExpiry(tx, nowIso),
          }
        : undefined;
      for (const user of revocations?.ended ?? []) {
        if (user.reason === EXPIRED) applicationIds.add(user.applicationId);
      }

      // The rows `inputOfApplications` names, read by index.
      const focus = [...applicationIds];
      const types = await inChunks(focus, chunk =>
        tx.selectFrom('brom_notification_types').selectAll().where('application_id', 'in', chunk).execute(),
      );
      const subs = uniqueById([
        ...(await inChunks(focus, chunk =>
          tx.selectFrom('brom_subscriptions').selectAll().where('consumer_application_id', 'in', chunk).execute(),
        )),
        ...(await inChunks(types.map(t => t.id), chunk =>
          tx.selectFrom('brom_subscriptions').selectAll().where('notification_type_id', 'in', chunk).execute(),
        )),
      ]);
      const typeIds = new Set(types.map(t => t.id));
      types.push(...(await inChunks(
        [...new Set(subs.map(s => s.notification_type_id))].filter(id => !typeIds.has(id)),
        chunk => tx.selectFrom('brom_notification_types').selectAll().where('id', 'in', chunk).execute(),
      )));
      const appIds = new Set([
        ...focus,
        ...types.map(t => t.application_id),
        ...subs.map(s => s.consumer_application_id),
      ]);
      const apps = await inChunks([...appIds], chunk =>
        tx.selectFrom('brom_applications').selectAll().where('id', 'in', chunk).execute(),
      );
      const upstreams = new Map(
        (
          await inChunks([...appIds], chunk =>
            tx
              .selectFrom('brom_external_producers')
              .selectAll()
              .where('application_id', 'in', chunk)
              .execute(),
          )
        ).map(e => [e.application_id, e]),
      );
      const deletedApps = new Set(apps.filter(a => a.deleted_at).map(a => a.id));
      const creds = await inChunks([...appIds], chunk =>
        tx
          .selectFrom('brom_credentials')
          .select(['id', 'application_id', 'username', 'expires_at', 'revoked_at'])
          .where('application_id', 'in', chunk)
          .execute(),
      );
      return {
        input: this.#toInput(
          version,
          apps,
          types,
          subs,
          creds.filter(
            c => accessEndReason(c, deletedApps.has(c.application_id), nowIso) === undefined,
          ),
          upstreams,
        ),
        applicationIds,
        cursor,
        ...(revocations
          ? {
              revokedUsers: revocations.ended.map(({ applicationId, ...user }) => user),
              nextExpiryAt: revocations.nextExpiryAt,
            }
          : { revokedUsers: [], nextExpiryAt: known!.nextExpiryAt }),
      };
    });
  }

  async readStatuses(keys: Iterable<string>): Promise<Map<string, SyncStatusRow>> {
    const rows = await inChunks([...new Set(keys)], chunk =>
      this.#store.db.selectFrom('brom_sync_status').selectAll().where('key', 'in', chunk).execute(),
    );
    return new Map(rows.map(r => [r.key, r]));
  }

  /**
   * Writes status records and removes the `remove` keys. With `previous` (the rows read at
   * the start of the pass), records identical to their stored row are not written again:
   * an idle pass over 21,000 objects then writes one row, not 21,000.
   */
  async writeStatuses(
    records: StatusRecord[],
    remove: string[],
    previous?: ReadonlyMap<string, SyncStatusRow>,
  ): Promise<void> {
    const rows = records
      .map(toRow)
      .filter(row => !previous || !sameRow(row, previous.get(row.key)));
    if (rows.length === 0 && remove.length === 0) return;
    await this.#store.db.transaction().execute(async tx => {
      for (let i = 0; i < remove.length; i += 500) {
        await tx
          .deleteFrom('brom_sync_status')
          .where('key', 'in', remove.slice(i, i + 500))
          .execute();
      }
      // 15 columns a row: 60 rows stay far below SQLite's and PostgreSQL's parameter limits.
      for (let i = 0; i < rows.length; i += 60) {
        await tx
          .insertInto('brom_sync_status')
          .values(rows.slice(i, i + 60))
          .onConflict(oc =>
            oc.column('key').doUpdateSet(eb => {
              const set: Record<string, unknown> = {};
              for (const column of STATUS_COLUMNS) set[column] = eb.ref(`excluded.${column}`);
              return set as any;
            }),
          )
          .execute();
      }
    });
    if (this.#onStatusChange) {
      const ids = new Set<string>();
      for (const row of rows) if (row.application_id) ids.add(row.application_id);
      for (const key of remove) {
        const id = previous?.get(key)?.application_id;
        if (id) ids.add(id);
      }
      if (ids.size > 0) await this.#announce([...ids]);
    }
  }

  async #announce(ids: string[]) {
    try {
      const names: string[] = [];
      for (let i = 0; i < ids.length; i += 500) {
        const found = await this.#store.db
          .selectFrom('brom_applications')
          .select('name')
          .where('id', 'in', ids.slice(i, i + 500))
          .execute();
        names.push(...found.map(r => r.name));
      }
      this.#onStatusChange?.(names);
    } catch {
      // Live pages miss one update; they still show the status on their next fetch.
    }
  }

  async recordEnforced(keys: string[], now: Date): Promise<void> {
    await this.writeStatuses(enforcementRecords(keys, now), []);
  }

  async recordObservation(
    vhost: string,
    observedAt: Date,
    unmanaged: UnmanagedObservation[],
    now: Date,
  ): Promise<void> {
    const at = observedAt.toISOString();
    await this.#store.db.transaction().execute(async tx => {
      await tx
        .insertInto('brom_broker_observation')
        .values({ vhost, observed_at: at })
        .onConflict(oc => oc.column('vhost').doUpdateSet({ observed_at: at }))
        .execute();
      // Written only when the set changes: an idle pass over a large vhost writes one row.
      const stored = new Map(
        (await tx.selectFrom('brom_unmanaged_objects').selectAll().execute()).map(r => [r.key, r]),
      );
      const seen = new Set(unmanaged.map(o => o.key));
      const gone = [...stored.keys()].filter(key => !seen.has(key));
      for (let i = 0; i < gone.length; i += 500) {
        await tx
          .deleteFrom('brom_unmanaged_objects')
          .where('key', 'in', gone.slice(i, i + 500))
          .execute();
      }
      const rows = unmanaged
        .filter(o => {
          const row = stored.get(o.key);
          return (
            !row ||
            row.source_application_id !== o.sourceApplicationId ||
            row.destination_application_id !== o.destinationApplicationId
          );
        })
        .map(o => ({
          key: o.key,
          kind: o.kind.slice(0, 32),
          name: o.name.slice(0, 512),
          source_application_id: o.sourceApplicationId,
          destination_application_id: o.destinationApplicationId,
          first_seen_at: stored.get(o.key)?.first_seen_at ?? now.toISOString(),
        }));
      for (let i = 0; i < rows.length; i += 100) {
        await tx
          .insertInto('brom_unmanaged_objects')
          .values(rows.slice(i, i + 100))
          .onConflict(oc =>
            oc.column('key').doUpdateSet(eb => ({
              source_application_id: eb.ref('excluded.source_application_id'),
              destination_application_id: eb.ref('excluded.destination_application_id'),
            })),
          )
          .execute();
      }
    });
  }

  /**
   * The finalizer's last step: removes deleted rows whose broker objects are gone. This is
   * a change of desired state, so it bumps the version (and audits it).
   */
  async finalize(applicationIds: string[], notificationTypeIds: string[], now: Date) {
    if (applicationIds.length === 0 && notificationTypeIds.length === 0) return;
    const at = now.toISOString();
    await this.#store.write(async tx => {
      // In the change log like any change of desired state, so that what reads the log (the
      // authz feed) learns which consumers lost subscriptions.
      const events = DatabaseDomainEventOutbox.create({ db: tx });
      if (notificationTypeIds.length) {
        const types = await tx
          .selectFrom('brom_notification_types as t')
          .innerJoin('brom_applications as a', 'a.id', 't.application_id')
          .select(['t.id', 't.name', 'a.name as application', 't.application_id'])
          .where('t.id', 'in', notificationTypeIds)
          .where('t.deleted_at', 'is not', null)
          .execute();
        for (const t of types) {
          // The subscriptions to it go with it (on delete cascade).
          const consumerIds = await consumersOf(tx, [t.id], t.application_id);
          await tx.deleteFrom('brom_notification_types').where('id', '=', t.id).execute();
          await events.append({
            type: 'notificationType.finalized',
            aggregate: { kind: 'notificationType', id: t.id },
            notificationType: { id: t.id, name: t.name, application: t.application },
            producerId: t.application_id,
            consumerIds,
            actor: FINALIZER,
            at,
          });
          await tx
            .insertInto('brom_audit_events')
            .values({
              at,
              actor: FINALIZER,
              action: 'notification-type.finalized',
              target_kind: 'notificationType',
              target_id: t.id,
              application: t.application,
              application_id: t.application_id,
              before: JSON.stringify({ name: t.name }),
              after: null,
            })
            .execute();
        }
      }
      if (applicationIds.length) {
        const apps = await tx
          .selectFrom('brom_applications')
          .select(['id', 'name'])
          .where('id', 'in', applicationIds)
          .where('deleted_at', 'is not', null)
          .execute();
        for (const a of apps) {
          // Subscriptions of other consumers to this producer's types, its types,
          // credentials and subscriptions go with it.
          const typeIds = (
            await tx
              .selectFrom('brom_notification_types')
              .select('id')
              .where('application_id', '=', a.id)
              .execute()
          ).map(t => t.id);
          const consumerIds = await consumersOf(tx, typeIds, a.id);
          if (typeIds.length) {
            await tx
              .deleteFrom('brom_subscriptions')
              .where('notification_type_id', 'in', typeIds)
              .execute();
          }
          await tx.deleteFrom('brom_subscriptions').where('consumer_application_id', '=', a.id).execute();
          await tx.deleteFrom('brom_notification_types').where('application_id', '=', a.id).execute();
          await tx.deleteFrom('brom_credentials').where('application_id', '=', a.id).execute();
          await tx.deleteFrom('brom_sync_status').where('application_id', '=', a.id).execute();
          await tx
            .deleteFrom('brom_external_producers')
            .where('application_id', '=', a.id)
            .execute();
          await tx.deleteFrom('brom_applications').where('id', '=', a.id).execute();
          await events.append({
            type: 'application.finalized',
            aggregate: { kind: 'application', id: a.id },
            application: { id: a.id, name: a.name },
            consumerIds,
            actor: FINALIZER,
            at,
          });
          await tx
            .insertInto('brom_audit_events')
            .values({
              at,
              actor: FINALIZER,
              action: 'application.finalized',
              target_kind: 'application',
              target_id: a.id,
              application: a.name,
              application_id: a.id,
              before: JSON.stringify({ name: a.name }),
              after: null,
            })
            .execute();
        }
      }
    });
  }
}

/** The other applications subscribed (in any state) to the types `typeIds`. */
async function consumersOf(
  tx: BromTransaction,
  typeIds: string[],
  producerId: string,
): Promise<string[]> {
  const rows = await inChunks(typeIds, chunk =>
    tx
      .selectFrom('brom_subscriptions')
      .select('consumer_application_id as id')
      .distinct()
      .where('notification_type_id', 'in', chunk)
      .execute(),
  );
  return [...new Set(rows.map(r => r.id))].filter(id => id !== producerId).sort();
}

/** The newest domain event's sequence, 0 when there is none. */
async function latestEvent(tx: BromTransaction): Promise<number> {
  const row = await tx
    .selectFrom('brom_domain_events')
    .select(eb => eb.fn.max('sequence').as('latest'))
    .executeTakeFirst();
  return Number(row?.latest ?? 0);
}

interface LogEvent {
  sequence: number | string;
  aggregate_kind: string;
  aggregate_id: string;
}

/**
 * The state version and the change log's events after `after`, in one statement; `unknown`
 * when the log cannot say what changed: more than `limit` events, or `after` is beyond the
 * log (another database, restored or rebuilt, is behind it). The read starts at `after`
 * itself: a log that holds no event from there on ends before it.
 */
async function readLog(
  db: BromDb | BromTransaction,
  after: number,
  limit: number,
): Promise<{ version: number; events: LogEvent[] } | 'unknown'> {
  const rows = await db
    .selectFrom('brom_state_version as v')
    .leftJoin(
      eb =>
        eb
          .selectFrom('brom_domain_events')
          .select(['sequence', 'aggregate_kind', 'aggregate_id'])
          .where('sequence', '>=', after)
          .orderBy('sequence')
          .limit(limit + 2)
          .as('e'),
      join => join.onTrue(),
    )
    .select(['v.version', 'e.sequence', 'e.aggregate_kind', 'e.aggregate_id'])
    .where('v.id', '=', 1)
    .orderBy('e.sequence')
    .execute();
  if (rows.length === 0) throw new Error('brom_state_version has no row');
  const found = rows.filter(r => r.sequence !== null) as LogEvent[];
  const events = found.filter(e => Number(e.sequence) > after);
  if (events.length > limit) return 'unknown';
  if (found.length === 0 && after > 0) return 'unknown';
  return { version: Number(rows[0].version), events };
}

/** When the next live credential of a live application expires, in ms since the epoch. */
async function readNextExpiry(tx: BromTransaction, nowIso: string): Promise<number | undefined> {
  const row = await tx
    .selectFrom('brom_credentials as c')
    .innerJoin('brom_applications as a', 'a.id', 'c.application_id')
    .select(eb => eb.fn.min('c.expires_at').as('next'))
    .where('c.revoked_at', 'is', null)
    .where('a.deleted_at', 'is', null)
    .where('c.expires_at', '>', nowIso)
    .executeTakeFirst();
  const next = row?.next as string | null | undefined;
  return next ? Date.parse(next) : undefined;
}

/**
 * Credentials whose access ended and whose connections were not yet closed for good: only
 * those rows, in one query (no enforcement record `enforced:credential:<id>` yet), each with
 * its application.
 */
async function readEndedAccess(
  tx: BromTransaction,
  nowIso: string,
): Promise<Array<ReconcilerSnapshot['revokedUsers'][number] & { applicationId: string }>> {
  const rows = await tx
    .selectFrom('brom_credentials as c')
    .innerJoin('brom_applications as a', 'a.id', 'c.application_id')
    .leftJoin('brom_sync_status as s', join =>
      join.on(eb => eb('s.key', '=', eb(eb.val(`${ENFORCED_PREFIX}credential:`), '||', eb.ref('c.id')))),
    )
    .select([
      'c.id',
      'c.application_id',
      'c.username',
      'c.expires_at',
      'c.revoked_at',
      'a.deleted_at',
    ])
    .where('s.key', 'is', null)
    .where(eb =>
      eb.or([
        eb('a.deleted_at', 'is not', null),
        eb('c.revoked_at', 'is not', null),
        eb('c.expires_at', '<=', nowIso),
      ]),
    )
    .orderBy('c.username')
    .execute();
  return rows.flatMap(c => {
    const reason = accessEndReason(c, c.deleted_at !== null, nowIso);
    if (!reason) return [];
    const since = c.deleted_at ?? c.revoked_at ?? c.expires_at ?? nowIso;
    return [
      { credentialId: c.id, username: c.username, reason, since, applicationId: c.application_id },
    ];
  });
}

function uniqueById<T extends { id: string }>(rows: T[]): T[] {
  return [...new Map(rows.map(r => [r.id, r])).values()];
}

/** Why a credential's broker user may no longer connect, if it may not. */
function accessEndReason(
  credential: { revoked_at: string | null; expires_at: string | null },
  applicationDeleted: boolean,
  nowIso: string,
): string | undefined {
  if (applicationDeleted) return 'application deleted';
  if (credential.revoked_at) return 'credential revoked';
  if (credential.expires_at && credential.expires_at <= nowIso) return EXPIRED;
  return undefined;
}

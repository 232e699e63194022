import { SyncStatusRow } from '../../store/tables';
import { inputOfApplications } from '../core/topology';
import { ReconcilerInput } from '../core/types';
import { UnmanagedObservation } from '../core/unmanaged';
import {
  ENFORCED_PREFIX,
  enforcementRecords,
  ChangesRequest,
  ReconcilerChanges,
  ReconcilerSnapshot,
  ReconcilerStore,
  StatusRecord,
} from '../runtime/ReconcilerStore';

/**
 * {@link ReconcilerStore} in memory: the desired state is whatever the test sets in
 * `input`, status rows live in `rows` (managed keys are those rows marked managed, as in
 * the database), and revocations are enforced once an `enforced:` row records them. Its
 * change log is the difference between `input` and the input as of the cursor a read
 * returned: the applications whose rows (or whose types' or queues' subscriptions) differ.
 */
export class MemoryReconcilerStore implements ReconcilerStore {
  input: ReconcilerInput;
  readonly rows = new Map<string, SyncStatusRow>();
  revokedUsers: ReconcilerSnapshot['revokedUsers'] = [];
  nextExpiryAt: number | undefined;
  readonly finalized: string[] = [];
  /** The last full observation: when it started and the unmanaged objects it found. */
  observation: { observedAt: Date; unmanaged: UnmanagedObservation[] } | undefined;
  /** Every `readChanges` call's request and the applications it returned. */
  readonly changeReads: Array<{
    after: number;
    applicationIds: string[];
    revocations?: ChangesRequest['revocations'];
  }> = [];
  /** The input as of each cursor handed out. */
  readonly #atCursor = new Map<number, ReconcilerInput>();

  constructor(input: ReconcilerInput) {
    this.input = input;
  }

  async read(): Promise<ReconcilerSnapshot> {
    const rows = new Map([...this.rows].map(([key, row]) => [key, { ...row }]));
    return {
      input: structuredClone(this.input),
      managed: new Set([...rows.values()].filter(r => r.managed).map(r => r.key)),
      statuses: rows,
      revokedUsers: this.#revokedUsers(),
      cursor: this.#cursor(),
      nextExpiryAt: this.nextExpiryAt,
    };
  }

  async readChanges(
    _now: Date,
    request: ChangesRequest,
  ): Promise<ReconcilerChanges | undefined> {
    const before = this.#atCursor.get(request.after);
    if (!before) return undefined;
    const applicationIds = new Set([...request.applicationIds, ...changedApplications(before, this.input)]);
    this.changeReads.push({
      after: request.after,
      applicationIds: [...applicationIds].sort(),
      ...(request.revocations ? { revocations: request.revocations } : {}),
    });
    return {
      input: structuredClone(inputOfApplications(this.input, applicationIds)),
      applicationIds,
      cursor: this.#cursor(),
      revokedUsers: this.#revokedUsers(),
      nextExpiryAt: this.nextExpiryAt,
    };
  }

  async readStatuses(keys: Iterable<string>): Promise<Map<string, SyncStatusRow>> {
    const found = new Map<string, SyncStatusRow>();
    for (const key of keys) {
      const row = this.rows.get(key);
      if (row) found.set(key, { ...row });
    }
    return found;
  }

  #revokedUsers(): ReconcilerSnapshot['revokedUsers'] {
    const enforced = (key: string) => this.rows.has(`${ENFORCED_PREFIX}${key}`);
    return this.revokedUsers.filter(u => !enforced(`credential:${u.credentialId}`));
  }

  #cursor(): number {
    const cursor = this.#atCursor.size + 1;
    this.#atCursor.set(cursor, structuredClone(this.input));
    return cursor;
  }

  async writeStatuses(records: StatusRecord[], remove: string[]): Promise<void> {
    for (const key of remove) this.rows.delete(key);
    for (const r of records) {
      this.rows.set(r.key, {
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
        message: r.condition.message,
        last_transition_time: r.condition.lastTransitionTime,
        attempts: r.attempts,
        last_attempt_at: r.lastAttemptAt,
        next_attempt_at: r.nextAttemptAt,
      });
    }
  }

  async recordEnforced(keys: string[], now: Date): Promise<void> {
    await this.writeStatuses(enforcementRecords(keys, now), []);
  }

  async recordObservation(
    _vhost: string,
    observedAt: Date,
    unmanaged: UnmanagedObservation[],
  ): Promise<void> {
    this.observation = { observedAt, unmanaged };
  }

  /**
   * Removes the finalized applications and notification types from `input` and, as the
   * database does, the applications' status rows.
   */
  async finalize(applicationIds: string[], notificationTypeIds: string[]): Promise<void> {
    const apps = new Set(applicationIds);
    const types = new Set(notificationTypeIds);
    this.finalized.push(...applicationIds, ...notificationTypeIds);
    for (const [key, row] of this.rows) {
      if (row.application_id !== null && apps.has(row.application_id)) this.rows.delete(key);
    }
    this.input = {
      ...this.input,
      version: this.input.version + (apps.size || types.size ? 1 : 0),
      applications: this.input.applications.filter(a => !apps.has(a.id)),
      notificationTypes: this.input.notificationTypes.filter(
        t => !types.has(t.id) && !apps.has(t.applicationId),
      ),
      subscriptions: this.input.subscriptions.filter(
        s => !apps.has(s.consumerApplicationId),
      ),
    };
  }
}

/** Applications whose rows differ between two inputs, as the domain events would name them. */
function changedApplications(before: ReconcilerInput, after: ReconcilerInput): Set<string> {
  const ids = new Set<string>();
  const diff = <T extends { id: string }>(a: T[], b: T[], touched: (row: T) => string) => {
    const old = new Map(a.map(r => [r.id, JSON.stringify(r)]));
    const now = new Map(b.map(r => [r.id, JSON.stringify(r)]));
    for (const r of a) if (now.get(r.id) !== old.get(r.id)) ids.add(touched(r));
    for (const r of b) if (now.get(r.id) !== old.get(r.id)) ids.add(touched(r));
  };
  diff(before.applications, after.applications, a => a.id);
  diff(before.notificationTypes, after.notificationTypes, t => t.applicationId);
  diff(before.subscriptions, after.subscriptions, s => s.consumerApplicationId);
  diff(before.credentials ?? [], after.credentials ?? [], c => c.applicationId);
  return ids;
}

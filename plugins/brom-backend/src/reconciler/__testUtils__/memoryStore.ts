import { SyncStatusRow } from '../../store/tables';
import { ReconcilerInput } from '../core/types';
import { UnmanagedObservation } from '../core/unmanaged';
import {
  ENFORCED_PREFIX,
  enforcementRecords,
  ReconcilerSnapshot,
  ReconcilerStore,
  StatusRecord,
} from '../runtime/ReconcilerStore';

/**
 * {@link ReconcilerStore} in memory: the desired state is whatever the test sets in
 * `input`, status rows live in `rows` (managed keys are those rows marked managed, as in
 * the database), and revocations are enforced once an `enforced:` row records them.
 */
export class MemoryReconcilerStore implements ReconcilerStore {
  input: ReconcilerInput;
  readonly rows = new Map<string, SyncStatusRow>();
  revokedUsers: ReconcilerSnapshot['revokedUsers'] = [];
  readonly finalized: string[] = [];
  /** The last full observation: when it started and the unmanaged objects it found. */
  observation: { observedAt: Date; unmanaged: UnmanagedObservation[] } | undefined;

  constructor(input: ReconcilerInput) {
    this.input = input;
  }

  async read(): Promise<ReconcilerSnapshot> {
    const rows = new Map([...this.rows].map(([key, row]) => [key, { ...row }]));
    const enforced = (key: string) => rows.has(`${ENFORCED_PREFIX}${key}`);
    return {
      input: structuredClone(this.input),
      managed: new Set([...rows.values()].filter(r => r.managed).map(r => r.key)),
      statuses: rows,
      revokedUsers: this.revokedUsers.filter(u => !enforced(`credential:${u.credentialId}`)),
    };
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

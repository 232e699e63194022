import { kindOf } from '../core/kinds';
import { BrokerObjectKind } from '../core/types';
import { StatusRecord } from './ReconcilerStore';

export interface HealthRechecksOptions {
  /** First wait before a running object that is not yet healthy is read again. Default 2 s. */
  firstMs?: number;
  /** Longest wait between two reads of it; the wait doubles up to this. Default 60 s. */
  capMs?: number;
}

/**
 * When to look again at objects that run (a kind with a `health` check, the shovel) and
 * were written or read but are not healthy yet: a shovel just created, still connecting,
 * or terminated. Without it such an object is read again only when something else wakes an
 * incremental pass or at the next full resync, up to 10 minutes in production. The wait
 * doubles per look, so an upstream that stays away costs a read a minute, not a busy loop;
 * a write that failed is left to the applier's own backoff.
 */
export class HealthRechecks {
  readonly #firstMs: number;
  readonly #capMs: number;
  /** Key → the current wait and when the next look is due. */
  readonly #due = new Map<string, { waitMs: number; at: number }>();

  constructor(options: HealthRechecksOptions = {}) {
    this.#firstMs = options.firstMs ?? 2_000;
    this.#capMs = Math.max(this.#firstMs, options.capMs ?? 60_000);
  }

  /**
   * After a pass that wrote `records` at `now` (a full pass: `full`, its records are every
   * object there is): the time the next pass is due for a health check, if any.
   */
  afterPass(records: readonly StatusRecord[], now: number, full: boolean): number | undefined {
    const looked = new Set<string>();
    for (const record of records) {
      looked.add(record.key);
      if (!isRunningKind(record.kind) || record.condition.status === 'True' || record.nextAttemptAt) {
        this.#due.delete(record.key);
        continue;
      }
      const previous = this.#due.get(record.key);
      const waitMs = previous ? Math.min(previous.waitMs * 2, this.#capMs) : this.#firstMs;
      this.#due.set(record.key, { waitMs, at: now + waitMs });
    }
    for (const [key, due] of this.#due) {
      // Gone (a full pass sees everything), or due and not looked at: the pass that was
      // due for it no longer counts it as unsettled.
      if (!looked.has(key) && (full || due.at <= now)) this.#due.delete(key);
    }
    let earliest: number | undefined;
    for (const { at } of this.#due.values()) {
      if (earliest === undefined || at < earliest) earliest = at;
    }
    return earliest;
  }

  /** Forgets every object: after the baseline is reset, the next (full) pass reads everything. */
  reset(): void {
    this.#due.clear();
  }
}

function isRunningKind(kind: string): boolean {
  return kind !== 'vhost' && kindOf(kind as BrokerObjectKind)?.health !== undefined;
}

import { LoggerService } from '@backstage/backend-plugin-api';
import { randomUUID } from 'node:crypto';
import { BromStore } from '../../store/BromStore';
import { Clock, systemClock } from '../core/backoff';

/** Decides which backend replica reconciles: exactly one at a time. */
export interface LeaderLease {
  /** True when this process holds (or just took) the lease. */
  acquire(): Promise<boolean>;
  /**
   * True while this process may still write to the broker: it holds the lease and its
   * term, counted by its own clock from before its last renewal was sent, has not run out.
   * Checked before every broker write (the fencing check), without a round trip.
   */
  holds(): boolean;
  release(): Promise<void>;
}

const LEASE_NAME = 'reconciler';

export interface DatabaseLeaderLeaseOptions {
  store: BromStore;
  logger: LoggerService;
  /** How long a renewal holds the lease. Default 10 s. */
  ttlMs?: number;
  /** How often the holder renews it. Default 2 s. */
  renewMs?: number;
  clock?: Clock;
}

/**
 * A lease row in PostgreSQL, renewed by its holder every `renewMs` for `ttlMs` (database
 * time) and taken over by another replica once expired. A session-level advisory lock
 * would stay with a leader that is frozen (SIGSTOP, a stalled VM) for as long as its TCP
 * session lives, and TCP keepalives do not help: the kernel of a stopped process still
 * answers them. So liveness has to be shown by work: a holder that stops renewing loses
 * the lease within `ttlMs`, and the standby (trying every `leaseRetryMs` of the runner)
 * takes it over within `ttlMs + leaseRetryMs` of the last renewal. A holder that wakes up
 * after that finds its own term over by its own clock before its next broker write
 * (`holds()`), and its next renewal fails. Its term is counted from before the renewal
 * was sent, so it always ends before the database's expiry. SQLite is single-process:
 * always leader.
 */
export class DatabaseLeaderLease implements LeaderLease {
  readonly #store: BromStore;
  readonly #logger: LoggerService;
  readonly #ttlMs: number;
  readonly #renewMs: number;
  readonly #clock: Clock;
  readonly #holder = `${process.pid}-${randomUUID()}`;
  #validUntil = 0;
  #renewing: NodeJS.Timeout | undefined;
  /** When the renewal timer last fired, by the clock: the next one is late by what exceeds `renewMs`. */
  #tickedAt = 0;

  private constructor(options: DatabaseLeaderLeaseOptions) {
    this.#store = options.store;
    this.#logger = options.logger;
    this.#ttlMs = options.ttlMs ?? 10_000;
    this.#renewMs = options.renewMs ?? 2_000;
    this.#clock = options.clock ?? systemClock;
  }

  static create(options: DatabaseLeaderLeaseOptions) {
    return new DatabaseLeaderLease(options);
  }

  async acquire(): Promise<boolean> {
    if (this.#store.dialect !== 'pg') return true;
    const wasHolding = this.#renewing !== undefined;
    const held = await this.#renew();
    if (held && !wasHolding) {
      this.#logger.info(`This replica now runs the BROM reconciler (lease of ${this.#ttlMs} ms)`);
      this.#tickedAt = this.#clock.now();
      this.#renewing = setInterval(() => this.#tick(), this.#renewMs);
      this.#renewing.unref?.();
    } else if (!held && wasHolding) {
      this.#stepDown('its lease was taken over or could not be renewed');
    }
    return held;
  }

  holds(): boolean {
    if (this.#store.dialect !== 'pg') return true;
    return this.#clock.now() < this.#validUntil;
  }

  async release(): Promise<void> {
    if (this.#store.dialect !== 'pg') return;
    const holding = this.#renewing !== undefined;
    clearInterval(this.#renewing);
    this.#renewing = undefined;
    this.#validUntil = 0;
    if (!holding) return;
    await this.#store.knex
      .raw('DELETE FROM brom_reconciler_lease WHERE name = ? AND holder = ?', [
        LEASE_NAME,
        this.#holder,
      ])
      .catch(() => undefined);
  }

  /**
   * The renewal timer. When a renewal starts late, the process held its event loop that long
   * (a timer cannot run while other code does); when its query takes long, the database or
   * the connection pool was slow. Both are said in the log, since either makes the lease run
   * out while the replica is working: the lease goes to another replica once no renewal has
   * succeeded for `ttlMs`.
   */
  #tick(): void {
    const now = this.#clock.now();
    const lateMs = now - this.#tickedAt - this.#renewMs;
    this.#tickedAt = now;
    if (lateMs >= this.#renewMs) {
      this.#logger.warn(
        `The reconciler lease's renewal ran ${lateMs} ms late: this process held its event loop that long; the lease (${this.#ttlMs} ms, renewed every ${this.#renewMs} ms) is lost when renewals stop for longer than it`,
      );
    }
    void this.#renew().then(() => {
      const tookMs = this.#clock.now() - now;
      if (tookMs >= this.#renewMs) {
        this.#logger.warn(
          `The reconciler lease's renewal took ${tookMs} ms (the database or its connection pool was slow; the lease is ${this.#ttlMs} ms)`,
        );
      }
    });
  }

  /** Takes or renews the lease; true when this process holds it now. */
  async #renew(): Promise<boolean> {
    const sentAt = this.#clock.now();
    try {
      const result = await this.#store.knex.raw(
        `INSERT INTO brom_reconciler_lease (name, holder, expires_at)
         VALUES (?, ?, now() + make_interval(secs => ?))
         ON CONFLICT (name) DO UPDATE
           SET holder = excluded.holder, expires_at = excluded.expires_at
           WHERE brom_reconciler_lease.holder = excluded.holder
              OR brom_reconciler_lease.expires_at < now()
         RETURNING holder`,
        [LEASE_NAME, this.#holder, this.#ttlMs / 1000],
      );
      if (result.rows.length === 1) {
        this.#validUntil = sentAt + this.#ttlMs;
        return true;
      }
      if (this.#renewing) this.#stepDown('another replica holds its lease');
      return false;
    } catch (error) {
      this.#logger.warn(`Reconciler lease check failed: ${error}`);
      return this.holds();
    }
  }

  #stepDown(why: string): void {
    clearInterval(this.#renewing);
    this.#renewing = undefined;
    this.#validUntil = 0;
    this.#logger.warn(`This replica stops running the BROM reconciler: ${why}`);
  }
}

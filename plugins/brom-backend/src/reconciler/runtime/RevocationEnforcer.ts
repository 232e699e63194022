import { LoggerService } from '@backstage/backend-plugin-api';
import { Clock } from '../core/backoff';
import { BrokerApi, classifyWriteError } from '../core/BrokerApi';
import { permissionsKey } from '../core/naming';
import { ReconcilerSnapshot, ReconcilerStore } from './ReconcilerStore';
import { runLimited } from './runLimited';

/** How often connections of a recent revocation are looked for again. */
const RECHECK_REVOCATIONS_MS = 1_000;

/** How many revoked users' connections are looked at at a time. */
const CHECK_CONCURRENCY = 8;

export interface RevocationEnforcerOptions {
  broker: BrokerApi;
  store: ReconcilerStore;
  clock: Clock;
  /**
   * Versions the live sidecars hold. Revoked access is cut off at the broker only once all
   * of them serve a snapshot at least as new as the pass, so a client cannot reconnect
   * through a stale sidecar.
   */
  sidecarVersions: () => Promise<number[]>;
  /** How long after a revocation its users' connections are still looked for and closed. */
  graceMs: number;
  /**
   * Native mode: whether the broker no longer grants the user anything. Its connections are
   * closed only then (permissions removed, then connections closed), so a client that
   * reconnects at once finds no access left, and cached decisions die with the connection.
   */
  accessRemoved?: (username: string) => Promise<boolean>;
}

export interface Enforcement {
  /** Revocations waiting for the sidecars to catch up. */
  waitingForSidecars: number;
  /** When to look again for connections of revocations still in their grace period. */
  recheckAt?: number;
}

/**
 * Closes live connections of users whose access ended, once every sidecar serves a
 * snapshot without that access. A revocation counts as enforced once its grace period
 * is over and every connection found was closed; until then each pass looks again
 * (`recheckAt`). A broker error leaves revocations waiting; it never aborts the pass
 * (the finalizer and the status still need it).
 */
export class RevocationEnforcer {
  readonly #broker: BrokerApi;
  readonly #store: ReconcilerStore;
  readonly #clock: Clock;
  readonly #sidecarVersions: () => Promise<number[]>;
  readonly #graceMs: number;
  readonly #accessRemoved?: (username: string) => Promise<boolean>;
  /** When each revoked user's connections were last looked at and found closed (clock ms). */
  readonly #lookedAt = new Map<string, number>();

  private constructor(options: RevocationEnforcerOptions) {
    this.#broker = options.broker;
    this.#store = options.store;
    this.#clock = options.clock;
    this.#sidecarVersions = options.sidecarVersions;
    this.#graceMs = options.graceMs;
    this.#accessRemoved = options.accessRemoved;
  }

  static create(options: RevocationEnforcerOptions): RevocationEnforcer {
    return new RevocationEnforcer(options);
  }

  /** `now` is when the pass read `snapshot`. */
  async enforce(
    snapshot: ReconcilerSnapshot,
    now: Date,
    logger: LoggerService,
  ): Promise<Enforcement> {
    const pending = snapshot.revokedUsers.length;
    const revoked = new Set(snapshot.revokedUsers.map(u => u.username));
    for (const username of this.#lookedAt.keys()) {
      if (!revoked.has(username)) this.#lookedAt.delete(username);
    }
    if (pending === 0) return { waitingForSidecars: 0 };
    const versions = await this.#sidecarVersions();
    if (versions.some(v => v < snapshot.input.version)) return { waitingForSidecars: pending };
    const recheckAt = now.getTime() + RECHECK_REVOCATIONS_MS;

    // Per user, from the broker's connection tracking: a connection is seen as soon as it is
    // open (the statistics-based listings lag by up to `collect_statistics_interval`).
    const settled = (since: string) => now.getTime() - Date.parse(since) >= this.#graceMs;
    // A user whose connections were looked at less than the recheck interval ago waits for the
    // recheck: passes for other changes come far more often than that, and each would list the
    // connections of every revocation in its grace period again, one request after another,
    // before the pass ends (the change that woke it waits). A new revocation, and one whose
    // grace period is over, are looked at now.
    const due = snapshot.revokedUsers.filter(user => {
      const lookedAt = this.#lookedAt.get(user.username);
      return (
        lookedAt === undefined ||
        settled(user.since) ||
        now.getTime() - lookedAt >= RECHECK_REVOCATIONS_MS
      );
    });
    // Several at a time: each is a request or two to the broker.
    const enforced: string[] = [];
    await runLimited(due, CHECK_CONCURRENCY, async user => {
      if (!(await this.#removed(user.username, snapshot.managed, logger))) return;
      if (!(await this.#close(user.username, user.reason, logger))) return;
      this.#lookedAt.set(user.username, now.getTime());
      if (settled(user.since)) enforced.push(`credential:${user.credentialId}`);
    });
    if (enforced.length) {
      await this.#store.recordEnforced(enforced, new Date(this.#clock.now()));
    }
    return enforced.length < pending ? { waitingForSidecars: 0, recheckAt } : { waitingForSidecars: 0 };
  }

  /** Whether the broker's own permissions for the user are gone (always, in live mode). */
  async #removed(
    username: string,
    managed: ReadonlySet<string>,
    logger: LoggerService,
  ): Promise<boolean> {
    // Permissions we never recorded are not ours to wait for (none written yet, or an
    // operator's user of that name, reported as a conflict).
    if (!this.#accessRemoved || !managed.has(permissionsKey(username))) return true;
    try {
      return await this.#accessRemoved(username);
    } catch (error) {
      logger.debug(
        `Checking the broker permissions of ${username} failed: ${classifyWriteError(error).message}`,
      );
      return false;
    }
  }

  /** True once the user has no open connection left (none found, or all closed). */
  async #close(username: string, reason: string, logger: LoggerService): Promise<boolean> {
    try {
      const open = await this.#broker.listUserConnections(username);
      if (open.length === 0) return true;
      await this.#broker.closeUserConnections(username, `BROM: ${reason}`);
      logger.info(
        `Closed ${open.length} connection(s) of ${username}: ${reason} (${open
          .map(c => c.name)
          .join(', ')})`,
      );
      return true;
    } catch (error) {
      logger.debug(
        `Closing the connections of ${username} failed: ${classifyWriteError(error).message}`,
      );
      return false;
    }
  }
}

import { Dispatcher, Pool } from 'undici';
import {
  AUTHZ_SNAPSHOT_HTTP,
  AuthzSnapshot,
  AuthzSnapshotChange,
  AuthzSnapshotDeltaGapError,
  AuthzSnapshotHead,
  AuthzSnapshotHolder,
  PreparedAuthzSnapshotDelta,
  authzSnapshotHead,
  formatAuthzSnapshotETag,
  isAuthzSnapshotDelta,
  parseAuthzSnapshot,
  parseAuthzSnapshotETag,
} from '@internal/brom-authz-snapshot';
import { Logger, errorMessage } from '../logger';
import { FeedErrorReason, SidecarMetrics } from '../metrics';
import { snapshotJson } from '../snapshotBytes';
import type { SnapshotBytes } from '../store/SnapshotSaver';
import { Backoff } from './backoff';

/**
 * The whole body as one Buffer. With a Content-Length (what the portal sends) each chunk is
 * copied into a buffer of that size as it arrives and dropped, instead of collecting every chunk
 * and then concatenating them: a snapshot of 10,000 applications is about 8 MB, and the sidecar
 * should not hold it twice, let alone three times with its text.
 */
async function readBody(
  body: Dispatcher.ResponseData['body'],
  declaredLength: number,
): Promise<Buffer> {
  if (!Number.isSafeInteger(declaredLength) || declaredLength < 0) {
    const chunks: Buffer[] = [];
    for await (const chunk of body) {
      chunks.push(chunk);
    }
    return Buffer.concat(chunks);
  }
  const bytes = Buffer.allocUnsafe(declaredLength);
  let length = 0;
  for await (const chunk of body as AsyncIterable<Buffer>) {
    if (length + chunk.length > declaredLength) {
      throw new Error('response body longer than its Content-Length');
    }
    chunk.copy(bytes, length);
    length += chunk.length;
  }
  if (length !== declaredLength) {
    throw new Error('response body shorter than its Content-Length');
  }
  return bytes;
}

/** A validated snapshot newer than the held one, as the feed hands it on. */
export interface AcceptedSnapshot {
  /** Its version, epoch, generation time and vhost. */
  head: AuthzSnapshotHead;
  /**
   * The whole snapshot. For a whole snapshot from the portal, the one parsed; for a delta's
   * result, built when asked for (linear in the store), so a sidecar that updates its index
   * with `change` need not.
   */
  whole(): AuthzSnapshot;
  /** Its bytes for the disk: the bytes it came as, or for a delta's result the delta's line. */
  bytes: SnapshotBytes;
  /** For a delta from the held version: what it changed. */
  change?: AuthzSnapshotChange;
}

/** The timer functions the feed waits with; tests pass a fake clock's. */
export interface FeedTimers {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** Node's own timers, the default wherever `FeedTimers` are asked for. */
export const SYSTEM_TIMERS: FeedTimers = {
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: handle => clearTimeout(handle as NodeJS.Timeout),
};

/** One portal replica the feed can poll. */
interface PortalTarget {
  /** The URL's origin, for logs (its path is in `path`). */
  readonly origin: string;
  readonly pool: Pool;
  /** The feed's path and fixed query on this portal. */
  readonly path: string;
  /**
   * Set after a failed poll: the next one closes its connection once answered. A portal that is
   * shutting down answers 503 on the kept-alive connection (Backstage's lifecycle middleware)
   * and cannot finish closing its server while we keep reusing that connection; after a
   * failure a new connection costs nothing next to the backoff.
   */
  closeAfterNextPoll: boolean;
}

class FeedError extends Error {
  readonly reason: FeedErrorReason;

  constructor(reason: FeedErrorReason, message: string) {
    super(message);
    this.reason = reason;
  }
}

/**
 * Long-polls the portal for new snapshots. Each poll names the version the sidecar holds in
 * `If-None-Match`; the portal answers 200 with a newer snapshot or 304 when its wait runs out.
 * Failures never stop the sidecar from serving what it holds.
 *
 * With several portal URLs (replicas of one portal), the feed follows one of them and, when a
 * poll fails, tries the next at once; only when every one has failed in a row does it back off.
 * Whichever replica answers, a snapshot older than the one held (within an epoch) is refused.
 *
 * Once it holds a snapshot the feed served, it asks for deltas (`delta=1`): a change then
 * costs the size of the change on the wire. A delta is applied only to exactly the version it
 * names, and its result is validated as a whole snapshot would be (`AuthzSnapshotHolder`: the
 * entries it puts and the rules they touch); on a gap (another version or epoch)
 * the next poll asks for the whole snapshot at once. What a delta changed is passed on with
 * its snapshot, so the index can be updated rather than compiled whole.
 */
export class SnapshotFeed {
  readonly #targets: readonly PortalTarget[];
  readonly #token: () => string;
  readonly #backoff: Backoff;
  readonly #heldVersion: () => number | undefined;
  readonly #heldEpoch: () => string | undefined;
  readonly #confirmed:
    | (() => { version: number; epoch: string | undefined } | undefined)
    | undefined;
  readonly #untilNextSave: () => Promise<void>;
  readonly #accept: (accepted: AcceptedSnapshot) => void | Promise<void>;
  readonly #metrics: SidecarMetrics;
  readonly #logger: Logger;
  readonly #now: () => number;
  readonly #timers: FeedTimers;
  /** Index in #targets of the portal being followed. */
  #current = 0;
  /** The portal that answered last, so a change of portal is logged once. */
  #lastAnswered: PortalTarget | undefined;
  #lastSuccessMs: number | undefined;
  #stopped = false;
  #loop: Promise<void> | undefined;
  #abort: AbortController | undefined;
  #wake: (() => void) | undefined;
  /**
   * The last snapshot this feed accepted, which deltas apply to, validated and held with what
   * applying a delta needs (so a delta costs the size of the delta, not a parse of the store).
   */
  #held: AuthzSnapshotHolder | undefined;
  /** What the last accept returned: the next poll waits for it (see `accept`). */
  #durable: void | Promise<void> = undefined;
  /** Set after a delta did not apply: the next poll asks for the whole snapshot. */
  #wholeNext = false;
  /** Portals that answered 400 to a poll asking for a delta (an older portal): never asked again. */
  readonly #noDeltas = new Set<PortalTarget>();

  private constructor(options: {
    targets: readonly PortalTarget[];
    token: () => string;
    backoff: Backoff;
    heldVersion: () => number | undefined;
    heldEpoch: () => string | undefined;
    confirmed:
      | (() => { version: number; epoch: string | undefined } | undefined)
      | undefined;
    untilNextSave: () => Promise<void>;
    accept: (accepted: AcceptedSnapshot) => void | Promise<void>;
    metrics: SidecarMetrics;
    logger: Logger;
    now: () => number;
    timers: FeedTimers;
  }) {
    this.#targets = options.targets;
    this.#token = options.token;
    this.#backoff = options.backoff;
    this.#heldVersion = options.heldVersion;
    this.#heldEpoch = options.heldEpoch;
    this.#confirmed = options.confirmed;
    this.#untilNextSave = options.untilNextSave;
    this.#accept = options.accept;
    this.#metrics = options.metrics;
    this.#logger = options.logger;
    this.#now = options.now;
    this.#timers = options.timers;
  }

  static create(options: {
    /**
     * Base URLs of the portal's replicas, e.g. `https://backstage.example.org`, in order of
     * preference.
     */
    portalUrls: readonly string[];
    /**
     * Bearer token of the sidecars' service identity, or where to get it before each poll
     * (a token file that may be rotated: `tokenSource`).
     */
    token: string | (() => string);
    instanceId: string;
    /** How long the portal may hold a poll before answering 304. */
    waitSeconds: number;
    /** PEM CA bundle for an HTTPS portal with a private CA. */
    ca?: string | Buffer;
    backoff: Backoff;
    /** The version being served, named in If-None-Match. */
    heldVersion: () => number | undefined;
    /** The epoch of the snapshot being served (sent so the portal can tell a new database). */
    heldEpoch?: () => string | undefined;
    /**
     * The version (with its epoch) named to the portal in `If-None-Match`: the newest one on disk
     * (decision 0012, amendment). While it differs from the held one, each poll is answered at
     * once (the portal has something newer than the named version), so the feed polls once per
     * `untilNextSave` instead of long-polling. Defaults to the held version and epoch.
     */
    confirmed?: () =>
      | { version: number; epoch: string | undefined }
      | undefined;
    /** While the held version is not confirmed: resolves when the next poll may go. */
    untilNextSave?: () => Promise<void>;
    /**
     * Called with each validated snapshot newer than the held one (see `AcceptedSnapshot`).
     * What it returns is waited for before the next poll: a sidecar resolves it once a write of
     * the bytes has ended, and the poll names what `confirmed` says is on disk (decision 0012:
     * the portal counts a sidecar as holding a version from its polls, and a restart with the
     * portal down must not serve an older one).
     */
    accept: (accepted: AcceptedSnapshot) => void | Promise<void>;
    metrics: SidecarMetrics;
    logger: Logger;
    now?: () => number;
    timers?: FeedTimers;
  }): SnapshotFeed {
    if (options.portalUrls.length === 0) {
      throw new Error('At least one portal URL is needed');
    }
    const bases = options.portalUrls.map(url => new URL(url));
    for (const base of bases) {
      if (base.protocol !== 'http:' && base.protocol !== 'https:') {
        throw new Error(
          `Portal URL must be http or https, got ${base.protocol}`,
        );
      }
    }
    const query = new URLSearchParams({
      [AUTHZ_SNAPSHOT_HTTP.sidecarParam]: options.instanceId,
      [AUTHZ_SNAPSHOT_HTTP.waitSecondsParam]: String(options.waitSeconds),
    });
    const targets = bases.map(
      (base): PortalTarget => ({
        origin: base.origin,
        pool: new Pool(base.origin, {
          connections: 1,
          connect: {
            // A portal accepts in milliseconds; a host that is gone (dropping packets) must not
            // hold up the next portal, or the next try, for longer than this.
            timeout: 3_000,
            ...(options.ca !== undefined ? { ca: options.ca } : {}),
          },
          // The portal holds each poll for waitSeconds before its headers come.
          headersTimeout: (options.waitSeconds + 15) * 1000,
          bodyTimeout: 60_000,
          keepAliveTimeout: 60_000,
        }),
        path: `${base.pathname.replace(/\/+$/, '')}${
          AUTHZ_SNAPSHOT_HTTP.path
        }?${query}`,
        closeAfterNextPoll: false,
      }),
    );
    return new SnapshotFeed({
      targets,
      token:
        typeof options.token === 'string'
          ? constant(options.token)
          : options.token,
      backoff: options.backoff,
      heldVersion: options.heldVersion,
      heldEpoch: options.heldEpoch ?? (() => undefined),
      confirmed: options.confirmed,
      untilNextSave: options.untilNextSave ?? (() => Promise.resolve()),
      accept: options.accept,
      metrics: options.metrics,
      logger: options.logger,
      now: options.now ?? Date.now,
      timers: options.timers ?? SYSTEM_TIMERS,
    });
  }

  /** When the portal last answered a poll (200 or 304), in epoch milliseconds. */
  get lastSuccessMs(): number | undefined {
    return this.#lastSuccessMs;
  }

  start(): void {
    if (!this.#loop && !this.#stopped) {
      this.#loop = this.#run();
    }
  }

  /** Ends the poll in flight and any backoff wait, and closes the connection pools. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#abort?.abort();
    this.#wake?.();
    await this.#loop;
    await Promise.all(this.#targets.map(target => target.pool.destroy()));
  }

  async #run(): Promise<void> {
    // Rounds in a row in which every portal failed; what the backoff grows with.
    let failedRounds = 0;
    // Portals that failed in a row in the current round.
    let failedInRound = 0;
    while (!this.#stopped) {
      const target = this.#targets[this.#current];
      try {
        const outcome = await this.#poll(target);
        this.#lastSuccessMs = this.#now();
        this.#metrics.recordFeedSuccess(this.#lastSuccessMs);
        failedRounds = 0;
        failedInRound = 0;
        target.closeAfterNextPoll = false;
        if (this.#lastAnswered !== undefined && this.#lastAnswered !== target) {
          this.#logger.info('Following another portal', {
            portal: target.origin,
            previous: this.#lastAnswered.origin,
          });
        }
        this.#lastAnswered = target;
        // The next poll names the accepted version to the portal: only once it is durable.
        const durable = this.#durable;
        this.#durable = undefined;
        try {
          await durable;
        } catch (error) {
          this.#logger.error('Accepted snapshot not stored', {
            error: errorMessage(error),
          });
        }
        if (outcome === 'gap') continue;
        if (this.#unconfirmed()) {
          // The portal is told the version on disk, older than the held one, and answers such a
          // poll at once: poll again when the next write attempt has ended, not in a loop.
          await this.#waitFor(this.#untilNextSave());
          continue;
        }
        if (outcome === 'same') {
          // A portal that answers 200 with the version we hold would otherwise be polled in
          // a tight loop.
          await this.#sleep(this.#backoff.delayMs(1));
        }
      } catch (error) {
        if (this.#stopped) {
          break;
        }
        target.closeAfterNextPoll = true;
        const reason = error instanceof FeedError ? error.reason : 'network';
        this.#metrics.recordFeedError(reason);
        this.#current = (this.#current + 1) % this.#targets.length;
        failedInRound++;
        const fields = {
          portal: target.origin,
          reason,
          error: errorMessage(error),
          heldVersion: this.#heldVersion() ?? null,
        };
        if (failedInRound < this.#targets.length) {
          this.#logger.warn(
            'Snapshot poll failed; trying the next portal at once',
            { ...fields, next: this.#targets[this.#current].origin },
          );
          continue;
        }
        failedInRound = 0;
        failedRounds++;
        const delayMs = this.#backoff.delayMs(failedRounds);
        this.#logger.warn('Snapshot poll failed; keeping the snapshot held', {
          ...fields,
          failures: failedRounds,
          retryInMs: Math.round(delayMs),
        });
        await this.#sleep(delayMs);
      }
    }
  }

  async #poll(
    target: PortalTarget,
  ): Promise<'newer' | 'same' | 'unchanged' | 'gap'> {
    const held = this.#heldVersion();
    const heldEpoch = this.#heldEpoch();
    const named = this.#named(held, heldEpoch);
    const base =
      this.#held &&
      !this.#wholeNext &&
      !this.#noDeltas.has(target) &&
      named !== undefined &&
      this.#held.head.version === held &&
      this.#held.head.epoch === heldEpoch &&
      named.version === held &&
      named.epoch === heldEpoch
        ? this.#held
        : undefined;
    this.#wholeNext = false;
    const headers: Record<string, string> = {
      authorization: `Bearer ${this.#token()}`,
      accept: 'application/json',
    };
    if (named !== undefined) {
      headers[AUTHZ_SNAPSHOT_HTTP.ifNoneMatchHeader] = formatAuthzSnapshotETag(
        named.version,
      );
    }
    this.#abort = new AbortController();
    const response = await target.pool.request({
      method: 'GET',
      path: `${target.path}${
        named?.epoch === undefined
          ? ''
          : `&${AUTHZ_SNAPSHOT_HTTP.epochParam}=${encodeURIComponent(
              named.epoch,
            )}`
      }${base ? `&${AUTHZ_SNAPSHOT_HTTP.deltaParam}=1` : ''}`,
      headers,
      signal: this.#abort.signal,
      reset: target.closeAfterNextPoll,
    });

    if (response.statusCode === AUTHZ_SNAPSHOT_HTTP.notModifiedStatus) {
      await response.body.dump();
      this.#logger.debug('Snapshot unchanged', { heldVersion: held ?? null });
      return 'unchanged';
    }
    if (response.statusCode === 400 && base) {
      await response.body.dump();
      this.#logger.warn(
        'Portal does not take delta polls; asking it for whole snapshots',
        {
          portal: target.origin,
        },
      );
      this.#noDeltas.add(target);
      return 'gap';
    }
    if (response.statusCode !== 200) {
      await response.body.dump();
      throw new FeedError(
        'status',
        `portal answered HTTP ${response.statusCode}`,
      );
    }

    const received = await readBody(
      response.body,
      Number(response.headers['content-length']),
    );
    let accepted: AcceptedSnapshot;
    let prepared: PreparedAuthzSnapshotDelta | undefined;
    try {
      const body = snapshotJson(received);
      if (base && isAuthzSnapshotDelta(body)) {
        // Validates the delta's entries and the rules they touch, as a whole apply would.
        const delta = base.prepare(body);
        prepared = delta;
        accepted = {
          head: delta.head,
          whole: delta.snapshot,
          bytes: {
            from: { version: base.head.version, epoch: base.head.epoch },
            // The journal keeps one delta per line: the bytes as they came when they are one
            // line of JSON already (the portal's are), else the delta written again as one.
            delta:
              received.includes(0x0a) || received[0] === 0xef
                ? Buffer.from(JSON.stringify(body))
                : received,
            // The whole snapshot (linear in the store), when the journal cannot take the
            // delta: serialised by the saver once the new policy is in place.
            whole: () => Buffer.from(JSON.stringify(delta.snapshot())),
          },
          change: delta.change,
        };
        this.#logger.info('Snapshot delta applied', {
          from: base.head.version,
          version: delta.head.version,
          deltaBytes: received.length,
        });
      } else {
        const whole = parseAuthzSnapshot(body);
        accepted = {
          head: authzSnapshotHead(whole),
          whole: () => whole,
          bytes: received,
        };
      }
    } catch (error) {
      if (error instanceof AuthzSnapshotDeltaGapError) {
        this.#logger.warn(
          'Snapshot delta does not apply; asking for the whole snapshot',
          {
            heldVersion: held ?? null,
            error: errorMessage(error),
          },
        );
        this.#wholeNext = true;
        return 'gap';
      }
      throw new FeedError('invalid_snapshot', errorMessage(error));
    }
    const snapshot = accepted.head;
    const etagVersion = parseAuthzSnapshotETag(
      response.headers[AUTHZ_SNAPSHOT_HTTP.etagHeader] as string | undefined,
    );
    if (etagVersion !== undefined && etagVersion !== snapshot.version) {
      this.#logger.warn(
        'ETag and snapshot version differ; using the snapshot version',
        {
          etagVersion,
          version: snapshot.version,
        },
      );
    }
    const newEpoch =
      heldEpoch !== undefined &&
      snapshot.epoch !== undefined &&
      snapshot.epoch !== heldEpoch;
    if (newEpoch) {
      // A restored or rebuilt portal database counts versions afresh; its snapshot is the
      // policy now, whatever its version says.
      this.#logger.warn('Portal database changed; taking its snapshot', {
        heldVersion: held ?? null,
        heldEpoch,
        version: snapshot.version,
        epoch: snapshot.epoch,
      });
    } else if (held !== undefined && snapshot.version < held) {
      throw new FeedError(
        'older_version',
        `portal served version ${snapshot.version}, older than the held ${held}; refused`,
      );
    }
    if (!newEpoch && held !== undefined && snapshot.version === held) {
      this.#logger.debug('Portal served the version already held', {
        version: held,
      });
      return 'same';
    }
    let durable: void | Promise<void>;
    try {
      durable = this.#accept(accepted);
    } catch (error) {
      throw new FeedError('invalid_snapshot', errorMessage(error));
    }
    if (prepared && base) {
      prepared.commit();
      this.#held = base;
    } else {
      this.#held = AuthzSnapshotHolder.hold(accepted.whole());
    }
    this.#durable = durable;
    return 'newer';
  }

  /** What the portal is told the sidecar holds: the version on disk, when that is tracked. */
  #named(
    held: number | undefined,
    heldEpoch: string | undefined,
  ): { version: number; epoch: string | undefined } | undefined {
    if (this.#confirmed) {
      return this.#confirmed();
    }
    return held === undefined ? undefined : { version: held, epoch: heldEpoch };
  }

  /** The held version is newer than the one named to the portal (not yet on disk). */
  #unconfirmed(): boolean {
    if (!this.#confirmed) {
      return false;
    }
    const held = this.#heldVersion();
    const named = this.#confirmed();
    return (
      held !== undefined &&
      (named === undefined ||
        named.version !== held ||
        named.epoch !== this.#heldEpoch())
    );
  }

  /** Waits for `promise`, or less if the feed stops meanwhile. */
  #waitFor(promise: Promise<void>): Promise<void> {
    if (this.#stopped) {
      return Promise.resolve();
    }
    return new Promise(resolve => {
      const done = () => {
        if (this.#wake === done) {
          this.#wake = undefined;
        }
        resolve();
      };
      this.#wake = done;
      promise.then(done, done);
    });
  }

  #sleep(ms: number): Promise<void> {
    if (this.#stopped) {
      return Promise.resolve();
    }
    const timers = this.#timers;
    return new Promise(resolve => {
      let timer: unknown = undefined;
      const done = () => {
        timers.clearTimeout(timer);
        this.#wake = undefined;
        resolve();
      };
      timer = timers.setTimeout(done, ms);
      this.#wake = done;
    });
  }
}

function constant(token: string): () => string {
  return () => token;
}

/** Milliseconds since the epoch; injected so tests never wait for real time. */
export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

export interface BackoffOptions {
  /** Ceiling of the first retry's delay; doubles with every failure in a row. */
  baseMs?: number;
  /** Largest ceiling: however often an object fails, it is retried at least this often. */
  capMs?: number;
  /** A value in [0, 1); `Math.random` unless a test fixes it. */
  random?: () => number;
  clock?: Clock;
}

export interface BackoffDecision {
  /** Failures in a row, this one included. */
  attempts: number;
  delayMs: number;
  /** When the object may be tried again, by the injected clock. */
  retryAt: number;
}

export const DEFAULT_BACKOFF_BASE_MS = 1_000;
export const DEFAULT_BACKOFF_CAP_MS = 5 * 60_000;

// Beyond this many doublings every sane base exceeds every sane cap; stopping here keeps
// the arithmetic finite however long an object keeps failing.
const MAX_DOUBLINGS = 1000;

/**
 * Per-key exponential backoff with full jitter (a uniformly random delay below
 * min(cap, base·2^(n-1))), so that objects that failed together do not retry together.
 * It never gives up: a failing object is retried at least every `capMs`. A terminal
 * failure is different: retrying cannot help, so the key waits until its generation
 * changes.
 */
export class Backoff {
  readonly #baseMs: number;
  readonly #capMs: number;
  readonly #random: () => number;
  readonly #clock: Clock;
  readonly #failures = new Map<string, { attempts: number; retryAt: number }>();
  readonly #terminalAtGeneration = new Map<string, number>();

  private constructor(options: Required<BackoffOptions>) {
    this.#baseMs = options.baseMs;
    this.#capMs = options.capMs;
    this.#random = options.random;
    this.#clock = options.clock;
  }

  static create(options: BackoffOptions = {}): Backoff {
    const baseMs = options.baseMs ?? DEFAULT_BACKOFF_BASE_MS;
    const capMs = options.capMs ?? DEFAULT_BACKOFF_CAP_MS;
    if (!(baseMs >= 0) || !(capMs >= baseMs)) {
      throw new RangeError(
        `backoff needs 0 <= baseMs <= capMs, got ${baseMs} and ${capMs}`,
      );
    }
    return new Backoff({
      baseMs,
      capMs,
      random: options.random ?? Math.random,
      clock: options.clock ?? systemClock,
    });
  }

  /** Records a failure and says how long to wait before the next attempt. */
  failure(key: string): BackoffDecision {
    this.#terminalAtGeneration.delete(key);
    const attempts = (this.#failures.get(key)?.attempts ?? 0) + 1;
    const delayMs = Math.floor(this.#jitter() * this.ceilingMs(attempts));
    const retryAt = this.#clock.now() + delayMs;
    this.#failures.set(key, { attempts, retryAt });
    return { attempts, delayMs, retryAt };
  }

  /** The largest delay the given failure in a row can get. */
  ceilingMs(attempts: number): number {
    const doublings = Math.min(Math.max(attempts - 1, 0), MAX_DOUBLINGS);
    return Math.min(this.#capMs, this.#baseMs * 2 ** doublings);
  }

  /** Records that retrying cannot help until the object's spec changes. */
  terminal(key: string, generation: number): void {
    this.#failures.delete(key);
    this.#terminalAtGeneration.set(key, generation);
  }

  /** Forgets the key's history: after a success, or when the object is gone. */
  reset(key: string): void {
    this.#failures.delete(key);
    this.#terminalAtGeneration.delete(key);
  }

  /**
   * Forgets every failure that retrying can fix, keeping terminal ones: when the broker
   * answers again after an outage, what failed because of it is due at once.
   */
  resetTransient(): number {
    const forgotten = this.#failures.size;
    this.#failures.clear();
    return forgotten;
  }

  /**
   * Whether to try the object now: not while its backoff runs, and not while it is
   * terminal at the generation it failed at.
   */
  shouldAttempt(key: string, generation: number): boolean {
    const terminalGeneration = this.#terminalAtGeneration.get(key);
    if (terminalGeneration !== undefined)
      return terminalGeneration !== generation;
    const failure = this.#failures.get(key);
    return failure === undefined || failure.retryAt <= this.#clock.now();
  }

  isTerminal(key: string, generation: number): boolean {
    return this.#terminalAtGeneration.get(key) === generation;
  }

  /** Failures in a row so far (0 after a success). */
  attempts(key: string): number {
    return this.#failures.get(key)?.attempts ?? 0;
  }

  retryAt(key: string): number | undefined {
    return this.#failures.get(key)?.retryAt;
  }

  #jitter(): number {
    const r = this.#random();
    // An injected random outside [0, 1) must not push a delay past the cap or below zero.
    return Number.isFinite(r) ? Math.min(Math.max(r, 0), 1) : 1;
  }
}

import { Backoff, Clock } from './backoff';
import { compareCodeUnits } from './naming';

export interface WorkQueueOptions {
  clock: Clock;
  /** Decides the delay of `addRateLimited`; `forget` resets it. */
  backoff: Backoff;
}

/**
 * A queue of keys in the style of client-go's rate-limited work queue. It carries keys,
 * never payloads: whoever takes a key reads the current state. A key is queued at most
 * once; a key added while it is being processed is queued again when `done` is called,
 * so no change is lost and no key is processed twice at once. Delayed keys wait on the
 * injected clock; the queue starts no timers, the driver asks `nextWakeAt` when to look.
 */
export class RateLimitedWorkQueue {
  readonly #clock: Clock;
  readonly #backoff: Backoff;
  readonly #queue: string[] = [];
  /** Keys that need processing: queued, or added again while processing. */
  readonly #dirty = new Set<string>();
  readonly #processing = new Set<string>();
  /** Delayed keys and when they become due; the earliest request wins. */
  readonly #waiting = new Map<string, number>();

  private constructor(options: WorkQueueOptions) {
    this.#clock = options.clock;
    this.#backoff = options.backoff;
  }

  static create(options: WorkQueueOptions): RateLimitedWorkQueue {
    return new RateLimitedWorkQueue(options);
  }

  add(key: string): void {
    if (this.#dirty.has(key)) return;
    this.#dirty.add(key);
    if (this.#processing.has(key)) return;
    this.#queue.push(key);
  }

  addAfter(key: string, delayMs: number): void {
    if (delayMs <= 0) {
      this.add(key);
      return;
    }
    const dueAt = this.#clock.now() + delayMs;
    const already = this.#waiting.get(key);
    if (already === undefined || dueAt < already) this.#waiting.set(key, dueAt);
  }

  /** Requeues a failed key after its backoff; returns the delay. */
  addRateLimited(key: string): number {
    const { delayMs } = this.#backoff.failure(key);
    this.addAfter(key, delayMs);
    return delayMs;
  }

  /** The key succeeded: its next failure starts from the base delay again. */
  forget(key: string): void {
    this.#backoff.reset(key);
  }

  /** The next key to process, or undefined when none is due. Call `done` when finished. */
  get(): string | undefined {
    this.#promoteDue();
    const key = this.#queue.shift();
    if (key === undefined) return undefined;
    this.#processing.add(key);
    this.#dirty.delete(key);
    return key;
  }

  done(key: string): void {
    this.#processing.delete(key);
    if (this.#dirty.has(key)) this.#queue.push(key);
  }

  /** When the driver should call `get` next: now if keys are queued, else the earliest due time. */
  nextWakeAt(): number | undefined {
    if (this.#queue.length > 0) return this.#clock.now();
    let earliest: number | undefined;
    for (const dueAt of this.#waiting.values()) {
      if (earliest === undefined || dueAt < earliest) earliest = dueAt;
    }
    return earliest;
  }

  /** Keys queued and due now (not the delayed ones, not those being processed). */
  get length(): number {
    this.#promoteDue();
    return this.#queue.length;
  }

  #promoteDue(): void {
    const now = this.#clock.now();
    const due = [...this.#waiting]
      .filter(([, dueAt]) => dueAt <= now)
      .sort(([a, x], [b, y]) => x - y || compareCodeUnits(a, b));
    for (const [key] of due) {
      this.#waiting.delete(key);
      this.add(key);
    }
  }
}

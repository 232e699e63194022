import { FeedTimers } from '../feed/SnapshotFeed';

/**
 * A fake clock for the feed's waits: nothing fires until the test says so, and the clock jumps
 * to each timer's due time as it fires. `requested` keeps every delay asked for.
 */
export class ManualTimers implements FeedTimers {
  readonly requested: number[] = [];
  #now = 0;
  #nextId = 1;
  readonly #pending = new Map<
    number,
    { dueMs: number; callback: () => void }
  >();

  /** Milliseconds of fake time since the clock was made. */
  get now(): number {
    return this.#now;
  }

  get pending(): number {
    return this.#pending.size;
  }

  setTimeout(callback: () => void, ms: number): number {
    const id = this.#nextId++;
    this.requested.push(ms);
    this.#pending.set(id, { dueMs: this.#now + ms, callback });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.#pending.delete(handle as number);
  }

  /** Moves the clock to the earliest pending timer's due time and fires it. */
  fireNext(): void {
    const [id, timer] = [...this.#pending].reduce((a, b) =>
      b[1].dueMs < a[1].dueMs ? b : a,
    );
    this.#pending.delete(id);
    this.#now = Math.max(this.#now, timer.dueMs);
    timer.callback();
  }
}

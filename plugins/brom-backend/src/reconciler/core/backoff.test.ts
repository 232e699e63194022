import { Backoff, Clock } from './backoff';

class ManualClock implements Clock {
  constructor(private time = 1_000_000) {}
  now(): number {
    return this.time;
  }
  advance(ms: number): void {
    this.time += ms;
  }
}

describe('Backoff', () => {
  it('doubles the delay ceiling with every failure in a row, up to the cap', () => {
    const backoff = Backoff.create({
      baseMs: 100,
      capMs: 1_000,
      random: () => 0.999999,
    });
    const delays = Array.from(
      { length: 7 },
      () => backoff.failure('queue:a').delayMs,
    );
    expect(delays).toEqual([99, 199, 399, 799, 999, 999, 999]);
    expect(backoff.attempts('queue:a')).toBe(7);
  });

  it('draws each delay uniformly below the ceiling (full jitter)', () => {
    const draws = [0, 0.25, 0.5, 0.75];
    let i = 0;
    const backoff = Backoff.create({
      baseMs: 1_000,
      capMs: 60_000,
      random: () => draws[i++],
    });
    // Attempts 1–4 have ceilings 1000, 2000, 4000 and 8000.
    expect(draws.map(() => backoff.failure('k').delayMs)).toEqual([
      0, 500, 2000, 6000,
    ]);
  });

  it('keeps every delay within [0, ceiling) with a real random source', () => {
    const backoff = Backoff.create({ baseMs: 10, capMs: 5_000 });
    for (let attempt = 1; attempt <= 200; attempt++) {
      const { delayMs } = backoff.failure('k');
      const ceiling = Math.min(5_000, 10 * 2 ** (attempt - 1));
      expect(delayMs).toBeGreaterThanOrEqual(0);
      expect(delayMs).toBeLessThan(ceiling);
    }
  });

  it('never gives up: after thousands of failures the delay is still finite and capped', () => {
    const backoff = Backoff.create({
      baseMs: 1_000,
      capMs: 300_000,
      random: () => 0.5,
    });
    let last = 0;
    for (let n = 0; n < 5_000; n++) last = backoff.failure('k').delayMs;
    expect(last).toBe(150_000);
    expect(backoff.ceilingMs(5_000)).toBe(300_000);
  });

  it('tolerates an injected random outside [0, 1)', () => {
    expect(
      Backoff.create({ baseMs: 100, capMs: 100, random: () => 7 }).failure('k')
        .delayMs,
    ).toBe(100);
    expect(
      Backoff.create({ baseMs: 100, capMs: 100, random: () => -1 }).failure('k')
        .delayMs,
    ).toBe(0);
  });

  it('keeps keys apart and starts again from the base after a success', () => {
    const backoff = Backoff.create({
      baseMs: 100,
      capMs: 10_000,
      random: () => 0.5,
    });
    backoff.failure('a');
    backoff.failure('a');
    expect(backoff.failure('a').delayMs).toBe(200);
    expect(backoff.failure('b').delayMs).toBe(50);

    backoff.reset('a');
    expect(backoff.attempts('a')).toBe(0);
    expect(backoff.failure('a').delayMs).toBe(50);
  });

  it('holds a key until its retry time by the injected clock', () => {
    const clock = new ManualClock();
    const backoff = Backoff.create({
      baseMs: 1_000,
      capMs: 10_000,
      random: () => 0.5,
      clock,
    });
    expect(backoff.shouldAttempt('k', 1)).toBe(true);

    const { retryAt } = backoff.failure('k');
    expect(retryAt).toBe(clock.now() + 500);
    expect(backoff.shouldAttempt('k', 1)).toBe(false);
    clock.advance(499);
    expect(backoff.shouldAttempt('k', 1)).toBe(false);
    clock.advance(1);
    expect(backoff.shouldAttempt('k', 1)).toBe(true);
  });

  it('does not retry a terminal failure until the generation changes, however much time passes', () => {
    const clock = new ManualClock();
    const backoff = Backoff.create({ clock });
    backoff.terminal('queue:a', 3);

    clock.advance(24 * 3600_000);
    expect(backoff.shouldAttempt('queue:a', 3)).toBe(false);
    expect(backoff.isTerminal('queue:a', 3)).toBe(true);
    expect(backoff.shouldAttempt('queue:a', 4)).toBe(true);

    backoff.reset('queue:a');
    expect(backoff.shouldAttempt('queue:a', 3)).toBe(true);
  });

  it('refuses a cap below the base', () => {
    expect(() => Backoff.create({ baseMs: 10, capMs: 5 })).toThrow(RangeError);
  });
});

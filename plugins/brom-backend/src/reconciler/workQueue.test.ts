import { Backoff, Clock } from './backoff';
import { RateLimitedWorkQueue } from './workQueue';

class ManualClock implements Clock {
  time = 0;
  now(): number {
    return this.time;
  }
}

function setup() {
  const clock = new ManualClock();
  const backoff = Backoff.create({
    baseMs: 1_000,
    capMs: 8_000,
    random: () => 0.5,
    clock,
  });
  return { clock, queue: RateLimitedWorkQueue.create({ clock, backoff }) };
}

describe('RateLimitedWorkQueue', () => {
  it('hands out each key once, first in first out, however often it was added', () => {
    const { queue } = setup();
    queue.add('vhost:brom');
    queue.add('vhost:other');
    queue.add('vhost:brom');

    expect(queue.length).toBe(2);
    expect(queue.get()).toBe('vhost:brom');
    expect(queue.get()).toBe('vhost:other');
    expect(queue.get()).toBeUndefined();
  });

  it('requeues a key added while it is processed only when done, so it never runs twice at once', () => {
    const { queue } = setup();
    queue.add('k');
    expect(queue.get()).toBe('k');
    queue.add('k');
    queue.add('k');
    expect(queue.get()).toBeUndefined();

    queue.done('k');
    expect(queue.get()).toBe('k');
    queue.done('k');
    expect(queue.get()).toBeUndefined();
  });

  it('delays a key on the injected clock and keeps the earliest request', () => {
    const { clock, queue } = setup();
    queue.addAfter('k', 5_000);
    queue.addAfter('k', 2_000);
    queue.addAfter('k', 9_000);
    expect(queue.get()).toBeUndefined();
    expect(queue.nextWakeAt()).toBe(2_000);

    clock.time = 1_999;
    expect(queue.get()).toBeUndefined();
    clock.time = 2_000;
    expect(queue.get()).toBe('k');
    queue.done('k');
    expect(queue.nextWakeAt()).toBeUndefined();
  });

  it('releases due keys in due order', () => {
    const { clock, queue } = setup();
    queue.addAfter('late', 300);
    queue.addAfter('early', 100);
    queue.add('now');
    clock.time = 500;
    expect([queue.get(), queue.get(), queue.get()]).toEqual([
      'now',
      'early',
      'late',
    ]);
  });

  it('backs a failing key off exponentially and forgets that after a success', () => {
    const { clock, queue } = setup();
    expect([1, 2, 3, 4, 5].map(() => queue.addRateLimited('k'))).toEqual([
      500, 1_000, 2_000, 4_000, 4_000,
    ]);
    clock.time = 500;
    expect(queue.get()).toBe('k');
    queue.done('k');

    queue.forget('k');
    expect(queue.addRateLimited('k')).toBe(500);
  });

  it('says to wake now when keys are queued', () => {
    const { clock, queue } = setup();
    clock.time = 42;
    queue.add('k');
    expect(queue.nextWakeAt()).toBe(42);
  });
});

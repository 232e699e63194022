import { BrokerStatsCache, QueueStatsRow } from './QueueHealthService';

function source(queues: () => QueueStatsRow[]) {
  const calls = { queues: 0, exchanges: 0 };
  return {
    calls,
    source: {
      listQueues: async () => {
        calls.queues += 1;
        return queues();
      },
      listExchanges: async () => {
        calls.exchanges += 1;
        return [];
      },
    },
  };
}

describe('BrokerStatsCache', () => {
  it('reads all queues once per interval, however many callers ask', async () => {
    let now = new Date('2026-12-03T12:00:00.000Z');
    const rows = Array.from({ length: 4000 }, (_, i) => ({ name: `brom.app-${i}` }));
    const { calls, source: s } = source(() => rows);
    const cache = new BrokerStatsCache({ source: s, ttlMs: 5000, clock: () => now });

    const answers = await Promise.all(Array.from({ length: 50 }, () => cache.get()));
    expect(calls).toEqual({ queues: 1, exchanges: 1 });
    expect(new Set(answers).size).toBe(1);
    expect(answers[0].queues.size).toBe(4000);

    now = new Date(now.getTime() + 4999);
    await cache.get();
    expect(calls.queues).toBe(1);
    // Stale: answered at once from the old snapshot while one refresh runs behind it.
    now = new Date(now.getTime() + 1);
    const stale = await Promise.all([cache.get(), cache.get()]);
    expect(stale[0]).toBe(answers[0]);
    expect(stale[1]).toBe(answers[0]);
    expect(calls).toEqual({ queues: 2, exchanges: 2 });
    await new Promise(resolve => setImmediate(resolve));
    const fresh = await cache.get();
    expect(fresh).not.toBe(answers[0]);
    expect(fresh.observedAt).toEqual(now);
    expect(calls.queues).toBe(2);
  });

  it('makes callers wait for a new snapshot once the old one is too old', async () => {
    let now = new Date('2026-12-03T12:00:00.000Z');
    let fail = false;
    const cache = new BrokerStatsCache({
      source: {
        listQueues: async () => {
          if (fail) throw new Error('management API down');
          return [];
        },
        listExchanges: async () => [],
      },
      ttlMs: 5000,
      maxStaleMs: 60_000,
      clock: () => now,
    });
    const first = await cache.get();
    fail = true;
    now = new Date(now.getTime() + 30_000);
    expect(await cache.get()).toBe(first);
    await new Promise(resolve => setImmediate(resolve));
    now = new Date(now.getTime() + 30_000);
    await expect(cache.get()).rejects.toThrow('management API down');
  });

  it('notes when a queue last delivered, from its delivered count growing', async () => {
    let now = new Date('2026-12-03T12:00:00.000Z');
    let delivered = 3;
    const { source: s } = source(() => [
      { name: 'brom.billing', message_stats: { deliver_get: delivered } },
    ]);
    const cache = new BrokerStatsCache({
      source: s,
      ttlMs: 0,
      maxStaleMs: 0,
      clock: () => now,
    });

    await cache.get();
    // Deliveries before the portal watched have no known time.
    expect(cache.lastDeliveryAt('brom.billing')).toBeNull();
    now = new Date('2026-12-03T12:00:10.000Z');
    await cache.get();
    expect(cache.lastDeliveryAt('brom.billing')).toBeNull();
    delivered = 5;
    now = new Date('2026-12-03T12:00:20.000Z');
    await cache.get();
    expect(cache.lastDeliveryAt('brom.billing')).toEqual(now);
    const at = now;
    now = new Date('2026-12-03T12:00:30.000Z');
    await cache.get();
    expect(cache.lastDeliveryAt('brom.billing')).toEqual(at);
  });

  it('shares a failure with the callers waiting for it and tries again on the next call', async () => {
    let fail = true;
    const cache = new BrokerStatsCache({
      source: {
        listQueues: async () => {
          if (fail) throw new Error('management API down');
          return [];
        },
        listExchanges: async () => [],
      },
      ttlMs: 5000,
    });
    await expect(cache.get()).rejects.toThrow('management API down');
    fail = false;
    await expect(cache.get()).resolves.toMatchObject({ queues: new Map() });
  });
});

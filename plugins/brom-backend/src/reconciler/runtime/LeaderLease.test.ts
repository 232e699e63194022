import { mockServices } from '@backstage/backend-test-utils';
import { createTestDatabases } from '../../__testUtils__/backend';
import { BromStore } from '../../store/BromStore';
import { recordingLogger } from '../__testUtils__/logger';
import { DatabaseLeaderLease } from './LeaderLease';

// The lease is a PostgreSQL row (SQLite is single-process: always leader).
const databases = createTestDatabases(['POSTGRES_15']);

/** Waits for `check` with a generous bound (the lease renews on a real timer here). */
async function eventually(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise(resolve => setTimeout(resolve, 10));
  }
}

describe('DatabaseLeaderLease', () => {
  if (!databases.supports('POSTGRES_15')) {
    it.skip('needs PostgreSQL', () => undefined);
    return;
  }

  async function setup() {
    const knex = await databases.init('POSTGRES_15');
    const store = await BromStore.create({ database: mockServices.database({ knex }) });
    const logger = recordingLogger();
    // The lease's own clock: real time, plus what the test says the process lost.
    const clock = { lostMs: 0, now: () => Date.now() + clock.lostMs };
    const lease = DatabaseLeaderLease.create({ store, logger, clock, ttlMs: 10_000, renewMs: 100 });
    return { knex, logger, clock, lease };
  }

  it('says in the log when a renewal ran late because the event loop was held, and keeps the lease', async () => {
    const { logger, clock, lease } = await setup();
    expect(await lease.acquire()).toBe(true);
    // Three seconds pass by the clock between two timer runs: what a held event loop looks like.
    clock.lostMs += 3_000;
    await eventually(() => logger.lines.some(l => l.includes('renewal ran')), 'the late renewal warning');
    const late = logger.lines.find(l => l.includes('renewal ran'))!;
    expect(Number(/ran (\d+) ms late/.exec(late)![1])).toBeGreaterThanOrEqual(2_900);
    expect(late).toMatch(/held its event loop/);
    expect(lease.holds()).toBe(true);
    await lease.release();
  });

  it('says in the log when a renewal query was slow (a lock, a slow database or a full pool)', async () => {
    const { knex, logger, lease } = await setup();
    expect(await lease.acquire()).toBe(true);
    // Another session holds the lease row: renewals wait for it.
    await knex.transaction(async tx => {
      await tx.raw("SELECT * FROM brom_reconciler_lease WHERE name = 'reconciler' FOR UPDATE");
      await new Promise(resolve => setTimeout(resolve, 500));
    });
    await eventually(() => logger.lines.some(l => l.includes('renewal took')), 'the slow renewal warning');
    const slow = logger.lines.find(l => l.includes('renewal took'))!;
    expect(Number(/took (\d+) ms/.exec(slow)![1])).toBeGreaterThanOrEqual(100);
    expect(lease.holds()).toBe(true);
    await lease.release();
  });
});

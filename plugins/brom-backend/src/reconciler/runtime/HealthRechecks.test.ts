import { HealthRechecks } from './HealthRechecks';
import { StatusRecord } from './ReconcilerStore';

function record(
  key: string,
  status: 'True' | 'False' | 'Unknown',
  nextAttemptAt: string | null = null,
): StatusRecord {
  const [kind, name] = key.split(':');
  return {
    key,
    kind,
    name,
    applicationId: 'app-partner',
    subscriptionId: null,
    managed: true,
    desiredGeneration: 1,
    condition: {
      type: 'Ready',
      status,
      reason: 'Test',
      message: '',
      observedGeneration: 1,
      lastTransitionTime: new Date(0).toISOString(),
    },
    attempts: 0,
    lastAttemptAt: null,
    nextAttemptAt,
  };
}

const SHOVEL = 'shovel:brom.partner';

describe('HealthRechecks', () => {
  it('doubles the wait of an object that stays unhealthy, up to the cap, and forgets it once healthy', () => {
    const rechecks = new HealthRechecks({ firstMs: 1_000, capMs: 5_000 });
    const waits: Array<number | undefined> = [];
    let now = 0;
    for (let i = 0; i < 5; i++) {
      const due = rechecks.afterPass([record(SHOVEL, 'False')], now, false);
      waits.push(due! - now);
      now = due!;
    }
    expect(waits).toEqual([1_000, 2_000, 4_000, 5_000, 5_000]);
    expect(rechecks.afterPass([record(SHOVEL, 'True')], now, false)).toBeUndefined();
    // Unhealthy again: the wait starts over.
    expect(rechecks.afterPass([record(SHOVEL, 'False')], now, false)).toBe(now + 1_000);
  });

  it('leaves kinds without a health check, and failed writes, to their own schedule', () => {
    const rechecks = new HealthRechecks();
    expect(
      rechecks.afterPass(
        [record('queue:brom.billing', 'False'), record(SHOVEL, 'False', new Date(500).toISOString())],
        0,
        false,
      ),
    ).toBeUndefined();
  });

  it('keeps a look due until a pass makes it, then forgets an object no pass reads any more', () => {
    const rechecks = new HealthRechecks({ firstMs: 1_000 });
    expect(rechecks.afterPass([record(SHOVEL, 'Unknown')], 0, false)).toBe(1_000);
    // A pass about something else, before the look is due.
    expect(rechecks.afterPass([record('queue:brom.billing', 'True')], 500, false)).toBe(1_000);
    // Due, and the pass did not read it (it is no longer unsettled): never a busy loop.
    expect(rechecks.afterPass([], 1_000, false)).toBeUndefined();
    // A full pass reads everything: what it does not list is gone.
    rechecks.afterPass([record(SHOVEL, 'False')], 2_000, false);
    expect(rechecks.afterPass([record('queue:brom.billing', 'True')], 2_100, true)).toBeUndefined();
  });
});

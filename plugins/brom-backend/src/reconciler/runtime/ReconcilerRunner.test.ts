import { OPTIONS, sampleInput } from '../__testUtils__/fakeBroker';
import { FakeBrokerApi } from '../__testUtils__/fakeBrokerApi';
import { silentLogger } from '../__testUtils__/logger';
import { MemoryReconcilerStore } from '../__testUtils__/memoryStore';
import { Reconciler } from './Reconciler';
import { ReconcilerRunner } from './ReconcilerRunner';

/** The event loop turns on the fake timers' setImmediate, which advancing them runs. */
const turnEventLoop = () => new Promise<void>(resolve => setImmediate(resolve));

describe('ReconcilerRunner', () => {
  beforeEach(() =>
    jest.useFakeTimers({ doNotFake: ['nextTick', 'queueMicrotask'] }),
  );
  afterEach(() => jest.useRealTimers());

  it('runs a full pass on taking the lease, an incremental pass on each change, and a full pass again on the resync period', async () => {
    const clock = { now: () => Date.now() };
    const store = new MemoryReconcilerStore(sampleInput());
    const api = new FakeBrokerApi();
    const passes: string[] = [];
    const reconciler = Reconciler.create({
      turnEventLoop,
      store,
      broker: api,
      logger: silentLogger(),
      topology: OPTIONS,
      clock,
      metrics: {
        pass: (_outcome, _durationMs, mode) => passes.push(mode),
        write: () => undefined,
        pending: () => undefined,
      },
    });
    let changed: (() => void) | undefined;
    const runner = ReconcilerRunner.create({
      reconciler,
      watcher: {
        onChange: listener => {
          changed = () => listener(store.input.version);
          return () => {
            changed = undefined;
          };
        },
      },
      lease: {
        acquire: async () => true,
        holds: () => true,
        release: async () => undefined,
      },
      logger: silentLogger(),
      resyncMs: 10_000,
      clock,
    });

    runner.start();
    await jest.advanceTimersByTimeAsync(100);
    expect(passes).toEqual(['full']);
    expect(store.rows.get('queue:brom.billing')).toMatchObject({
      status: 'True',
    });

    store.input.subscriptions = store.input.subscriptions.map(s =>
      s.id === 'sub-shipping' ? { ...s, state: 'approved', generation: 2 } : s,
    );
    store.input.version += 1;
    changed!();
    await jest.advanceTimersByTimeAsync(100);
    expect(passes).toEqual(['full', 'incremental']);
    expect(
      store.rows.get('binding:brom.orders->queue:brom.shipping:order.#'),
    ).toMatchObject({
      status: 'True',
    });

    await jest.advanceTimersByTimeAsync(9_000);
    expect(passes).toEqual(['full', 'incremental']);
    await jest.advanceTimersByTimeAsync(1_000);
    expect(passes).toEqual(['full', 'incremental', 'full']);
    expect(runner.passes).toBe(3);

    await runner.stop();
    expect(changed).toBeUndefined();
  });

  it('on stop, releases what it holds (its management client) after its last pass and the lease', async () => {
    const clock = { now: () => Date.now() };
    const store = new MemoryReconcilerStore(sampleInput());
    const steps: string[] = [];
    const reconciler = Reconciler.create({
      turnEventLoop,
      store,
      broker: new FakeBrokerApi(),
      logger: silentLogger(),
      topology: OPTIONS,
      clock,
      metrics: {
        pass: () => steps.push('pass'),
        write: () => undefined,
        pending: () => undefined,
      },
    });
    const runner = ReconcilerRunner.create({
      reconciler,
      watcher: { onChange: () => () => undefined },
      lease: {
        acquire: async () => true,
        holds: () => true,
        release: async () => {
          steps.push('lease released');
        },
      },
      logger: silentLogger(),
      clock,
      release: async () => {
        steps.push('client closed');
      },
    });
    runner.start();
    await jest.advanceTimersByTimeAsync(100);
    await runner.stop();
    expect(steps).toEqual(['pass', 'lease released', 'client closed']);
  });

  it('retries a failed write when its backoff is due, without a change', async () => {
    const clock = { now: () => Date.now() };
    const store = new MemoryReconcilerStore(sampleInput());
    const api = new FakeBrokerApi();
    api.failNext('putPolicy brom.billing', 503);
    const reconciler = Reconciler.create({
      turnEventLoop,
      store,
      broker: api,
      logger: silentLogger(),
      topology: OPTIONS,
      clock,
      random: () => 0.5,
      backoffBaseMs: 1_000,
    });
    const runner = ReconcilerRunner.create({
      reconciler,
      watcher: { onChange: () => () => undefined },
      lease: {
        acquire: async () => true,
        holds: () => true,
        release: async () => undefined,
      },
      logger: silentLogger(),
      resyncMs: 60_000,
      clock,
    });

    runner.start();
    await jest.advanceTimersByTimeAsync(100);
    expect(store.rows.get('policy:brom.billing')).toMatchObject({
      status: 'False',
      attempts: 1,
    });

    await jest.advanceTimersByTimeAsync(500);
    expect(store.rows.get('policy:brom.billing')).toMatchObject({
      status: 'True',
      attempts: 0,
    });
    expect(api.calls.filter(c => c === 'putPolicy brom.billing')).toHaveLength(
      2,
    );
    await runner.stop();
  });
});

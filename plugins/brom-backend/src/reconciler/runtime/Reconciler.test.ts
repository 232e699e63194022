import { OPTIONS, application, sampleInput } from '../__testUtils__/fakeBroker';
import { FakeBrokerApi } from '../__testUtils__/fakeBrokerApi';
import { recordingLogger, silentLogger } from '../__testUtils__/logger';
import { MemoryReconcilerStore } from '../__testUtils__/memoryStore';
import { Reconciler, ReconcilerOptions } from './Reconciler';

const START = Date.parse('2026-03-01T12:00:00Z');
const iso = (ms: number) => new Date(ms).toISOString();
const SHIPPING_BINDING = 'binding:brom.orders->queue:brom.shipping:order.#';

/**
 * A reconciler over the sample (orders produces; billing subscribes; shipping asked) with
 * an empty fake broker, an in-memory store and a clock that moves only when the test says.
 * Backoff: 1 s base, and a jitter of one half, so the n-th retry waits 2^(n-1) × 500 ms.
 */
function setup(options: Partial<ReconcilerOptions> = {}) {
  const clock = { ms: START, now: () => clock.ms };
  const store = new MemoryReconcilerStore(sampleInput());
  const api = new FakeBrokerApi();
  const reconciler = Reconciler.create({
    store,
    broker: api,
    logger: silentLogger(),
    topology: OPTIONS,
    clock,
    random: () => 0.5,
    backoffBaseMs: 1_000,
    backoffCapMs: 60_000,
    ...options,
  });
  return { clock, store, api, reconciler };
}

/** Shipping's requested subscription to every order event is approved. */
function approveShipping(store: MemoryReconcilerStore) {
  store.input.subscriptions = store.input.subscriptions.map(s =>
    s.id === 'sub-shipping' ? { ...s, state: 'approved', generation: 2 } : s,
  );
  store.input.version += 1;
}

describe('Reconciler', () => {
  afterEach(() => jest.useRealTimers());

  describe('what full passes see beyond their own objects', () => {
    const BILLING_BINDING = 'binding:brom.orders->queue:brom.billing:order.*.created';

    it('records when the vhost was observed and the unmanaged objects in it', async () => {
      const { clock, store, api, reconciler } = setup();
      await reconciler.pass();
      expect(store.observation).toMatchObject({ unmanaged: [] });
      clock.ms += 1_000;
      api.calls.length = 0;
      api.broker.observed.queues.push({ name: 'spy', durable: true });
      api.broker.observed.bindings.push({
        source: 'brom.orders',
        destination: 'spy',
        destination_type: 'queue',
        routing_key: '#',
        properties_key: '%23',
      });
      await reconciler.pass();
      expect(store.observation?.observedAt.getTime()).toBe(START + 1_000);
      expect(store.observation?.unmanaged).toEqual([
        expect.objectContaining({ key: 'queue:spy', sourceApplicationId: null }),
        expect.objectContaining({
          key: 'binding:brom.orders->queue:spy:#',
          sourceApplicationId: 'app-orders',
        }),
      ]);
      // Left alone.
      expect(api.calls.filter(c => c.includes('spy'))).toEqual([]);
    });

    it('does not report an object it deleted after the observation a full pass plans with', async () => {
      const { clock, store, reconciler } = setup();
      await reconciler.pass();
      clock.ms += 1_000;
      const observation = await reconciler.observe();
      store.input.subscriptions = store.input.subscriptions.map(sub =>
        sub.id === 'sub-billing' ? { ...sub, state: 'revoked', generation: sub.generation + 1 } : sub,
      );
      store.input.version += 1;
      clock.ms += 1_000;
      await reconciler.pass({ mode: 'incremental' });
      expect(store.rows.has(BILLING_BINDING)).toBe(false);

      await reconciler.pass({ observation });
      expect(store.observation?.observedAt.getTime()).toBe(START + 1_000);
      expect(store.observation?.unmanaged).toEqual([]);
    });
  });

  describe('full and incremental passes', () => {
    it('runs a full pass until there is a baseline, then incremental passes read and write only what changed', async () => {
      const { store, api, reconciler } = setup();

      const first = await reconciler.pass({ mode: 'incremental' });
      expect(first).toMatchObject({ mode: 'full', writes: 14, brokerAvailable: true });
      expect(first.retryAt).toBeUndefined();
      expect(reconciler.hasBaseline).toBe(true);
      expect(store.rows.get('queue:brom.billing')).toMatchObject({
        status: 'True',
        reason: 'Created',
        managed: true,
      });

      api.calls.length = 0;
      const idle = await reconciler.pass({ mode: 'incremental' });
      expect(idle).toMatchObject({ mode: 'incremental', writes: 0 });
      expect(api.calls).toEqual([]);

      approveShipping(store);
      const approved = await reconciler.pass({ mode: 'incremental' });
      expect(approved).toMatchObject({ mode: 'incremental', writes: 1 });
      expect(api.calls).toEqual([
        'hasVhost brom',
        'listBindingsBetween brom.orders->queue:brom.shipping',
        `createBinding ${SHIPPING_BINDING}`,
      ]);
      expect(store.rows.get(SHIPPING_BINDING)).toMatchObject({
        status: 'True',
        reason: 'Created',
        managed: true,
        observed_generation: 2,
        subscription_id: 'sub-shipping',
      });
    });

    it('reads in an incremental pass only the applications the change log names', async () => {
      const { store, api, reconciler } = setup();
      await reconciler.pass();
      await reconciler.pass({ mode: 'incremental' });
      expect(store.changeReads.at(-1)!.applicationIds).toEqual([]);

      approveShipping(store);
      await reconciler.pass({ mode: 'incremental' });
      expect(store.changeReads.at(-1)!.applicationIds).toEqual(['app-shipping']);
      expect(store.rows.get(SHIPPING_BINDING)).toMatchObject({ status: 'True' });

      // A producer's type goes: the change names the producer, and the binding of another
      // application's queue that started at its exchange goes with it.
      const billingBinding = 'binding:brom.orders->queue:brom.billing:order.*.created';
      expect(store.rows.get(billingBinding)).toMatchObject({ status: 'True' });
      store.input.notificationTypes = store.input.notificationTypes.map(t =>
        t.id === 'type-created' ? { ...t, deletedAt: iso(START), generation: 2 } : t,
      );
      store.input.version += 1;
      api.calls.length = 0;
      const retired = await reconciler.pass({ mode: 'incremental' });
      expect(store.changeReads.at(-1)!.applicationIds).toEqual(['app-orders']);
      expect(retired).toMatchObject({ mode: 'incremental', writes: 1 });
      expect(api.calls.filter(c => c.startsWith('delete'))).toEqual([
        expect.stringContaining('brom.orders->queue:brom.billing:order.*.created'),
      ]);
      expect(store.rows.has(billingBinding)).toBe(false);
      expect(store.rows.get(SHIPPING_BINDING)).toMatchObject({ status: 'True' });
    });

    it('observes the whole vhost in a full pass and writes nothing over a converged broker', async () => {
      const { api, reconciler } = setup();
      await reconciler.pass();

      api.calls.length = 0;
      const again = await reconciler.pass();
      expect(again).toMatchObject({ mode: 'full', writes: 0 });
      expect([...api.calls].sort()).toEqual([
        'hasVhost brom',
        'listBindings brom',
        'listExchanges brom',
        // Users and permissions are observed in live mode too: switching back from the
        // native mode removes those it wrote.
        'listPermissions brom',
        'listPolicies brom',
        'listQueues brom',
        'listShovels brom',
        'listUsers',
      ]);
    });

    it('leaves out of a full pass what an incremental pass settled after its observation began', async () => {
      const { clock, store, api, reconciler } = setup();
      await reconciler.pass();
      const observation = await reconciler.observe();

      clock.ms += 10;
      approveShipping(store);
      await reconciler.pass({ mode: 'incremental' });
      expect(store.rows.get(SHIPPING_BINDING)).toMatchObject({ status: 'True' });

      api.calls.length = 0;
      const full = await reconciler.pass({ mode: 'full', observation });
      expect(full).toMatchObject({ mode: 'full', writes: 0 });
      expect(api.calls).not.toContain(`createBinding ${SHIPPING_BINDING}`);
      expect(store.rows.get(SHIPPING_BINDING)).toMatchObject({ status: 'True', reason: 'Created' });
    });

    it('drops the records of managed objects that are neither desired nor on the broker', async () => {
      const { store, reconciler } = setup();
      await reconciler.pass();
      store.rows.set('queue:brom.renamed', {
        ...store.rows.get('queue:brom.billing')!,
        key: 'queue:brom.renamed',
        name: 'brom.renamed',
      });

      await reconciler.pass();
      expect(store.rows.has('queue:brom.renamed')).toBe(false);
      expect(store.rows.get('queue:brom.billing')).toMatchObject({ managed: true });
    });

    it('asks for a full pass to finalize after an incremental pass deleted objects of a deleted application', async () => {
      const { store, api, reconciler } = setup();
      await reconciler.pass();

      store.input.applications = store.input.applications.map(a =>
        a.id === 'app-shipping' ? { ...a, deletedAt: iso(START), generation: 2 } : a,
      );
      store.input.version += 1;
      const incremental = await reconciler.pass({ mode: 'incremental' });
      expect(incremental).toMatchObject({ mode: 'incremental', finalized: 0, fullPassWanted: true });
      expect(api.calls).toContain('deleteQueue brom.shipping');
      expect(store.finalized).toEqual([]);

      const full = await reconciler.pass();
      expect(full).toMatchObject({ mode: 'full', finalized: 1 });
      expect(store.finalized).toEqual(['app-shipping']);
    });
    it('finalizes a deleted application only once the deletions of its objects that went on in the background have ended', async () => {
      jest.useFakeTimers({ doNotFake: ['nextTick', 'queueMicrotask'] });
      const { clock, store, api, reconciler } = setup();
      await reconciler.pass();
      store.input.applications = store.input.applications.map(a =>
        a.id === 'app-shipping' ? { ...a, deletedAt: iso(START), generation: 2 } : a,
      );
      store.input.version += 1;
      const deleting = api.hold('deleteQueue brom.shipping');
      const passing = reconciler.pass({ mode: 'incremental', writeBudgetMs: 1_000 });
      await deleting.started;
      await jest.advanceTimersByTimeAsync(1_000);
      await passing;
      expect(store.rows.get('queue:brom.shipping')).toMatchObject({ reason: 'InProgress', managed: true });

      // A full pass meanwhile leaves the deletions in flight out of its plan: it must not
      // read that as "nothing of shipping is left" and finalize (dropping its records).
      const during = await reconciler.pass();
      expect(during.finalized).toBe(0);
      expect(store.finalized).toEqual([]);

      api.failNext('deleteQueue brom.shipping', 500);
      deleting.release();
      await reconciler.drain();
      expect(store.rows.get('queue:brom.shipping')).toMatchObject({
        status: 'False',
        reason: 'BrokerError',
        managed: true,
        application_id: 'app-shipping',
      });

      // The first pass after the background writes ended asks for the finalizing full pass
      // the one above put off; the queue is retried and goes.
      clock.ms += 60_000;
      const retried = await reconciler.pass({ mode: 'incremental' });
      expect(retried).toMatchObject({ mode: 'incremental', fullPassWanted: true });
      expect(api.broker.observed.queues.map(q => q.name)).not.toContain('brom.shipping');
      const full = await reconciler.pass();
      expect(full.finalized).toBe(1);
      expect(store.finalized).toEqual(['app-shipping']);
    });
  });

  describe('backoff', () => {
    it('retries a failed write once its backoff is over, doubling the delay, and resets it on success', async () => {
      const { clock, store, api, reconciler } = setup();
      api.failNext('putPolicy brom.billing', 503, { times: 2 });

      const first = await reconciler.pass();
      expect(first.retryAt).toBe(START + 500);
      expect(store.rows.get('policy:brom.billing')).toMatchObject({
        status: 'False',
        reason: 'BrokerError',
        message: 'HTTP 503: failed on purpose',
        managed: false,
        attempts: 1,
        last_attempt_at: iso(START),
        next_attempt_at: iso(START + 500),
      });
      expect(store.rows.get('queue:brom.billing')).toMatchObject({ status: 'True' });

      clock.ms = START + 499;
      api.calls.length = 0;
      const early = await reconciler.pass({ mode: 'incremental' });
      expect(api.calls).toEqual(['hasVhost brom', 'getPolicy brom.billing']);
      expect(early.retryAt).toBe(START + 500);
      expect(store.rows.get('policy:brom.billing')).toMatchObject({
        status: 'False',
        reason: 'BrokerError',
        attempts: 1,
        last_attempt_at: iso(START),
      });

      clock.ms = START + 500;
      const second = await reconciler.pass({ mode: 'incremental' });
      expect(api.calls).toContain('putPolicy brom.billing');
      expect(second.retryAt).toBe(START + 500 + 1_000);
      expect(store.rows.get('policy:brom.billing')).toMatchObject({
        status: 'False',
        attempts: 2,
        next_attempt_at: iso(START + 1_500),
      });

      clock.ms = START + 1_500;
      const third = await reconciler.pass({ mode: 'incremental' });
      expect(third.retryAt).toBeUndefined();
      expect(store.rows.get('policy:brom.billing')).toMatchObject({
        status: 'True',
        reason: 'Created',
        managed: true,
        attempts: 0,
        next_attempt_at: null,
      });
    });

    it('does not retry a write the broker refuses as inequivalent until the object changes', async () => {
      const { clock, store, api, reconciler } = setup();
      api.failNext('putQueue brom.billing', 406, {
        body: "PRECONDITION_FAILED - inequivalent arg 'x-queue-type'",
      });

      const first = await reconciler.pass();
      expect(first.retryAt).toBeUndefined();
      expect(store.rows.get('queue:brom.billing')).toMatchObject({
        status: 'False',
        reason: 'InequivalentArguments',
        attempts: 0,
        next_attempt_at: null,
      });

      clock.ms += 60_000;
      api.calls.length = 0;
      await reconciler.pass({ mode: 'incremental' });
      expect(api.calls).not.toContain('putQueue brom.billing');
      expect(store.rows.get('queue:brom.billing')).toMatchObject({ reason: 'InequivalentArguments' });

      store.input.applications = store.input.applications.map(a =>
        a.id === 'app-billing' ? { ...a, generation: 2 } : a,
      );
      store.input.version += 1;
      await reconciler.pass({ mode: 'incremental' });
      expect(api.calls).toContain('putQueue brom.billing');
      expect(store.rows.get('queue:brom.billing')).toMatchObject({ status: 'True', reason: 'Created' });
    });
  });

  describe('status', () => {
    it('moves lastTransitionTime only when the status moves', async () => {
      const { clock, store, api, reconciler } = setup();
      api.failNext('putPolicy brom.billing', 503, { times: 2 });
      await reconciler.pass();
      expect(store.rows.get('policy:brom.billing')).toMatchObject({
        status: 'False',
        last_transition_time: iso(START),
      });

      clock.ms = START + 500;
      await reconciler.pass({ mode: 'incremental' });
      expect(store.rows.get('policy:brom.billing')).toMatchObject({
        status: 'False',
        attempts: 2,
        last_attempt_at: iso(START + 500),
        last_transition_time: iso(START),
      });

      clock.ms = START + 1_500;
      await reconciler.pass({ mode: 'incremental' });
      expect(store.rows.get('policy:brom.billing')).toMatchObject({
        status: 'True',
        last_transition_time: iso(START + 1_500),
      });

      // The reason moves (the next full pass finds it in sync); the status, and so the time, does not.
      clock.ms = START + 60_000;
      await reconciler.pass();
      expect(store.rows.get('policy:brom.billing')).toMatchObject({
        status: 'True',
        reason: 'InSync',
        last_transition_time: iso(START + 1_500),
      });
    });

    it('reads a new shovel again until it is seen running, waiting longer each time', async () => {
      const { clock, store, api, reconciler } = setup();
      await reconciler.pass();
      const SHOVEL = 'shovel:brom.partner';
      api.newShovelStatus = { state: 'starting', node: 'rabbit@fake' };
      store.input.applications.push({
        ...store.input.applications[0],
        id: 'app-partner',
        name: 'partner',
        externalProducer: {
          upstreamUri: 'amqp://upstream.example:5672/%2F',
          upstreamExchange: 'outbox',
          upstreamRoutingKey: '#',
          upstreamQueue: null,
          username: 'shovel',
          password: 'up-secret',
        },
      });
      store.input.version += 1;

      // Written is not running: the status says so, and a look is due.
      clock.ms = START + 1_000;
      const created = await reconciler.pass({ mode: 'incremental' });
      expect(store.rows.get(SHOVEL)).toMatchObject({
        status: 'Unknown',
        reason: 'Created',
        message: 'created on the broker; not yet seen running',
      });
      expect(created.retryAt).toBe(START + 3_000);

      // Still connecting: read again, and the next look waits twice as long.
      clock.ms = START + 3_000;
      api.calls.length = 0;
      const starting = await reconciler.pass({ mode: 'incremental' });
      expect(api.calls).toEqual(['hasVhost brom', 'getShovel brom.partner']);
      expect(store.rows.get(SHOVEL)).toMatchObject({ status: 'False', reason: 'ShovelStarting' });
      expect(starting.retryAt).toBe(START + 7_000);

      // Running: ready, and nothing more is due.
      api.broker.observed.shovels[0].status = { state: 'running', node: 'rabbit@fake' };
      clock.ms = START + 7_000;
      const running = await reconciler.pass({ mode: 'incremental' });
      expect(store.rows.get(SHOVEL)).toMatchObject({ status: 'True', reason: 'ShovelRunning' });
      expect(running.retryAt).toBeUndefined();
      api.calls.length = 0;
      await reconciler.pass({ mode: 'incremental' });
      expect(api.calls).toEqual([]);
    });

    it('records the broker as unavailable, backs off, and starts over with a full pass', async () => {
      const { clock, store, api, reconciler } = setup();
      await reconciler.pass();

      api.down();
      clock.ms = START + 1_000;
      const down = await reconciler.pass();
      expect(down).toMatchObject({ brokerAvailable: false, retryAt: START + 1_500 });
      expect(store.rows.get('vhost:brom')).toMatchObject({
        status: 'False',
        reason: 'BrokerUnavailable',
        message: 'The broker cannot be reached: connect ECONNREFUSED 127.0.0.1:15672',
        attempts: 1,
        next_attempt_at: iso(START + 1_500),
        last_transition_time: iso(START + 1_000),
      });
      expect(reconciler.hasBaseline).toBe(false);

      api.up();
      clock.ms = START + 1_500;
      const back = await reconciler.pass({ mode: 'incremental' });
      expect(back).toMatchObject({ mode: 'full', brokerAvailable: true, writes: 0 });
      expect(store.rows.get('vhost:brom')).toMatchObject({
        status: 'True',
        reason: 'BrokerAvailable',
        attempts: 0,
        next_attempt_at: null,
        last_transition_time: iso(START + 1_500),
      });
    });
  });

  describe('fencing', () => {
    it('stops before the next broker write once this replica may no longer write, and records nothing', async () => {
      let leading = true;
      const { store, api, reconciler } = setup({ mayWrite: () => leading });
      const policy = api.hold('putPolicy brom.billing');

      const passing = reconciler.pass();
      await policy.started;
      leading = false;
      policy.release();
      await expect(passing).rejects.toThrow(/no longer holds the reconciler lease/);
      // Exchanges, then the policies: nothing of a later wave was written.
      expect(api.calls.filter(c => c.startsWith('putQueue') || c.startsWith('createBinding'))).toEqual([]);
      expect(store.rows.size).toBe(0);

      api.calls.length = 0;
      await expect(reconciler.pass()).rejects.toThrow(/no longer holds the reconciler lease/);
      expect(api.calls).toEqual([]);
    });
  });

  describe('the event loop during a pass', () => {
    /** Counts the turns of the event loop until stopped (a callback per turn, as a timer would get). */
    function countTurns() {
      const counted = { turns: 0, stopped: false };
      const tick = () => {
        if (counted.stopped) return;
        counted.turns++;
        setImmediate(tick);
      };
      setImmediate(tick);
      return counted;
    }

    it('turns between the steps of a full pass, so a timer (the lease renewal) runs before the pass ends', async () => {
      const { reconciler } = setup();
      const counted = countTurns();
      await reconciler.pass();
      counted.stopped = true;
      // Read, topology, narrowing, plan, apply, status, scope and observation: each its own turn.
      expect(counted.turns).toBeGreaterThanOrEqual(7);
    });

    it('is turned only by full passes: an incremental one is short and adds no wait', async () => {
      let turns = 0;
      const { store, reconciler } = setup({
        turnEventLoop: async () => {
          turns++;
        },
      });
      await reconciler.pass();
      expect(turns).toBeGreaterThanOrEqual(7);
      turns = 0;
      approveShipping(store);
      const result = await reconciler.pass({ mode: 'incremental' });
      expect(result).toMatchObject({ mode: 'incremental', writes: 1 });
      expect(turns).toBe(0);
    });
  });

  describe('broker outages', () => {
    it('tries an unreachable broker at least every 2 s, and retries everything at once when it answers, whatever the backoffs grew to', async () => {
      const logger = recordingLogger();
      const { clock, store, api, reconciler } = setup({ logger, backoffCapMs: 300_000 });
      await reconciler.pass();

      // A binding fails nine times in a row: its next attempt is 128 s away.
      approveShipping(store);
      api.failNext(`createBinding ${SHIPPING_BINDING}`, 503, { times: 9 });
      let result = await reconciler.pass({ mode: 'incremental' });
      for (let i = 1; i < 9; i++) {
        clock.ms = result.retryAt!;
        result = await reconciler.pass({ mode: 'incremental' });
      }
      expect(store.rows.get(SHIPPING_BINDING)).toMatchObject({ status: 'False', attempts: 9 });
      expect(result.retryAt! - clock.ms).toBe(128_000);
      const failedAt = clock.ms;

      // Then the broker is away for 100 s: far longer than its own backoff would have
      // tried it again within, had it grown as an object's does.
      api.down();
      const attempts: number[] = [];
      while (clock.ms < failedAt + 100_000) {
        clock.ms += 100;
        result = await reconciler.pass({ mode: 'incremental' });
        expect(result.brokerAvailable).toBe(false);
        expect(result.retryAt! - clock.ms).toBeLessThanOrEqual(2_000);
        attempts.push(clock.ms);
        clock.ms = result.retryAt!;
      }
      expect(attempts.length).toBeGreaterThan(50);

      api.up();
      api.calls.length = 0;
      const back = await reconciler.pass({ mode: 'incremental' });
      expect(back).toMatchObject({ mode: 'full', brokerAvailable: true, writes: 1, retryAt: undefined });
      expect(api.calls).toContain(`createBinding ${SHIPPING_BINDING}`);
      expect(clock.ms - failedAt).toBeLessThan(105_000);
      expect(store.rows.get(SHIPPING_BINDING)).toMatchObject({ status: 'True', attempts: 0 });

      // Warned once when it went, told once when it came back.
      expect(logger.lines.filter(l => l.startsWith('warn: The broker does not answer'))).toHaveLength(1);
      expect(logger.lines.filter(l => l.startsWith('info: The broker answers again after'))).toEqual([
        expect.stringMatching(/after (99|100|101) s; 1 objects waiting on their backoff are retried now$/),
      ]);
    });

    it('logs full passes that find nothing to do as one summary line every ten minutes', async () => {
      const logger = recordingLogger();
      const { clock, reconciler } = setup({ logger });
      await reconciler.pass();
      logger.lines.length = 0;
      for (let minute = 1; minute <= 20; minute++) {
        clock.ms = START + minute * 60_000;
        await reconciler.pass();
      }
      expect(logger.lines).toEqual([
        `info: 10 full passes since ${iso(START)} found the broker as desired (now at version 7)`,
        `info: 10 full passes since ${iso(START + 10 * 60_000)} found the broker as desired (now at version 7)`,
      ]);
    });
  });

  describe('writes past the budget', () => {
    it('lets writes that outlive the budget go on in the background, left alone by later passes', async () => {
      jest.useFakeTimers({ doNotFake: ['nextTick', 'queueMicrotask'] });
      const { store, api, reconciler } = setup();
      const backgroundDone = jest.fn();
      reconciler.onBackgroundWritesDone(backgroundDone);
      const policy = api.hold('putPolicy brom.billing');

      const passing = reconciler.pass({ writeBudgetMs: 1_000 });
      await policy.started;
      await jest.advanceTimersByTimeAsync(1_000);
      const result = await passing;

      // The policy, and the queues and bindings whose waves come after it, are in flight.
      expect(result.mode).toBe('full');
      for (const key of ['policy:brom.billing', 'queue:brom.billing', 'binding:brom.billing.dlx->queue:brom.billing.dlq:']) {
        expect(store.rows.get(key)).toMatchObject({
          status: 'False',
          reason: 'InProgress',
          message: 'being written to the broker',
        });
      }
      expect(store.rows.get('exchange:brom.orders')).toMatchObject({ status: 'True' });

      store.input.applications.push(application('app-invoicing', 'invoicing'));
      store.input.notificationTypes.push({
        id: 'type-invoice',
        applicationId: 'app-invoicing',
        name: 'invoice-sent',
        routingKeyPattern: 'invoice.sent',
        generation: 1,
        deletedAt: null,
      });
      store.input.version += 1;
      api.calls.length = 0;
      const meanwhile = await reconciler.pass({ mode: 'incremental', writeBudgetMs: 1_000 });
      expect(meanwhile).toMatchObject({ mode: 'incremental', writes: 1 });
      expect(api.calls).toEqual([
        'hasVhost brom',
        'getExchange brom.invoicing',
        'putExchange brom.invoicing',
      ]);
      expect(store.rows.get('policy:brom.billing')).toMatchObject({ reason: 'InProgress' });
      expect(backgroundDone).not.toHaveBeenCalled();

      policy.release();
      await reconciler.drain();
      expect(backgroundDone).toHaveBeenCalledTimes(1);
      for (const key of ['policy:brom.billing', 'queue:brom.billing', 'binding:brom.billing.dlx->queue:brom.billing.dlq:']) {
        expect(store.rows.get(key)).toMatchObject({ status: 'True', reason: 'Created', managed: true });
      }

      api.calls.length = 0;
      const after = await reconciler.pass({ mode: 'incremental' });
      expect(after.writes).toBe(0);
      expect(api.calls).toEqual([]);
    });
  });

  describe('revocations', () => {
    it("closes a revoked user's connections once every sidecar has the revocation, and looks again through the grace period", async () => {
      let sidecars = [6];
      const { clock, store, api, reconciler } = setup({
        sidecarVersions: async () => sidecars,
        revocationGraceMs: 15_000,
      });
      await reconciler.pass();
      store.revokedUsers = [
        { credentialId: 'cred-1', username: 'billing-1', reason: 'credential revoked', since: iso(START) },
      ];
      api.connections.set('billing-1', ['conn-a']);

      api.calls.length = 0;
      const waiting = await reconciler.pass({ mode: 'incremental' });
      expect(waiting.revocationsPending).toBe(1);
      expect(api.calls).toEqual([]);

      sidecars = [7];
      const closing = await reconciler.pass({ mode: 'incremental' });
      expect(api.calls).toEqual(['listUserConnections billing-1', 'closeUserConnections billing-1']);
      expect(closing).toMatchObject({ revocationsPending: 0, retryAt: START + 1_000 });
      expect(store.rows.has('enforced:credential:cred-1')).toBe(false);

      clock.ms = START + 15_000;
      api.calls.length = 0;
      const enforced = await reconciler.pass({ mode: 'incremental' });
      expect(api.calls).toEqual(['listUserConnections billing-1']);
      expect(enforced.retryAt).toBeUndefined();
      expect(store.rows.get('enforced:credential:cred-1')).toMatchObject({
        status: 'True',
        reason: 'ConnectionsClosed',
        last_attempt_at: iso(START + 15_000),
      });

      api.calls.length = 0;
      await reconciler.pass({ mode: 'incremental' });
      expect(api.calls).toEqual([]);
    });

    it('looks at a revocation in its grace period once per recheck interval, however many passes run, and at a new one at once', async () => {
      const { clock, store, api, reconciler } = setup({
        sidecarVersions: async () => [7],
        revocationGraceMs: 15_000,
      });
      await reconciler.pass();
      const revoked = (n: number, since: number) => ({
        credentialId: `cred-${n}`,
        username: `billing-${n}`,
        reason: 'credential revoked',
        since: iso(since),
      });
      store.revokedUsers = [revoked(1, START)];
      api.connections.set('billing-1', ['conn-a']);
      api.calls.length = 0;
      await reconciler.pass({ mode: 'incremental' });
      expect(api.calls).toEqual(['listUserConnections billing-1', 'closeUserConnections billing-1']);

      // Passes for other changes within the recheck interval leave it alone; a new revocation
      // is looked at in the first of them.
      clock.ms = START + 200;
      api.calls.length = 0;
      const other = await reconciler.pass({ mode: 'incremental' });
      expect(api.calls).toEqual([]);
      expect(other.retryAt).toBe(START + 1_200);
      store.revokedUsers = [revoked(1, START), revoked(2, START + 300)];
      clock.ms = START + 400;
      api.calls.length = 0;
      await reconciler.pass({ mode: 'incremental' });
      expect(api.calls).toEqual(['listUserConnections billing-2']);

      // A recheck interval later both are looked at again (at the same time).
      clock.ms = START + 1_400;
      api.calls.length = 0;
      await reconciler.pass({ mode: 'incremental' });
      expect([...api.calls].sort()).toEqual(['listUserConnections billing-1', 'listUserConnections billing-2']);

      // Once a grace period is over its revocation is looked at in the next pass and recorded
      // (even one looked at just before: here billing-1, 100 ms after the last look).
      clock.ms = START + 14_900;
      await reconciler.pass({ mode: 'incremental' });
      clock.ms = START + 15_000;
      api.calls.length = 0;
      await reconciler.pass({ mode: 'incremental' });
      expect(api.calls).toEqual(['listUserConnections billing-1']);
      expect(store.rows.get('enforced:credential:cred-1')).toMatchObject({ status: 'True' });
      expect(store.rows.has('enforced:credential:cred-2')).toBe(false);
    });

    it('asks for a pass when the next credential expires, to close its connections then', async () => {
      const { store, reconciler } = setup();
      store.nextExpiryAt = START + 30_000;
      expect((await reconciler.pass()).retryAt).toBe(START + 30_000);
      expect((await reconciler.pass({ mode: 'incremental' })).retryAt).toBe(START + 30_000);
    });

    describe('in the native authorisation mode', () => {
      const USER = 'billing.cccc4444';

      /** The sample in native mode, with one credential for billing, converged. */
      async function native(options: Partial<ReconcilerOptions> = {}) {
        const env = setup({
          topology: { ...OPTIONS, authzMode: 'native' },
          sidecarVersions: async () => [100],
          ...options,
        });
        env.store.input.credentials = [
          { id: 'cred-billing', applicationId: 'app-billing', username: USER },
        ];
        await env.reconciler.pass();
        expect(env.api.broker.observed.users.map(u => u.name)).toEqual([USER]);
        env.api.connections.set(USER, ['conn-a']);
        env.store.input.credentials = [];
        env.store.input.version += 1;
        env.store.revokedUsers = [
          { credentialId: 'cred-billing', username: USER, reason: 'credential revoked', since: iso(START) },
        ];
        env.api.calls.length = 0;
        return env;
      }

      it("removes a revoked credential's permissions, closes its connections, then deletes its user", async () => {
        const { clock, store, api, reconciler } = await native();

        const revoked = await reconciler.pass({ mode: 'incremental' });
        expect(api.calls.filter(c => c.includes(USER))).toEqual([
          `getUser ${USER}`,
          `getPermissions ${USER}`,
          `deleteVhostPermissions ${USER}`,
          `deleteTopicPermissions ${USER}`,
          // Deleting the user would close its connections: it waits until they are closed.
          `listUserConnections ${USER}`,
          `getPermissions ${USER}`,
          `listUserConnections ${USER}`,
          `closeUserConnections ${USER}`,
        ]);
        expect(api.connections.has(USER)).toBe(false);
        expect(store.rows.get(`user:${USER}`)).toMatchObject({ reason: 'UserHasConnections' });

        clock.ms = revoked.retryAt!;
        await reconciler.pass({ mode: 'incremental' });
        expect(api.calls).toContain(`deleteUser ${USER}`);
        expect(api.broker.observed.users).toEqual([]);
        expect(store.rows.has(`user:${USER}`)).toBe(false);
      });

      it('keeps the user of a live credential and its connections when switched back to live mode', async () => {
        const env = setup({
          topology: { ...OPTIONS, authzMode: 'native' },
          sidecarVersions: async () => [100],
        });
        env.store.input.credentials = [
          { id: 'cred-billing', applicationId: 'app-billing', username: USER },
        ];
        await env.reconciler.pass();
        env.api.connections.set(USER, ['conn-a']);

        const live = Reconciler.create({
          store: env.store,
          broker: env.api,
          logger: silentLogger(),
          topology: OPTIONS,
          clock: env.clock,
          random: () => 0.5,
        });
        env.api.calls.length = 0;
        const switched = await live.pass();
        expect(env.api.broker.observed.permissions.map(p => p.user)).not.toContain(USER);
        expect(env.api.broker.observed.users.map(u => u.name)).toEqual([USER]);
        expect(env.api.connections.get(USER)).toEqual(['conn-a']);
        // Nothing is waiting on the user: it is not to be deleted at all.
        expect(env.api.calls).not.toContain(`listUserConnections ${USER}`);
        expect(env.api.calls).not.toContain(`deleteUser ${USER}`);
        expect(switched.retryAt).toBeUndefined();
        expect(env.store.rows.get(`user:${USER}`)).toMatchObject({ managed: true });
      });

      it('closes no connection while the removal of the permissions is still in flight', async () => {
        const { api, reconciler } = await native();
        const removal = api.hold(`deleteVhostPermissions ${USER}`);

        const pass = await reconciler.pass({ mode: 'incremental', writeBudgetMs: 0 });
        await removal.started;
        expect(pass.retryAt).toBeDefined();
        expect(api.calls).not.toContain(`listUserConnections ${USER}`);
        expect(api.connections.get(USER)).toEqual(['conn-a']);

        removal.release();
        await reconciler.drain();
        await reconciler.pass({ mode: 'incremental' });
        expect(api.calls).toContain(`closeUserConnections ${USER}`);
        expect(api.connections.has(USER)).toBe(false);
      });
    });

    it('keeps a revocation waiting when closing fails', async () => {
      const { store, api, reconciler } = setup({ sidecarVersions: async () => [7] });
      await reconciler.pass();
      store.revokedUsers = [
        { credentialId: 'cred-1', username: 'billing-1', reason: 'credential revoked', since: iso(START - 60_000) },
      ];
      api.connections.set('billing-1', ['conn-a']);
      api.failNext('closeUserConnections billing-1', 500);

      const failed = await reconciler.pass({ mode: 'incremental' });
      expect(failed.retryAt).toBe(START + 1_000);
      expect(store.rows.has('enforced:credential:cred-1')).toBe(false);

      // The failed pass settled nothing: the next read looks at the revoked users again.
      await reconciler.pass({ mode: 'incremental' });
      expect(store.changeReads.at(-1)!.revocations).toBeUndefined();
      expect(store.rows.has('enforced:credential:cred-1')).toBe(true);
      expect(api.connections.has('billing-1')).toBe(false);

      // All enforced: the next read is told so, with no expiry ahead.
      await reconciler.pass({ mode: 'incremental' });
      expect(store.changeReads.at(-1)!.revocations).toEqual({ nextExpiryAt: undefined });
    });

    it('tells the incremental read what the last pass settled: no revocation waiting, and the next expiry', async () => {
      const { store, reconciler } = setup({ sidecarVersions: async () => [7] });
      store.nextExpiryAt = START + 30_000;
      await reconciler.pass();
      await reconciler.pass({ mode: 'incremental' });
      expect(store.changeReads.at(-1)!.revocations).toEqual({ nextExpiryAt: START + 30_000 });

      // A revocation still in its grace period is not settled: the next read looks again.
      store.revokedUsers = [
        { credentialId: 'cred-1', username: 'billing-1', reason: 'credential revoked', since: iso(START) },
      ];
      await reconciler.pass({ mode: 'incremental' });
      await reconciler.pass({ mode: 'incremental' });
      expect(store.changeReads.at(-1)!.revocations).toBeUndefined();
    });

    it("removes a revoked subscription's binding and leaves its consumer connected: it still reads its queue", async () => {
      const { store, api, reconciler } = setup({ sidecarVersions: async () => [8] });
      await reconciler.pass();
      api.connections.set('billing-1', ['conn-a']);
      store.input.subscriptions = store.input.subscriptions.map(s =>
        s.id === 'sub-billing' ? { ...s, state: 'revoked', generation: 3 } : s,
      );
      store.input.version += 1;

      api.calls.length = 0;
      const revoked = await reconciler.pass({ mode: 'incremental' });
      expect(api.calls).toContain('deleteBinding brom.orders->queue:brom.billing:order.*.created');
      expect(api.calls.filter(c => c.includes('Connections'))).toEqual([]);
      expect(api.connections.get('billing-1')).toEqual(['conn-a']);
      expect(revoked).toMatchObject({ revocationsPending: 0, retryAt: undefined });
      expect(store.rows.get('queue:brom.billing')).toMatchObject({ status: 'True', managed: true });
    });
  });
});

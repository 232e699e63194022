import {
  FakeBroker,
  OPTIONS,
  emptyBroker,
  sampleInput,
} from '../__testUtils__/fakeBroker';
import { Plan, plan, plannedWrites } from './plan';
import { desiredTopology } from './topology';
import { ReconcilerInput } from './types';

const DELETED = '2026-03-01T12:00:00Z';
const BILLING_BINDING =
  'binding:brom.orders->queue:brom.billing:order.*.created';

function planFor(input: ReconcilerInput, broker: FakeBroker): Plan {
  return plan(
    desiredTopology(input, OPTIONS),
    broker.observed,
    broker.managed,
    OPTIONS,
  );
}

/** A broker that already holds everything the sample asks for, all managed. */
function convergedBroker(input: ReconcilerInput = sampleInput()): FakeBroker {
  const broker = new FakeBroker();
  broker.apply(planFor(input, broker));
  broker.writes.length = 0;
  return broker;
}

/** Every key the plan gives an outcome (a status record follows from each). */
function outcomeKeys(p: Plan): string[] {
  return [
    ...plannedWrites(p),
    ...p.adoptions,
    ...p.conflicts,
    ...p.terminal,
    ...p.blocked,
  ]
    .map(a => a.key)
    .concat(p.inSync)
    .sort();
}

function waveSummary(p: Plan): string[] {
  return p.waves.map(
    w => `${w.operation} ${w.stage}: ${w.actions.map(a => a.key).join(', ')}`,
  );
}

describe('plan', () => {
  it('creates everything from an empty broker in dependency order', () => {
    const p = planFor(sampleInput(), new FakeBroker());

    expect(waveSummary(p)).toEqual([
      'put vhost: vhost:brom',
      'put exchanges: exchange:brom.billing.dlx, exchange:brom.orders, exchange:brom.shipping.dlx',
      'put policies: policy:brom._dead-letters, policy:brom.billing, policy:brom.shipping',
      'put queues: queue:brom.billing, queue:brom.billing.dlq, queue:brom.shipping, queue:brom.shipping.dlq',
      `put bindings: binding:brom.billing.dlx->queue:brom.billing.dlq:, ${BILLING_BINDING}, binding:brom.shipping.dlx->queue:brom.shipping.dlq:`,
    ]);
    expect(plannedWrites(p).every(a => a.action === 'create')).toBe(true);
    expect(p.adoptions).toEqual([]);
    expect(p.conflicts).toEqual([]);
    expect(p.waves).not.toEqual([]);
  });

  it('plans nothing on the second pass, once the broker matches and everything is managed', () => {
    const broker = convergedBroker();
    const p = planFor(sampleInput(), broker);

    expect(p.waves).toEqual([]);
    expect(p.adoptions).toEqual([]);
    expect(p.blocked).toEqual([]);
    expect(outcomeKeys(p)).toEqual([...broker.managed].sort());
    expect(p.inSync).toHaveLength(14);
    expect(p.inSync).toEqual([...broker.managed].sort());
  });

  it("ignores the management API's representation: missing arguments and flags, key order, type only in `type`", () => {
    const broker = convergedBroker();
    for (const exchange of broker.observed.exchanges) {
      delete exchange.arguments;
      delete exchange.auto_delete;
      delete exchange.internal;
    }
    for (const queue of broker.observed.queues) {
      queue.arguments = {};
      delete queue.exclusive;
    }
    for (const binding of broker.observed.bindings) delete binding.arguments;
    // The broker lists the default exchange's implicit bindings too.
    broker.observed.bindings.push({
      source: '',
      destination: 'brom.billing',
      destination_type: 'queue',
      routing_key: 'brom.billing',
      arguments: {},
      properties_key: 'brom.billing',
    });

    expect(planFor(sampleInput(), broker).waves).toEqual([]);
  });

  it('treats a classic queue declared without x-queue-type as classic', () => {
    const options = { ...OPTIONS, queueType: 'classic' as const };
    const broker = new FakeBroker();
    const input = sampleInput();
    broker.apply(
      plan(
        desiredTopology(input, options),
        broker.observed,
        broker.managed,
        options,
      ),
    );
    for (const queue of broker.observed.queues) {
      queue.arguments = {};
      delete queue.type;
    }

    const p = plan(
      desiredTopology(input, options),
      broker.observed,
      broker.managed,
      options,
    );
    expect(p.waves).toEqual([]);
    expect(p.terminal).toEqual([]);
  });

  it('updates a managed policy in place when the application settings change', () => {
    const broker = convergedBroker();
    const input = sampleInput();
    input.applications[1].settings = { messageTtlMs: 120_000, maxLength: 1000 };
    input.applications[1].generation = 2;
    const p = planFor(input, broker);

    expect(waveSummary(p)).toEqual(['put policies: policy:brom.billing']);
    const [update] = p.waves[0].actions;
    expect(update).toMatchObject({
      action: 'update',
      object: {
        definition: {
          'dead-letter-exchange': 'brom.billing.dlx',
          'message-ttl': 120_000,
          'max-length': 1000,
        },
        owner: { applicationId: 'app-billing', generation: 2 },
      },
    });
    expect(update.action === 'update' && update.differences).toEqual([
      'definition.max-length is absent on the broker, 1000 desired',
      'definition.message-ttl is 60000 on the broker, 120000 desired',
    ]);

    broker.apply(p);
    expect(planFor(input, broker).waves).toEqual([]);
  });

  it('replaces the per-queue dead-letter bounds of earlier versions by the shared one, creating it first', () => {
    const broker = convergedBroker();
    // What an earlier version left: one managed bound per dead-letter queue, no shared one.
    broker.observed.policies = broker.observed.policies.filter(
      p => p.name !== 'brom._dead-letters',
    );
    broker.managed.delete('policy:brom._dead-letters');
    for (const queue of ['brom.billing.dlq', 'brom.shipping.dlq']) {
      broker.observed.policies.push({
        name: queue,
        vhost: 'brom',
        pattern: `^${queue.replace(/\./g, '\\.')}$`,
        'apply-to': 'queues',
        priority: 10,
        definition: { 'max-length': 10_000, overflow: 'drop-head' },
      });
      broker.managed.add(`policy:${queue}`);
    }
    const p = planFor(sampleInput(), broker);

    expect(waveSummary(p)).toEqual([
      'put policies: policy:brom._dead-letters',
      'delete policies: policy:brom.billing.dlq, policy:brom.shipping.dlq',
    ]);
    expect(p.blocked).toEqual([]);
    broker.apply(p);
    expect(planFor(sampleInput(), broker).waves).toEqual([]);
  });

  it('updates policies when the configured priority changes', () => {
    const broker = convergedBroker();
    const options = { ...OPTIONS, policyPriority: 99 };
    const p = plan(
      desiredTopology(sampleInput(), options),
      broker.observed,
      broker.managed,
      options,
    );
    expect(waveSummary(p)).toEqual([
      'put policies: policy:brom._dead-letters, policy:brom.billing, policy:brom.shipping',
    ]);
  });

  it('deletes the managed objects of a deleted consumer in reverse dependency order, then lets the finalizer run', () => {
    const broker = convergedBroker();
    const input = sampleInput();
    input.applications[1].deletedAt = DELETED;
    const p = planFor(input, broker);

    expect(waveSummary(p)).toEqual([
      `delete bindings: binding:brom.billing.dlx->queue:brom.billing.dlq:, ${BILLING_BINDING}`,
      'delete queues: queue:brom.billing, queue:brom.billing.dlq',
      'delete policies: policy:brom.billing',
      'delete exchanges: exchange:brom.billing.dlx',
    ]);
    const bindingDeletion = p.waves[0].actions[1];
    expect(bindingDeletion).toMatchObject({
      action: 'delete',
      kind: 'binding',
      observed: {
        source: 'brom.orders',
        destination: 'brom.billing',
        properties_key: 'order.*.created',
      },
    });
    // Its objects are still on the broker while this plan runs.
    expect(p.finalizable.applicationIds).toEqual([]);

    broker.apply(p);
    const after = planFor(input, broker);
    expect(after.waves).toEqual([]);
    expect(after.finalizable.applicationIds).toEqual(['app-billing']);
  });

  it('deletes the exchange of a deleted producer and the bindings from it', () => {
    const broker = convergedBroker();
    const input = sampleInput();
    input.applications[0].deletedAt = DELETED;
    const p = planFor(input, broker);

    expect(waveSummary(p)).toEqual([
      `delete bindings: ${BILLING_BINDING}`,
      'delete exchanges: exchange:brom.orders',
    ]);
    expect(p.finalizable.applicationIds).toEqual([]);
    broker.apply(p);
    expect(planFor(input, broker).finalizable.applicationIds).toEqual([
      'app-orders',
    ]);
  });

  it('removes only the binding when a subscription is revoked, keeping the queue and its messages', () => {
    const broker = convergedBroker();
    broker.setMessages('brom.billing', 12);
    const input = sampleInput();
    input.subscriptions[0].state = 'revoked';
    const p = planFor(input, broker);

    expect(waveSummary(p)).toEqual([`delete bindings: ${BILLING_BINDING}`]);
    expect(p.blocked).toEqual([]);
  });

  it('finalizes a deleted notification type once its bindings are gone', () => {
    const broker = convergedBroker();
    const input = sampleInput();
    input.notificationTypes[0].deletedAt = DELETED;
    const p = planFor(input, broker);

    expect(waveSummary(p)).toEqual([`delete bindings: ${BILLING_BINDING}`]);
    expect(p.finalizable.notificationTypeIds).toEqual([]);
    broker.apply(p);
    expect(planFor(input, broker).finalizable.notificationTypeIds).toEqual([
      'type-created',
    ]);
  });

  it('replaces a binding whose routing key changed, the new one before the old one goes', () => {
    const broker = convergedBroker();
    const input = sampleInput();
    input.notificationTypes[0].routingKeyPattern = 'order.*.placed';
    const p = planFor(input, broker);

    expect(waveSummary(p)).toEqual([
      'put bindings: binding:brom.orders->queue:brom.billing:order.*.placed',
      `delete bindings: ${BILLING_BINDING}`,
    ]);
  });

  it('recreates a managed queue that disappeared, and the bindings that went with it', () => {
    const broker = convergedBroker();
    broker.remove({
      action: 'delete',
      kind: 'queue',
      key: 'queue:brom.billing',
      observed: broker.observed.queues.find(q => q.name === 'brom.billing')!,
    });
    const p = planFor(sampleInput(), broker);

    expect(waveSummary(p)).toEqual([
      'put queues: queue:brom.billing',
      `put bindings: ${BILLING_BINDING}`,
    ]);
  });

  it('gives managed records of objects that are gone and no longer desired no outcome, so their records go', () => {
    const broker = convergedBroker();
    broker.managed.add('queue:brom.renamed');
    broker.managed.add('vhost:old-vhost');
    const p = planFor(sampleInput(), broker);

    expect(p.waves).toEqual([]);
    expect(outcomeKeys(p)).not.toContain('queue:brom.renamed');
    expect(outcomeKeys(p)).not.toContain('vhost:old-vhost');
    expect(outcomeKeys(p)).toHaveLength(14);
  });

  it('adopts objects that already match exactly without writing them', () => {
    const broker = convergedBroker();
    broker.managed.clear();
    const p = planFor(sampleInput(), broker);

    expect(p.waves).toEqual([]);
    expect(p.adoptions.map(a => a.key)).toHaveLength(14);
    expect(p.adoptions.map(a => a.key)).toContain('exchange:brom.orders');
    expect(p.adoptions.map(a => a.key)).toContain('vhost:brom');

    broker.apply(p);
    const after = planFor(sampleInput(), broker);
    expect(after.adoptions).toEqual([]);
    expect(after.inSync).toHaveLength(14);
  });

  it('reports an unmanaged object with the same name and a different definition as a conflict and never touches it', () => {
    const broker = convergedBroker();
    const stranger = broker.observed.queues.find(
      q => q.name === 'brom.billing',
    )!;
    stranger.arguments = { 'x-queue-type': 'classic', 'x-max-priority': 10 };
    stranger.type = 'classic';
    broker.managed.delete('queue:brom.billing');
    broker.managed.delete('policy:brom.billing');
    broker.observed.policies = broker.observed.policies.filter(
      p => p.name !== 'brom.billing',
    );
    broker.observed.bindings = broker.observed.bindings.filter(
      b => b.destination !== 'brom.billing',
    );
    broker.managed.delete(BILLING_BINDING);
    const p = planFor(sampleInput(), broker);

    expect(p.conflicts).toEqual([
      expect.objectContaining({
        key: 'queue:brom.billing',
        reason: 'Conflict',
        differences: [
          'arguments.x-max-priority is 10 on the broker, absent desired',
          'arguments.x-queue-type is "classic" on the broker, "quorum" desired',
        ],
      }),
    ]);
    // A policy or binding would change or feed the stranger's queue: both wait.
    expect(p.blocked.map(b => [b.key, b.reason])).toEqual([
      [BILLING_BINDING, 'DependencyConflict'],
      ['policy:brom.billing', 'DependencyConflict'],
    ]);
    expect(p.blocked[0].message).toContain('queue:brom.billing');
    expect(p.waves).toEqual([]);
  });

  it('reports an unmanaged policy with our name and another definition as a conflict', () => {
    const broker = convergedBroker();
    broker.managed.delete('policy:brom.billing');
    broker.observed.policies.find(p => p.name === 'brom.billing')!.definition = { 'max-length': 1 };
    const p = planFor(sampleInput(), broker);

    expect(p.conflicts.map(c => c.key)).toEqual(['policy:brom.billing']);
    expect(p.waves).toEqual([]);
  });

  it('stops with InequivalentArguments when a managed queue has other arguments, instead of recreating it', () => {
    const broker = convergedBroker();
    const queue = broker.observed.queues.find(q => q.name === 'brom.billing')!;
    queue.arguments = { 'x-queue-type': 'classic' };
    queue.type = 'classic';
    const p = planFor(sampleInput(), broker);

    expect(p.terminal).toEqual([
      expect.objectContaining({
        key: 'queue:brom.billing',
        reason: 'InequivalentArguments',
        message:
          'queue brom.billing cannot be changed in place: arguments.x-queue-type is "classic" on the broker, "quorum" desired',
      }),
    ]);
    expect(p.waves).toEqual([]);
  });

  it('stops with InequivalentArguments when a managed exchange changed type or durability', () => {
    const broker = convergedBroker();
    const exchange = broker.observed.exchanges.find(
      e => e.name === 'brom.orders',
    )!;
    exchange.type = 'direct';
    exchange.durable = false;
    const p = planFor(sampleInput(), broker);

    expect(p.terminal.map(t => [t.key, t.differences])).toEqual([
      [
        'exchange:brom.orders',
        [
          'type is "direct" on the broker, "topic" desired',
          'durable is false on the broker, true desired',
        ],
      ],
    ]);
    expect(p.waves).toEqual([]);
  });

  it('never touches unmanaged objects inside the prefix', () => {
    const broker = convergedBroker();
    broker.observed.queues.push({
      name: 'brom.stray',
      durable: true,
      arguments: {},
      type: 'classic',
      messages: 3,
    });
    broker.observed.exchanges.push({
      name: 'brom.stray',
      type: 'direct',
      durable: false,
    });
    broker.observed.policies.push({
      name: 'brom.stray',
      pattern: '^brom\\.',
      'apply-to': 'all',
      definition: { 'max-length': 1 },
      priority: 0,
    });
    broker.observed.bindings.push(
      {
        source: 'brom.orders',
        destination: 'brom.stray',
        destination_type: 'queue',
        routing_key: 'order.#',
        arguments: {},
        properties_key: 'order.#',
      },
      {
        source: 'brom.orders',
        destination: 'brom.billing',
        destination_type: 'queue',
        routing_key: 'order.*.created',
        arguments: { 'x-match': 'all' },
        properties_key: '~abc',
      },
    );
    const p = planFor(sampleInput(), broker);

    expect(p.waves).toEqual([]);
    expect(p.conflicts).toEqual([]);
    expect(p.adoptions).toEqual([]);
    expect(p.blocked).toEqual([]);
  });

  it('leaves an unmanaged binding from the exchange of a deleted producer in place', () => {
    const broker = convergedBroker();
    broker.observed.bindings.push({
      source: 'brom.orders',
      destination: 'brom.stray',
      destination_type: 'queue',
      routing_key: 'order.#',
      arguments: {},
      properties_key: 'order.#',
    });
    const input = sampleInput();
    input.notificationTypes.forEach(t => (t.deletedAt = DELETED));
    const p = planFor(input, broker);

    const deleted = plannedWrites(p).map(a => a.key);
    expect(deleted).toContain('exchange:brom.orders');
    expect(deleted).not.toContain(
      'binding:brom.orders->queue:brom.stray:order.#',
    );
  });

  describe('deleting queues that hold messages', () => {
    function deletedConsumer(confirmed: boolean): ReconcilerInput {
      const input = sampleInput();
      input.applications[1].deletedAt = DELETED;
      input.applications[1].queueDeletionConfirmedAt = confirmed
        ? DELETED
        : null;
      return input;
    }

    it('holds back the whole queue group without confirmation, but stops the inflow', () => {
      const broker = convergedBroker();
      broker.setMessages('brom.billing', 42);
      const p = planFor(deletedConsumer(false), broker);

      expect(waveSummary(p)).toEqual([`delete bindings: ${BILLING_BINDING}`]);
      expect(p.blocked.map(b => [b.key, b.reason])).toEqual([
        ['binding:brom.billing.dlx->queue:brom.billing.dlq:', 'QueueNotEmpty'],
        ['exchange:brom.billing.dlx', 'QueueNotEmpty'],
        ['policy:brom.billing', 'QueueNotEmpty'],
        ['queue:brom.billing', 'QueueNotEmpty'],
        ['queue:brom.billing.dlq', 'QueueNotEmpty'],
      ]);
      expect(p.blocked.find(b => b.key === 'queue:brom.billing')?.message).toBe(
        'queue brom.billing holds 42 messages and application billing has not confirmed that its queued messages may be discarded',
      );
      expect(p.finalizable.applicationIds).toEqual([]);
    });

    it('holds back the group when only the dead-letter queue holds messages', () => {
      const broker = convergedBroker();
      broker.setMessages('brom.billing.dlq', 1);
      const p = planFor(deletedConsumer(false), broker);

      expect(
        p.blocked.find(b => b.key === 'queue:brom.billing.dlq')?.reason,
      ).toBe('QueueNotEmpty');
      expect(p.blocked.map(b => b.key)).toContain('queue:brom.billing');
    });

    it('holds back a queue whose message count the broker does not report', () => {
      const broker = convergedBroker();
      broker.setMessages('brom.billing', undefined);
      const p = planFor(deletedConsumer(false), broker);

      expect(p.blocked.find(b => b.key === 'queue:brom.billing')?.reason).toBe(
        'QueueMessageCountUnknown',
      );
    });

    it('deletes the queues with their messages once the application confirmed it', () => {
      const broker = convergedBroker();
      broker.setMessages('brom.billing', 42);
      broker.setMessages('brom.billing.dlq', 3);
      const input = deletedConsumer(true);
      const p = planFor(input, broker);

      expect(p.blocked).toEqual([]);
      expect(waveSummary(p)).toContain(
        'delete queues: queue:brom.billing, queue:brom.billing.dlq',
      );
      broker.apply(p);
      expect(planFor(input, broker).finalizable.applicationIds).toEqual([
        'app-billing',
      ]);
    });

    it('holds back a non-empty managed queue that no application can confirm', () => {
      const broker = convergedBroker();
      broker.observed.queues.push({
        name: 'brom.renamed',
        durable: true,
        type: 'quorum',
        arguments: { 'x-queue-type': 'quorum' },
        messages: 5,
      });
      broker.managed.add('queue:brom.renamed');
      const p = planFor(sampleInput(), broker);

      expect(p.blocked.map(b => [b.key, b.reason])).toEqual([
        ['queue:brom.renamed', 'QueueNotEmpty'],
      ]);
      expect(p.blocked[0].message).toContain('belongs to no application');
      expect(p.waves).toEqual([]);
    });

    it('deletes an empty queue without confirmation', () => {
      const broker = convergedBroker();
      const p = planFor(deletedConsumer(false), broker);
      expect(p.blocked).toEqual([]);
      expect(waveSummary(p)).toContain(
        'delete queues: queue:brom.billing, queue:brom.billing.dlq',
      );
    });
  });

  it('orders a mixed plan: puts in dependency order, then deletions in reverse', () => {
    const broker = convergedBroker();
    const input = sampleInput();
    input.applications[1].deletedAt = DELETED;
    input.applications[1].queueDeletionConfirmedAt = DELETED;
    input.applications.push({
      id: 'app-audit',
      name: 'audit',
      generation: 1,
      deletedAt: null,
      queueDeletionConfirmedAt: null,
      settings: {},
    });
    input.subscriptions.push({
      id: 'sub-audit',
      consumerApplicationId: 'app-audit',
      notificationTypeId: 'type-any',
      state: 'approved',
      generation: 1,
    });
    input.applications[2].settings = { maxLength: 10 };
    const p = planFor(input, broker);

    expect(p.waves.map(w => `${w.operation} ${w.stage}`)).toEqual([
      'put exchanges',
      'put policies',
      'put queues',
      'put bindings',
      'delete bindings',
      'delete queues',
      'delete policies',
      'delete exchanges',
    ]);
    expect(p.waves[1].actions.map(a => `${a.action} ${a.key}`)).toEqual([
      'create policy:brom.audit',
      'update policy:brom.shipping',
    ]);

    broker.apply(p);
    expect(planFor(input, broker).waves).toEqual([]);
  });

  it('creates the vhost first when it is missing and adopts it when it exists', () => {
    const created = planFor(sampleInput(), new FakeBroker());
    expect(created.waves[0]).toMatchObject({
      stage: 'vhost',
      operation: 'put',
    });

    const adopted = planFor(
      sampleInput(),
      new FakeBroker({ ...emptyBroker(), vhost: { name: 'brom' } }),
    );
    expect(adopted.waves.map(w => w.stage)).not.toContain('vhost');
    expect(adopted.adoptions.map(a => a.key)).toEqual(['vhost:brom']);
  });
});

describe('plan for an external producer', () => {
  const PASSWORD = 'up$tream/pw';

  function externalInput(
    upstream: Partial<NonNullable<ReconcilerInput['applications'][number]['externalProducer']>> = {},
  ): ReconcilerInput {
    const input = sampleInput();
    input.applications.push({
      ...input.applications[0],
      id: 'app-partner',
      name: 'partner',
      externalProducer: {
        upstreamUri: 'amqps://broker.other.example:5671/partners',
        upstreamExchange: 'outbox',
        upstreamRoutingKey: '#',
        upstreamQueue: null,
        username: 'brom shovel',
        password: PASSWORD,
        ...upstream,
      },
    });
    return input;
  }

  it('wants its exchange, even before it has types, and a shovel from the upstream into it', () => {
    const topology = desiredTopology(externalInput(), OPTIONS);
    expect(topology.exchanges.map(e => e.key)).toContain('exchange:brom.partner');
    expect(topology.shovels).toEqual([
      expect.objectContaining({
        key: 'shovel:brom.partner',
        name: 'brom.partner',
        dependsOn: ['vhost:brom', 'exchange:brom.partner'],
        definition: {
          'src-protocol': 'amqp091',
          'src-uri': `amqps://brom%20shovel:${encodeURIComponent(PASSWORD)}@broker.other.example:5671/partners`,
          'src-exchange': 'outbox',
          'src-exchange-key': '#',
          'dest-protocol': 'amqp091',
          'dest-uri': 'amqp:///brom',
          'dest-exchange': 'brom.partner',
          'ack-mode': 'on-confirm',
          'reconnect-delay': 5,
        },
      }),
    ]);
    const fromQueue = desiredTopology(
      externalInput({ upstreamExchange: null, upstreamRoutingKey: null, upstreamQueue: 'outbox-q' }),
      OPTIONS,
    ).shovels[0].definition;
    expect(fromQueue).toMatchObject({ 'src-queue': 'outbox-q' });
    expect(fromQueue).not.toHaveProperty('src-exchange');
  });

  it('creates the shovel after the exchange it delivers to, then leaves a running one alone', () => {
    const broker = new FakeBroker();
    const first = planFor(externalInput(), broker);
    const stages = first.waves.map(w => w.stage);
    expect(stages.indexOf('shovels')).toBeGreaterThan(stages.indexOf('exchanges'));
    broker.apply(first);

    const second = planFor(externalInput(), broker);
    expect(plannedWrites(second)).toEqual([]);
    expect(second.running).toEqual([
      {
        key: 'shovel:brom.partner',
        readiness: { status: 'True', reason: 'ShovelRunning', message: 'running on rabbit@fake' },
      },
    ]);
  });

  it('reports a starting or terminated shovel as not ready, the reason without the password', () => {
    const broker = convergedBroker(externalInput());
    const shovel = broker.observed.shovels[0];
    shovel.status = { state: 'starting', node: 'rabbit@b' };
    expect(planFor(externalInput(), broker).running[0].readiness).toMatchObject({
      status: 'False',
      reason: 'ShovelStarting',
    });
    shovel.status = {
      state: 'terminated',
      node: 'rabbit@b',
      reason: `{auth_failure,"amqps://brom%20shovel:${encodeURIComponent(PASSWORD)}@broker" ${PASSWORD}}`,
    };
    const terminated = planFor(externalInput(), broker).running[0].readiness;
    expect(terminated).toMatchObject({ status: 'False', reason: 'ShovelTerminated' });
    expect(terminated.message).toContain('auth_failure');
    expect(terminated.message).not.toContain(PASSWORD);
    expect(terminated.message).not.toContain(encodeURIComponent(PASSWORD));
  });

  it('replaces the shovel when the password changes, saying only that the URI differs', () => {
    const broker = convergedBroker(externalInput());
    const p = planFor(externalInput({ password: 'another' }), broker);
    const [update] = plannedWrites(p);
    expect(update).toMatchObject({ action: 'update', key: 'shovel:brom.partner' });
    expect((update as { differences: string[] }).differences).toEqual(['src-uri differs']);
  });

  it('deletes the shovel before the exchange of a deleted producer, and finalizes only once it is gone', () => {
    const broker = convergedBroker(externalInput());
    const deleted = externalInput();
    deleted.applications.find(a => a.id === 'app-partner')!.deletedAt = DELETED;

    const p = planFor(deleted, broker);
    expect(p.waves.filter(w => w.operation === 'delete').map(w => w.stage)).toEqual([
      'shovels',
      'exchanges',
    ]);
    expect(p.finalizable.applicationIds).not.toContain('app-partner');
    broker.apply(p);
    expect(planFor(deleted, broker).finalizable.applicationIds).toContain('app-partner');
  });
});

import { OPTIONS, application, sampleInput } from '../__testUtils__/fakeBroker';
import { escapeRegex, exactNamePattern } from './naming';
import { desiredObjects } from './kinds';
import {
  desiredTopology,
  desiredTopologyOf,
  inputOfApplications,
  objectApplications,
} from './topology';

describe('desiredTopology', () => {
  it('derives exchanges for producers, queue groups for consumers and bindings for approved subscriptions', () => {
    const topology = desiredTopology(sampleInput(), OPTIONS);

    expect(topology.version).toBe(7);
    expect(topology.vhost).toMatchObject({ key: 'vhost:brom', name: 'brom' });
    expect(topology.exchanges.map(e => [e.key, e.type])).toEqual([
      ['exchange:brom.billing.dlx', 'fanout'],
      ['exchange:brom.orders', 'topic'],
      ['exchange:brom.shipping.dlx', 'fanout'],
    ]);
    expect(topology.queues.map(q => [q.key, q.role, q.arguments])).toEqual([
      ['queue:brom.billing', 'consumer', { 'x-queue-type': 'quorum' }],
      ['queue:brom.billing.dlq', 'dead-letter', { 'x-queue-type': 'quorum' }],
      ['queue:brom.shipping', 'consumer', { 'x-queue-type': 'quorum' }],
      ['queue:brom.shipping.dlq', 'dead-letter', { 'x-queue-type': 'quorum' }],
    ]);
    expect(topology.bindings.map(b => b.key)).toEqual([
      'binding:brom.billing.dlx->queue:brom.billing.dlq:',
      'binding:brom.orders->queue:brom.billing:order.*.created',
      'binding:brom.shipping.dlx->queue:brom.shipping.dlq:',
    ]);
  });

  it('puts dead-lettering, TTL and max length in an anchored policy for the consumer queue only', () => {
    const input = sampleInput();
    input.applications[2].settings = { maxLength: 5000, messageTtlMs: null };
    const topology = desiredTopology(input, OPTIONS);

    expect(topology.policies).toEqual([
      expect.objectContaining({
        key: 'policy:brom._dead-letters',
        queue: null,
        owner: null,
        definition: { 'max-length': 10_000, overflow: 'drop-head' },
      }),
      expect.objectContaining({
        key: 'policy:brom.billing',
        name: 'brom.billing',
        pattern: '^brom\\.billing$',
        applyTo: 'queues',
        priority: 10,
        definition: {
          'dead-letter-exchange': 'brom.billing.dlx',
          'message-ttl': 60_000,
        },
      }),
      expect.objectContaining({
        key: 'policy:brom.shipping',
        definition: {
          'dead-letter-exchange': 'brom.shipping.dlx',
          'max-length': 5000,
        },
      }),
    ]);
  });

  it('names the dead-letter exchange in the queue argument of applications registered since decision 0028, with a policy only for their settings', () => {
    const input = sampleInput();
    for (const a of input.applications) a.deadLetterArgument = true;
    // billing has a TTL (sampleInput); shipping has no settings.
    const topology = desiredTopology(input, OPTIONS);

    expect(topology.queues.map(q => [q.key, q.arguments])).toEqual([
      ['queue:brom.billing', { 'x-queue-type': 'quorum', 'x-dead-letter-exchange': 'brom.billing.dlx' }],
      ['queue:brom.billing.dlq', { 'x-queue-type': 'quorum' }],
      ['queue:brom.shipping', { 'x-queue-type': 'quorum', 'x-dead-letter-exchange': 'brom.shipping.dlx' }],
      ['queue:brom.shipping.dlq', { 'x-queue-type': 'quorum' }],
    ]);
    // The queue is declared after the exchange it dead-letters to.
    expect(topology.queues[0].dependsOn).toContain('exchange:brom.billing.dlx');
    expect(topology.policies.map(p => [p.key, p.definition])).toEqual([
      ['policy:brom._dead-letters', { 'max-length': 10_000, overflow: 'drop-head' }],
      ['policy:brom.billing', { 'dead-letter-exchange': 'brom.billing.dlx', 'message-ttl': 60_000 }],
    ]);

    // Setting a length limit later brings the policy; the queue's arguments stay as declared.
    input.applications[2].settings = { maxLength: 5000, messageTtlMs: null };
    const later = desiredTopology(input, OPTIONS);
    expect(later.policies.map(p => p.key)).toEqual([
      'policy:brom._dead-letters',
      'policy:brom.billing',
      'policy:brom.shipping',
    ]);
    expect(later.queues).toEqual(topology.queues);
  });

  it('bounds every dead-letter queue by one policy whose pattern matches dead-letter queues only', () => {
    const options = {
      ...OPTIONS,
      deadLetters: { maxLength: 250, overflow: 'reject-publish' as const },
    };
    const topology = desiredTopology(sampleInput(), options);
    const bounds = topology.policies.filter(p => p.owner === null);
    expect(bounds.map(p => [p.name, p.queue, p.priority, p.definition])).toEqual([
      [
        'brom._dead-letters',
        null,
        10,
        { 'max-length': 250, overflow: 'reject-publish' },
      ],
    ]);
    // No delivery-limit (peeks return messages; a limit would drop them) and no dead-lettering.
    expect(Object.keys(bounds[0].definition).sort()).toEqual(['max-length', 'overflow']);
    // The same one whether or not anyone consumes: it belongs to no application.
    expect(
      desiredTopology({ ...sampleInput(), applications: [], subscriptions: [], notificationTypes: [] }, options)
        .policies.map(p => p.key),
    ).toEqual(['policy:brom._dead-letters']);
    // RabbitMQ matches policy patterns unanchored (Erlang re): the bound matches every
    // dead-letter queue name BROM can give and none of the names nearest to them.
    const bound = new RegExp(bounds[0].pattern);
    const matching = [
      'brom.billing.dlq',
      'brom.a.dlq',
      'brom.payments-api.dlq',
      'brom.9to5.dlq',
    ];
    const notMatching = [
      'brom.billing',
      'brom.billing.dlq2',
      'xbrom.billing.dlq',
      'brom.billing.dlq.replay',
      'brom.billing-dlq',
      'brom.billingXdlq',
      'brom.a.b.dlq',
      'brom..dlq',
      'brom.-x.dlq',
      'brom.x-.dlq',
      'brom.Billing.dlq',
      'brom.billing.dlx',
      'bromXbilling.dlq',
      'brom.dlq',
    ];
    expect(matching.filter(n => !bound.test(n))).toEqual([]);
    expect(notMatching.filter(n => bound.test(n))).toEqual([]);
    // Each queue has exactly one policy: the consumer queue its own, the dead-letter queue
    // the shared bound.
    for (const q of topology.queues) {
      const applying = topology.policies.filter(p => new RegExp(p.pattern).test(q.name));
      expect(applying.map(p => p.name)).toEqual([
        q.role === 'dead-letter' ? 'brom._dead-letters' : q.name,
      ]);
    }
  });

  it('escapes the prefix in the dead-letter bound', () => {
    const topology = desiredTopology(sampleInput(), { ...OPTIONS, prefix: 'team+1.' });
    const bound = topology.policies.find(p => p.owner === null)!;
    expect(bound.name).toBe('team+1._dead-letters');
    expect(new RegExp(bound.pattern).test('team+1.billing.dlq')).toBe(true);
    expect(new RegExp(bound.pattern).test('teamm1.billing.dlq')).toBe(false);
  });

  it('records who owns each object and the generation it derives from', () => {
    const topology = desiredTopology(sampleInput(), OPTIONS);
    const byKey = new Map(
      [...topology.exchanges, ...topology.queues, ...topology.bindings].map(
        o => [o.key, o],
      ),
    );

    expect(byKey.get('exchange:brom.orders')?.owner).toEqual({
      applicationId: 'app-orders',
      subscriptionId: null,
      generation: 1,
    });
    expect(
      byKey.get('binding:brom.orders->queue:brom.billing:order.*.created')
        ?.owner,
    ).toEqual({
      applicationId: 'app-billing',
      subscriptionId: 'sub-billing',
      generation: 2,
    });
    expect(topology.vhost.owner).toBeNull();
  });

  it('keeps the queue of a consumer whose subscription was revoked, but not the binding', () => {
    const input = sampleInput();
    input.subscriptions[0].state = 'revoked';
    const topology = desiredTopology(input, OPTIONS);

    expect(topology.queues.map(q => q.key)).toContain('queue:brom.billing');
    expect(topology.bindings.map(b => b.key)).not.toContain(
      'binding:brom.orders->queue:brom.billing:order.*.created',
    );
  });

  it('lets deleted applications and notification types contribute nothing', () => {
    const input = sampleInput();
    input.applications[1].deletedAt = '2026-01-01T00:00:00Z';
    input.notificationTypes[1].deletedAt = '2026-01-01T00:00:00Z';
    const topology = desiredTopology(input, OPTIONS);

    const keys = [
      ...topology.exchanges,
      ...topology.queues,
      ...topology.policies,
      ...topology.bindings,
    ].map(o => o.key);
    expect(keys.filter(k => k.includes('billing'))).toEqual([]);
    expect(
      topology.applications.find(a => a.id === 'app-billing'),
    ).toMatchObject({
      deleted: true,
      queueDeletionConfirmed: false,
    });
    expect(topology.deletedNotificationTypes).toEqual([
      {
        id: 'type-any',
        applicationId: 'app-orders',
        bindingKeys: ['binding:brom.orders->queue:brom.shipping:order.#'],
      },
    ]);
  });

  it('drops a producer exchange once its last notification type is deleted, and bindings of a deleted producer', () => {
    const input = sampleInput();
    input.notificationTypes.forEach(
      t => (t.deletedAt = '2026-01-01T00:00:00Z'),
    );
    const topology = desiredTopology(input, OPTIONS);

    expect(topology.exchanges.map(e => e.key)).not.toContain(
      'exchange:brom.orders',
    );
    expect(
      topology.bindings.every(b => !b.source.startsWith('brom.orders')),
    ).toBe(true);
  });

  it('gives one binding to two subscriptions that yield the same one, owned by the same subscription on every pass', () => {
    const input = sampleInput();
    input.notificationTypes.push({
      id: 'type-created-again',
      applicationId: 'app-orders',
      name: 'order-created-v2',
      routingKeyPattern: 'order.*.created',
      generation: 1,
      deletedAt: null,
    });
    input.subscriptions.push({
      id: 'sub-a-billing',
      consumerApplicationId: 'app-billing',
      notificationTypeId: 'type-created-again',
      state: 'approved',
      generation: 1,
    });
    const forward = desiredTopology(input, OPTIONS);
    input.subscriptions.reverse();
    const backward = desiredTopology(input, OPTIONS);

    const key = 'binding:brom.orders->queue:brom.billing:order.*.created';
    expect(forward.bindings.filter(b => b.key === key)).toHaveLength(1);
    expect(
      forward.bindings.find(b => b.key === key)?.owner.subscriptionId,
    ).toBe('sub-a-billing');
    expect(backward).toEqual(forward);
  });

  it('uses the configured prefix and queue type', () => {
    const topology = desiredTopology(sampleInput(), {
      ...OPTIONS,
      prefix: 'test.',
      queueType: 'classic',
    });
    expect(topology.queues[0]).toMatchObject({
      key: 'queue:test.billing',
      arguments: { 'x-queue-type': 'classic' },
    });
    expect(topology.exchanges.map(e => e.name)).toContain('test.orders');
  });

  it('makes a consumer queue for an application without live notification types of its own', () => {
    const input = sampleInput();
    input.applications.push(application('app-audit', 'audit'));
    input.subscriptions.push({
      id: 'sub-audit',
      consumerApplicationId: 'app-audit',
      notificationTypeId: 'type-any',
      state: 'rejected',
      generation: 1,
    });
    const topology = desiredTopology(input, OPTIONS);
    expect(topology.queues.map(q => q.name)).toContain('brom.audit');
    expect(topology.exchanges.map(e => e.name)).not.toContain('brom.audit');
  });
});

describe('policy patterns', () => {
  it('escapes every regex metacharacter of prefix and name and anchors the pattern', () => {
    expect(exactNamePattern('brom.app')).toBe('^brom\\.app$');
    expect(escapeRegex('a.b*c+d?e^f$g|h(i)j[k]l{m}n\\o')).toBe(
      'a\\.b\\*c\\+d\\?e\\^f\\$g\\|h\\(i\\)j\\[k\\]l\\{m\\}n\\\\o',
    );
  });

  it.each([
    ['brom.', 'orders'],
    ['team.a+b.', 'my-app'],
    ['x(1)[2]{3}^$|?*\\.', 'app-2'],
  ])(
    'with prefix %j and application %j matches the queue and nothing near it',
    (prefix, name) => {
      const input = sampleInput();
      input.applications[1].name = name;
      const topology = desiredTopology(input, { ...OPTIONS, prefix });
      const policy = topology.policies.find(
        p => p.owner?.applicationId === 'app-billing',
      )!;
      const queue = `${prefix}${name}`;
      // JavaScript and PCRE agree on these escapes, so RegExp is a faithful stand-in here.
      const matcher = new RegExp(policy.pattern);

      expect(policy.queue).toBe(queue);
      expect(matcher.test(queue)).toBe(true);
      expect(matcher.test(`${queue}.dlq`)).toBe(false);
      expect(matcher.test(`x${queue}`)).toBe(false);
      expect(matcher.test(queue.replace(/\./g, 'X'))).toBe(
        queue.indexOf('.') < 0,
      );
    },
  );
});

describe('desiredTopologyOf', () => {
  it('gives each application, from its own rows, the objects the whole store gives it', () => {
    const input = sampleInput();
    input.subscriptions[1].state = 'approved';
    const whole = desiredTopology(input, OPTIONS);
    const applicationsOf = objectApplications(whole, OPTIONS);
    for (const { id } of input.applications) {
      const ids = new Set([id]);
      const scoped = desiredTopologyOf(inputOfApplications(input, ids), ids, OPTIONS);
      expect(desiredObjects(scoped).filter(o => o.kind !== 'vhost')).toEqual(
        desiredObjects(whole).filter(o => applicationsOf(o).includes(id)),
      );
    }
    // The producer's objects include the bindings of its consumers' queues to its exchange.
    const orders = new Set(['app-orders']);
    expect(
      desiredTopologyOf(inputOfApplications(input, orders), orders, OPTIONS).bindings.map(
        b => b.destination,
      ),
    ).toEqual(['brom.billing', 'brom.shipping']);
  });
});

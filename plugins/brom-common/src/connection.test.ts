import { compileRoutingKeyPatterns } from '@internal/brom-authz-snapshot';
import {
  connectionEnvironment,
  connectionGuide,
  exampleRoutingKey,
} from './connection';

const broker = {
  amqpUrls: ['amqps://rabbitmq.example.org'],
  vhost: 'brom',
  prefix: 'brom.',
};

describe('exampleRoutingKey', () => {
  it.each([
    'order.*.created',
    'order.created',
    'invoice.#',
    '#',
    '*',
    '*.*.paid',
    'refund.*.#',
    'ø.løn-2026',
  ])('gives a key %s lets through', pattern => {
    const key = exampleRoutingKey(pattern);
    expect(compileRoutingKeyPatterns([pattern])(key)).toBe(true);
    expect(key).not.toMatch(/[*#]/);
  });

  it('keeps the literal words', () => {
    expect(exampleRoutingKey('order.*.created')).toBe('order.example.created');
  });
});

describe('connectionGuide', () => {
  it('gives a producer only the exchange, a valid key and no queue', () => {
    const guide = connectionGuide({
      broker,
      application: 'orders',
      routingKeyPatterns: ['order.*.created', 'order.*.cancelled'],
      consumer: false,
    });
    expect(guide.role).toBe('producer');
    expect(guide.exchange).toBe('brom.orders');
    expect(guide.queue).toBeUndefined();
    expect(guide.deadLetterQueue).toBeUndefined();
    expect(guide.exampleRoutingKey).toBe('order.example.created');
    expect(guide.endpoints).toEqual([
      { host: 'rabbitmq.example.org', port: 5671, tls: true },
    ]);
    expect(guide.snippets.map(s => s.language)).toEqual([
      'node',
      'python',
      'java',
      'dotnet',
    ]);
    for (const { code } of guide.snippets) {
      expect(code).toContain('order.example.created');
      expect(code).not.toContain('your.routing.key');
      // A producer has no queue: checking one would fail with 404.
      expect(code).not.toMatch(/checkQueue|queue_declare|queueDeclare|QueueDeclare/);
    }
  });

  it('gives a consumer only the queue and its dead-letter queue', () => {
    const guide = connectionGuide({
      broker: { ...broker, amqpUrls: ['amqp://127.0.0.1:5673'] },
      application: 'billing',
      routingKeyPatterns: [],
      consumer: true,
    });
    expect(guide.role).toBe('consumer');
    expect(guide.exchange).toBeUndefined();
    expect(guide.queue).toBe('brom.billing');
    expect(guide.deadLetterQueue).toBe('brom.billing.dlq');
    expect(guide.endpoints).toEqual([
      { host: '127.0.0.1', port: 5673, tls: false },
    ]);
    for (const { code } of guide.snippets) {
      expect(code).toContain('"brom.billing"');
      expect(code).not.toMatch(/checkExchange|exchange_declare|xchangeDeclare/);
      expect(code).not.toMatch(/publish/i);
    }
  });

  it('gives an application that does both the queue, the exchange and a key', () => {
    const guide = connectionGuide({
      broker,
      application: 'shipping',
      routingKeyPatterns: ['shipment.#'],
      consumer: true,
    });
    expect(guide.role).toBe('both');
    const node = guide.snippets.find(s => s.language === 'node')!.code;
    expect(node).toContain('checkQueue("brom.shipping")');
    expect(node).toContain('checkExchange("brom.shipping")');
    expect(node).toContain('"shipment.example"');
  });

  it('gives no code to an application with neither role', () => {
    const guide = connectionGuide({
      broker,
      application: 'idle',
      routingKeyPatterns: [],
      consumer: false,
    });
    expect(guide.role).toBe('none');
    expect(guide.snippets).toEqual([]);
  });

  it('lists every node of a cluster and tries them in order', () => {
    const guide = connectionGuide({
      broker: {
        ...broker,
        amqpUrls: ['amqps://rabbit-1.example', 'amqps://rabbit-2.example:5674'],
      },
      application: 'orders',
      routingKeyPatterns: ['order.#'],
      consumer: false,
    });
    expect(guide.endpoints).toEqual([
      { host: 'rabbit-1.example', port: 5671, tls: true },
      { host: 'rabbit-2.example', port: 5674, tls: true },
    ]);
    expect(guide.environmentName).toBe('AMQP_URLS');
    expect(guide.environmentTemplate).toBe(
      'AMQP_URLS=amqps://USERNAME:SECRET@rabbit-1.example/brom,amqps://USERNAME:SECRET@rabbit-2.example:5674/brom',
    );
    for (const { code } of guide.snippets) {
      expect(code).toContain('AMQP_URLS');
    }
  });
});

describe('connectionEnvironment', () => {
  it('escapes the credential and the vhost', () => {
    expect(
      connectionEnvironment(
        { amqpUrls: ['amqp://guest@127.0.0.1:5673'], vhost: 'a/b', prefix: 'brom.' },
        'orders-7f3a',
        's3cr/et+',
      ),
    ).toBe('AMQP_URL=amqp://orders-7f3a:s3cr%2Fet%2B@127.0.0.1:5673/a%2Fb');
  });
});

import { Parser } from '@asyncapi/parser';
import { CatalogExport } from '@internal/plugin-brom-common';
import { apiEntityName, entitiesFromExport } from './entities';

const longName = `a${'b'.repeat(61)}c`;

const data: CatalogExport = {
  version: 7,
  broker: { vhost: 'brom', prefix: 'brom.', amqpUrls: ['amqp://broker.example:5672'] },
  applications: [
    {
      name: longName,
      title: 'A very long application',
      description: '',
      owner: 'group:default/team-a',
      entityRef: null,
    },
    {
      name: 'billing',
      title: 'Billing',
      description: 'Sends invoices',
      owner: 'group:default/team-b',
      entityRef: null,
    },
    {
      name: 'orders',
      title: 'Orders',
      description: '',
      owner: 'group:default/team-a',
      entityRef: 'component:default/orders-service',
    },
  ],
  notificationTypes: [
    {
      application: longName,
      name: `order-${'x'.repeat(50)}`,
      routingKeyPattern: 'order.*.created',
      description: 'An order was created',
      deprecation: null,
      payloadSchema: {
        type: 'object',
        required: ['orderId'],
        properties: { orderId: { type: 'string' }, total: { type: 'number' } },
      },
    },
    {
      application: 'orders',
      name: 'order-shipped',
      routingKeyPattern: 'order.#',
      description: 'An order left the warehouse',
      payloadSchema: null,
      deprecation: null,
    },
  ],
  subscriptions: [
    { consumer: 'billing', producer: longName, notificationType: `order-${'x'.repeat(50)}` },
    { consumer: 'billing', producer: 'orders', notificationType: 'order-shipped' },
  ],
};

describe('entitiesFromExport', () => {
  const entities = entitiesFromExport(data, { portalUrl: 'http://portal/brom' });

  it('keeps entity names within the catalog limit, unique and stable', () => {
    const name = apiEntityName(longName, `order-${'x'.repeat(50)}`);
    expect(name.length).toBeLessThanOrEqual(63);
    expect(name).toMatch(/^[a-z0-9][a-z0-9.-]*[a-z0-9]$/);
    expect(apiEntityName(longName, `order-${'x'.repeat(50)}`)).toBe(name);
    expect(apiEntityName(longName, `order-${'x'.repeat(49)}y`)).not.toBe(name);
    expect(apiEntityName('orders', 'order-shipped')).toBe('orders.order-shipped');
    for (const entity of entities) {
      expect(entity.metadata.name.length).toBeLessThanOrEqual(63);
    }
  });

  it('emits an AsyncAPI API per type, owned by the producer owner', () => {
    const apis = entities.filter(e => e.kind === 'API');
    expect(apis).toHaveLength(2);
    const api = apis.find(a => a.metadata.name.startsWith('a'))!;
    expect(api.spec).toMatchObject({
      type: 'asyncapi',
      owner: 'group:default/team-a',
      lifecycle: 'production',
    });
    const doc = JSON.parse(api.spec!.definition as string);
    expect(doc.asyncapi).toBe('3.0.0');
    const channel = Object.values(doc.channels)[0] as any;
    expect(channel.address).toBe('order.*.created');
    expect(channel.bindings.amqp.exchange.name).toBe(`brom.${longName}`);
    expect((Object.values(channel.messages)[0] as any).payload.required).toEqual(['orderId']);
  });

  it('names the broker as a server, or each node of a cluster', () => {
    const serversOf = (amqpUrls: string[]) => {
      const api = entitiesFromExport({ ...data, broker: { ...data.broker, amqpUrls } }, {
        portalUrl: 'http://portal/brom',
      }).find(
        e => e.kind === 'API',
      )!;
      return JSON.parse(api.spec!.definition as string).servers;
    };
    expect(serversOf(['amqp://broker.example:5672'])).toEqual({
      broker: { host: 'broker.example:5672', protocol: 'amqp', pathname: '/brom' },
    });
    expect(
      serversOf(['amqp://rabbit-1.example:5672', 'amqps://rabbit-2.example', 'amqp://rabbit-3.example']),
    ).toEqual({
      'broker-1': { host: 'rabbit-1.example:5672', protocol: 'amqp', pathname: '/brom' },
      'broker-2': { host: 'rabbit-2.example', protocol: 'amqp', pathname: '/brom' },
      'broker-3': { host: 'rabbit-3.example', protocol: 'amqp', pathname: '/brom' },
    });
    expect(serversOf([])).toBeUndefined();
  });

  it('emits Components with relations only for applications not linked to the catalog', () => {
    const components = entities.filter(e => e.kind === 'Component');
    expect(components.map(c => c.metadata.name).sort()).toEqual([longName, 'billing'].sort());
    const billing = components.find(c => c.metadata.name === 'billing')!;
    expect((billing.spec as any).consumesApis).toEqual([
      `api:default/${apiEntityName(longName, `order-${'x'.repeat(50)}`)}`,
      'api:default/orders.order-shipped',
    ]);
    const producer = components.find(c => c.metadata.name === longName)!;
    expect((producer.spec as any).providesApis).toHaveLength(1);
    expect((producer.spec as any).consumesApis).toBeUndefined();
  });

  it('marks a deprecated type\'s API deprecated and links its successor', () => {
    const sunsetAt = '2027-03-01T00:00:00.000Z';
    const deprecatedExport: CatalogExport = {
      ...data,
      notificationTypes: data.notificationTypes.map(t =>
        t.name === 'order-shipped'
          ? {
              ...t,
              deprecation: {
                deprecatedAt: '2027-01-01T00:00:00.000Z',
                deprecatedBy: 'user:default/alice',
                sunsetAt,
                successor: 'order-shipped-v2',
              },
            }
          : t,
      ),
    };
    const api = entitiesFromExport(deprecatedExport, { portalUrl: 'http://portal/brom' }).find(
      e => e.metadata.name === 'orders.order-shipped',
    )!;
    expect(api.spec).toMatchObject({ lifecycle: 'deprecated' });
    expect(api.metadata.annotations).toMatchObject({
      'brom.io/sunset': sunsetAt,
      'brom.io/successor': 'api:default/orders.order-shipped-v2',
    });
    expect(api.metadata.links).toContainEqual({
      url: 'http://portal/catalog/default/api/orders.order-shipped-v2',
      title: 'Successor: orders/order-shipped-v2',
    });
    expect(JSON.parse(api.spec!.definition as string).info.description).toMatch(
      /^\*\*Deprecated\*\*: subscriptions end on 2027-03-01T00:00:00.000Z; its successor is `orders\/order-shipped-v2`/,
    );
    // The others stay in production.
    const current = entitiesFromExport(deprecatedExport, { portalUrl: 'http://portal/brom' }).find(
      e => e.kind === 'API' && e.metadata.name !== 'orders.order-shipped',
    )!;
    expect(current.spec).toMatchObject({ lifecycle: 'production' });
  });

  it('generates documents the AsyncAPI parser accepts without errors', async () => {
    const parser = new Parser();
    for (const api of entities.filter(e => e.kind === 'API')) {
      const { diagnostics } = await parser.parse(api.spec!.definition as string);
      const errors = diagnostics.filter(d => d.severity === 0);
      expect(errors.map(e => `${e.path.join('.')}: ${e.message}`)).toEqual([]);
    }
  });
});

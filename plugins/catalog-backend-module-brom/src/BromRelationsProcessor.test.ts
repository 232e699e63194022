import { Entity } from '@backstage/catalog-model';
import { CatalogProcessorResult } from '@backstage/plugin-catalog-node';
import { BromRelationsProcessor } from './BromRelationsProcessor';
import { CatalogIndex } from './CatalogIndex';
import { ANNOTATION_BROM_APPLICATION, apiEntityName } from './entities';
import { app, exportOf, type } from './__testUtils__/exports';

const location = { type: 'url', target: 'https://example.com/catalog-info.yaml' };

function component(name: string): Entity {
  return {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Component',
    metadata: { name },
    spec: { type: 'service', lifecycle: 'production', owner: 'group:default/team-a' },
  };
}

async function processed(processor: BromRelationsProcessor, entity: Entity) {
  const emitted: CatalogProcessorResult[] = [];
  const result = await processor.postProcessEntity(entity, location, r => emitted.push(r));
  const relations = emitted.flatMap(r =>
    r.type === 'relation'
      ? [`${r.relation.source.name} ${r.relation.type} ${r.relation.target.name}`]
      : [],
  );
  return { result, relations };
}

describe('BromRelationsProcessor', () => {
  it("adds a linked Component's provided and approved consumed APIs, matching its ref in any case", async () => {
    const index = CatalogIndex.of(exportOf({
      applications: [
        app('orders', 'Component:default/Orders-Service'),
        app('billing', 'component:default/billing-service'),
        app('unlinked', null),
      ],
      notificationTypes: [type('orders', 'order-created'), type('billing', 'invoice-sent')],
      subscriptions: [
        { consumer: 'billing', producer: 'orders', notificationType: 'order-created' },
        { consumer: 'unlinked', producer: 'orders', notificationType: 'order-created' },
      ],
    }));
    const processor = new BromRelationsProcessor({ latest: () => index });
    const created = apiEntityName('orders', 'order-created');
    const invoice = apiEntityName('billing', 'invoice-sent');

    const orders = await processed(processor, component('orders-service'));
    expect(orders.relations).toEqual([
      `orders-service providesApi ${created}`,
      `${created} apiProvidedBy orders-service`,
    ]);
    expect(orders.result.metadata.annotations?.[ANNOTATION_BROM_APPLICATION]).toBe('orders');

    const billing = await processed(processor, component('billing-service'));
    expect(billing.relations).toEqual([
      `billing-service providesApi ${invoice}`,
      `${invoice} apiProvidedBy billing-service`,
      `billing-service consumesApi ${created}`,
      `${created} apiConsumedBy billing-service`,
    ]);

    const other = await processed(processor, component('something-else'));
    expect(other.relations).toEqual([]);
    expect(other.result.metadata.annotations).toBeUndefined();

    // A change replaces the rows of the applications it touched (the provider's delta).
    index.replace(
      exportOf(
        {
          applications: [app('orders', null), app('billing', 'component:default/billing-service')],
          notificationTypes: [type('orders', 'order-created'), type('billing', 'invoice-sent')],
          subscriptions: [],
        },
        2,
      ),
      new Set(['orders', 'billing']),
    );
    expect((await processed(processor, component('orders-service'))).relations).toEqual([]);
    expect((await processed(processor, component('billing-service'))).relations).toEqual([
      `billing-service providesApi ${invoice}`,
      `${invoice} apiProvidedBy billing-service`,
    ]);
  });

  it('leaves entities alone before the first export and other kinds always', async () => {
    const current: { data?: CatalogIndex } = {};
    const processor = new BromRelationsProcessor({ latest: () => current.data });
    expect((await processed(processor, component('orders-service'))).relations).toEqual([]);
    current.data = CatalogIndex.of(
      exportOf({
        applications: [app('orders', 'api:default/orders-service')],
        notificationTypes: [type('orders', 'order-created')],
        subscriptions: [],
      }),
    );
    const api = { ...component('orders-service'), kind: 'API' };
    expect(await processed(processor, api)).toEqual({ result: api, relations: [] });
  });
});

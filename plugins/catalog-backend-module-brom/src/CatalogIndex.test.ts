import { CatalogIndex } from './CatalogIndex';
import { app, exportOf, sub, type } from './__testUtils__/exports';

describe('CatalogIndex', () => {
  const full = () =>
    CatalogIndex.of(
      exportOf(
        {
          applications: [
            app('orders', 'Component:default/Shop'),
            app('returns', 'component:default/shop'),
            app('billing', 'component:default/billing'),
            app('audit', null),
          ],
          notificationTypes: [
            type('orders', 'order-created'),
            type('orders', 'order-paid'),
          ],
          subscriptions: [
            sub('billing', 'orders', 'order-created'),
            sub('audit', 'orders', 'order-created'),
            sub('audit', 'orders', 'order-paid'),
          ],
        },
        7,
      ),
    );

  it('looks up applications by linked ref in any case, and types and subscriptions by application', () => {
    const index = full();
    expect(index.version).toBe(7);
    expect(index.linkedTo('component:default/SHOP').map(a => a.name)).toEqual([
      'orders',
      'returns',
    ]);
    expect(index.linkedTo('component:default/nothing')).toEqual([]);
    expect(index.typesOf('orders').map(t => t.name)).toEqual([
      'order-created',
      'order-paid',
    ]);
    expect(index.subscriptionsOf('audit')).toHaveLength(2);
    expect(index.subscriptionsOf('orders')).toEqual([]);
    expect(index.linkedRefs().sort()).toEqual([
      'component:default/billing',
      'component:default/shop',
    ]);
    expect(index.linkedRefsOf(['orders', 'audit', 'gone'])).toEqual([
      'component:default/shop',
    ]);
  });

  it('replaces only the touched applications: moved links, removed applications, new rows', () => {
    const index = full();
    index.replace(
      exportOf(
        {
          // orders moves to another component; billing is gone; a new application arrives.
          applications: [
            app('orders', 'component:default/orders'),
            app('fresh', null),
          ],
          notificationTypes: [type('orders', 'order-created')],
          subscriptions: [sub('fresh', 'orders', 'order-created')],
        },
        8,
      ),
      new Set(['orders', 'billing', 'fresh']),
    );

    expect(index.version).toBe(8);
    // returns still links to the shop; orders no longer does.
    expect(index.linkedTo('component:default/shop').map(a => a.name)).toEqual([
      'returns',
    ]);
    expect(index.linkedTo('component:default/orders').map(a => a.name)).toEqual(
      ['orders'],
    );
    expect(index.linkedTo('component:default/billing')).toEqual([]);
    expect(index.typesOf('orders').map(t => t.name)).toEqual(['order-created']);
    expect(index.subscriptionsOf('billing')).toEqual([]);
    expect(index.subscriptionsOf('fresh')).toHaveLength(1);
    // Untouched applications keep their rows.
    expect(index.subscriptionsOf('audit')).toHaveLength(2);
    expect(index.linkedRefsOf(['orders', 'billing'])).toEqual([
      'component:default/orders',
    ]);
  });
});

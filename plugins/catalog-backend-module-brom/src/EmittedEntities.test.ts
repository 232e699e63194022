import { EmittedEntities } from './EmittedEntities';

describe('EmittedEntities', () => {
  it('finds the refs of an application as entities are set, moved and deleted', () => {
    const emitted = new EmittedEntities();
    emitted.set('component:default/orders', {
      json: '1',
      application: 'orders',
    });
    emitted.set('api:default/orders--created', {
      json: '2',
      application: 'orders',
    });
    emitted.set('group:default/team', { json: '3', application: undefined });

    expect([...emitted.refsOf('orders')]).toEqual([
      'component:default/orders',
      'api:default/orders--created',
    ]);
    expect(emitted.get('group:default/team')?.json).toBe('3');

    // The same ref set again for another application moves it.
    emitted.set('api:default/orders--created', {
      json: '4',
      application: 'billing',
    });
    expect([...emitted.refsOf('orders')]).toEqual(['component:default/orders']);
    expect([...emitted.refsOf('billing')]).toEqual([
      'api:default/orders--created',
    ]);

    emitted.delete('component:default/orders');
    emitted.delete('component:default/never-set');
    expect([...emitted.refsOf('orders')]).toEqual([]);
    expect(emitted.get('component:default/orders')).toBeUndefined();
  });
});

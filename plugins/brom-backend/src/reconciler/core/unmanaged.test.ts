import { FakeBroker, OPTIONS, sampleInput } from '../__testUtils__/fakeBroker';
import { plan } from './plan';
import { desiredTopology } from './topology';
import { unmanagedObjects } from './unmanaged';

describe('unmanagedObjects', () => {
  const desired = desiredTopology(sampleInput(), OPTIONS);

  function converged(): FakeBroker {
    const broker = new FakeBroker();
    broker.apply(plan(desired, broker.observed, broker.managed, OPTIONS));
    return broker;
  }

  it('finds nothing in a vhost that holds only what BROM made and the built-in exchanges', () => {
    const broker = converged();
    broker.observed.exchanges.push(
      { name: '', type: 'direct', durable: true },
      { name: 'amq.topic', type: 'topic', durable: true },
    );
    broker.observed.bindings.push({
      source: '',
      destination: 'brom.billing',
      destination_type: 'queue',
      routing_key: 'brom.billing',
      properties_key: 'brom.billing',
    });
    // Operators' users and their permissions are not objects of the vhost.
    broker.observed.users.push({
      name: 'ops',
      password_hash: 'b3Bz',
      tags: ['administrator'],
    });
    broker.observed.permissions.push({
      user: 'ops',
      configure: '.*',
      write: '.*',
      read: '.*',
      topic: [],
    });
    expect(unmanagedObjects(broker.observed, desired, broker.managed)).toEqual(
      [],
    );
  });

  it('names the applications a planted binding touches', () => {
    const broker = converged();
    broker.observed.queues.push({ name: 'spy', durable: true });
    broker.observed.bindings.push(
      {
        source: 'brom.orders',
        destination: 'spy',
        destination_type: 'queue',
        routing_key: '#',
        properties_key: '%23',
      },
      {
        source: 'amq.topic',
        destination: 'brom.billing',
        destination_type: 'queue',
        routing_key: 'x',
        properties_key: 'x',
        arguments: { 'x-match': 'all' },
      },
    );
    expect(unmanagedObjects(broker.observed, desired, broker.managed)).toEqual([
      expect.objectContaining({
        key: 'queue:spy',
        kind: 'queue',
        sourceApplicationId: null,
        destinationApplicationId: null,
      }),
      {
        key: 'binding:brom.orders->queue:spy:#',
        kind: 'binding',
        name: 'brom.orders->queue:spy:#',
        sourceApplicationId: 'app-orders',
        destinationApplicationId: null,
      },
      expect.objectContaining({
        kind: 'binding-with-arguments',
        sourceApplicationId: null,
        destinationApplicationId: 'app-billing',
      }),
    ]);
  });

  it('leaves out desired objects (conflicts), and keys the caller says to ignore', () => {
    const broker = converged();
    const binding = 'binding:brom.orders->queue:brom.billing:order.*.created';
    broker.managed.delete(binding);
    broker.observed.queues.push({ name: 'just-deleted', durable: true });
    expect(
      unmanagedObjects(
        broker.observed,
        desired,
        broker.managed,
        new Set(['queue:just-deleted']),
      ),
    ).toEqual([]);
  });
});

import type {
  ApplicationStatus,
  UnmanagedObjectList,
} from '@internal/plugin-brom-common';
import { pollUntil } from '../process';
import { useRabbitVhost } from '../rabbitmq/testRabbit';
import {
  ADMIN,
  ALICE,
  BOB,
  ReconcilerBackendFixture,
  useReconcilerBackend,
} from './__utils__/bromBackend';

/*
 * What the status says about the broker beyond the reconciler's own records, against the
 * per-run RabbitMQ node: objects deleted by hand between full passes, and objects planted
 * in the managed vhost by someone else.
 */

const rabbit = useRabbitVhost();

async function orderAndBilling(env: ReconcilerBackendFixture) {
  const [created] = await env.backend.portal.createProducer('orders', [
    { name: 'order-created', pattern: 'order.*.created' },
  ]);
  await env.backend.portal.createConsumer('billing');
  await env.backend.portal.subscribe('billing', created);
  await env.backend.portal.waitUntilReady('billing');
  await env.backend.portal.waitUntilReady('orders');
}

async function statusAs(
  env: ReconcilerBackendFixture,
  who: string,
  name: string,
): Promise<ApplicationStatus> {
  const res = await env.backend.api.get(who, '/applications/{name}/status', {
    params: { name },
    expect: 200,
  });
  return res.body;
}

describe('a binding deleted by hand between full passes', () => {
  // Full passes every 5 minutes: nothing repairs the binding during the test.
  const env = useReconcilerBackend(rabbit, { resyncSeconds: 300 });

  it('reads Missing within seconds, not InSync until the next full pass', async () => {
    await orderAndBilling(env);
    const [binding] = await rabbit.management.listBindingsBetween(
      rabbit.name,
      'brom.orders',
      'brom.billing',
    );
    expect(binding).toMatchObject({ routing_key: 'order.*.created' });
    const deletedAt = Date.now();
    await rabbit.management.deleteBinding(binding);

    let last: ApplicationStatus | undefined;
    const status = await pollUntil(
      async () => {
        last = await statusAs(env, BOB, 'billing');
        return last.objects.some(o => o.condition.reason === 'Missing')
          ? last
          : undefined;
      },
      {
        timeoutMs: 30_000,
        intervalMs: 250,
        describe: () =>
          `the hand-deleted binding still reads ${JSON.stringify(
            last,
            null,
            1,
          )}`,
      },
    );
    const missing = status.objects.filter(
      o => o.condition.reason === 'Missing',
    );
    expect(missing).toEqual([
      expect.objectContaining({
        key: 'binding:brom.orders->queue:brom.billing:order.*.created',
        condition: expect.objectContaining({
          status: 'False',
          reason: 'Missing',
        }),
      }),
    ]);
    expect(status.ready).toBe(false);
    // Queue, dead-letter exchange, queue and binding, the subscription's binding: billing sets
    // no TTL or length limit, so it has no policy (decision 0028).
    expect(status.summary).toContain('4 of 5 objects ready');
    expect(Date.parse(status.observedAt!)).toBeGreaterThanOrEqual(
      deletedAt - 1_000,
    );
    // Nothing else was touched: the other objects still read ready.
    expect(
      status.objects.filter(o => o.condition.status !== 'True'),
    ).toHaveLength(1);
  });
});

describe('objects planted in the managed vhost', () => {
  const env = useReconcilerBackend(rabbit);

  it('are left alone, listed for administrators and on the status of the applications they touch', async () => {
    await orderAndBilling(env);
    // A foreign queue that quietly copies every order, and a stray exchange in the prefix.
    await rabbit.management.putQueue(rabbit.name, 'spy');
    await rabbit.management.bindQueue(rabbit.name, 'brom.orders', 'spy', {
      routing_key: '#',
    });
    await rabbit.management.putExchange(rabbit.name, 'brom.stray', {
      type: 'fanout',
    });

    let last: UnmanagedObjectList | undefined;
    const listed = await pollUntil(
      async () => {
        last = (
          await env.backend.api.get(ADMIN, '/unmanaged-objects', {
            expect: 200,
          })
        ).body;
        return last!.items.length >= 3 ? last : undefined;
      },
      {
        timeoutMs: 30_000,
        intervalMs: 250,
        describe: () =>
          `the planted objects are not listed: ${JSON.stringify(
            last,
            null,
            1,
          )}`,
      },
    );
    expect(
      listed.items.map(o => [
        o.key,
        o.sourceApplication,
        o.destinationApplication,
      ]),
    ).toEqual([
      ['binding:brom.orders->queue:spy:#', 'orders', null],
      ['exchange:brom.stray', null, null],
      ['queue:spy', null, null],
    ]);
    expect(listed.observedAt).not.toBeNull();

    // The producer's owners see the binding that copies their messages; others do not.
    const alices = await statusAs(env, ALICE, 'orders');
    expect(alices.unmanaged.map(o => o.key)).toEqual([
      'binding:brom.orders->queue:spy:#',
    ]);
    expect((await statusAs(env, BOB, 'orders')).unmanaged).toEqual([]);
    expect((await statusAs(env, BOB, 'billing')).unmanaged).toEqual([]);
    await env.backend.api.get(BOB, '/unmanaged-objects', { expect: 403 });

    // Left alone: still on the broker after further full passes.
    const before = listed.observedAt!;
    await pollUntil(
      async () => {
        const again = (
          await env.backend.api.get(ADMIN, '/unmanaged-objects', {
            expect: 200,
          })
        ).body as UnmanagedObjectList;
        return again.observedAt! > before ? again : undefined;
      },
      { timeoutMs: 30_000, describe: () => 'no further full pass' },
    );
    expect(
      await rabbit.management.listBindingsBetween(
        rabbit.name,
        'brom.orders',
        'spy',
      ),
    ).toHaveLength(1);

    // Gone from the broker, gone from the list at the next full pass.
    await rabbit.management.deleteQueue(rabbit.name, 'spy');
    await pollUntil(
      async () => {
        const now = (
          await env.backend.api.get(ADMIN, '/unmanaged-objects', {
            expect: 200,
          })
        ).body as UnmanagedObjectList;
        return now.items.map(o => o.key).join() === 'exchange:brom.stray'
          ? now
          : undefined;
      },
      {
        timeoutMs: 30_000,
        describe: () => 'the deleted spy queue is still listed',
      },
    );
  });

  it('make an approval whose binding they block say so', async () => {
    // A classic queue where billing's quorum queue should be: a conflict BROM never touches.
    await rabbit.management.putQueue(rabbit.name, 'brom.billing');
    const [created] = await env.backend.portal.createProducer('orders', [
      { name: 'order-created', pattern: 'order.*.created' },
    ]);
    await env.backend.portal.createConsumer('billing');
    const requested = await env.backend.portal.subscribe('billing', created, false);
    await pollUntil(
      async () => {
        const status = await statusAs(env, BOB, 'billing');
        return status.objects.some(
          o => o.key === 'queue:brom.billing' && o.condition.reason === 'Conflict',
        )
          ? status
          : undefined;
      },
      { timeoutMs: 30_000, describe: () => 'the conflicting queue is not reported' },
    );
    const approved = await env.backend.api.post(ALICE, '/subscriptions/{id}/approve', {
      params: { id: requested.id },
      body: { generation: requested.generation },
      expect: 200,
    });
    expect(approved.body).toMatchObject({
      state: 'approved',
      blocked: [
        {
          key: 'queue:brom.billing',
          reason: 'Conflict',
          message: expect.stringContaining('unmanaged queue'),
        },
      ],
    });
  });
});

import { useRabbitVhost } from '../rabbitmq/testRabbit';
import { pollUntil } from '../process';
import { ALICE, BOB, useReconcilerBackend } from './__utils__/bromBackend';
import {
  PREFIX,
  SHOP_SPEC,
  Shop,
  buildShop,
  lastSeq,
  waitForTopology,
} from './__utils__/scenario';
import { expectedTopology } from './__utils__/topology';

/*
 * Between full resyncs (here an hour apart, so none happens during a test after the first)
 * a change is applied by an incremental pass: it reads and writes only the objects the
 * change touched, never the whole vhost.
 */

const rabbit = useRabbitVhost();

describe('incremental passes between full resyncs', () => {
  const env = useReconcilerBackend(rabbit, { resyncSeconds: 3_600, requestTimeoutMs: 30_000 });
  let shop: Shop;

  beforeEach(async () => {
    shop = await buildShop(env.backend.portal);
    await waitForTopology(rabbit.management, rabbit.name, expectedTopology(SHOP_SPEC));
    await env.backend.portal.waitUntilReady('audit');
  });

  const vhost = () => encodeURIComponent(rabbit.name);
  const wholeListings = (from: number) =>
    env.proxy.requests.filter(
      r =>
        r.seq > from &&
        r.method === 'GET' &&
        /^\/api\/(exchanges|queues|bindings|policies)\/[^/]+$/.test(r.path) &&
        // A listing filtered by name reads only the named queues.
        !new URLSearchParams(r.query).has('name'),
    );
  const since = (from: number) => env.proxy.requests.filter(r => r.seq > from);

  it('applies an approval and a revocation with targeted reads and one write each', async () => {
    const withAudit = {
      ...SHOP_SPEC,
      bindings: [
        ...SHOP_SPEC.bindings,
        { producer: 'shipping', consumer: 'audit', routingKey: 'shipment.#' },
      ],
    };
    const pair = `/api/bindings/${vhost()}/e/${encodeURIComponent(
      `${PREFIX}shipping`,
    )}/q/${encodeURIComponent(`${PREFIX}audit`)}`;

    let from = lastSeq(env.proxy);
    const approved = await env.backend.api.post(ALICE, '/subscriptions/{id}/approve', {
      params: { id: shop.subscriptions.auditShipped.id },
      body: { generation: shop.subscriptions.auditShipped.generation },
      expect: 200,
    });
    await waitForTopology(rabbit.management, rabbit.name, expectedTopology(withAudit));
    await env.backend.portal.waitUntilReady('audit');
    expect(wholeListings(from)).toEqual([]);
    expect(since(from).filter(r => r.method !== 'GET').map(r => `${r.method} ${r.path}`)).toEqual(
      [`POST ${pair}`],
    );
    expect(
      [...new Set(since(from).filter(r => r.method === 'GET').map(r => r.path))].sort(),
    ).toEqual([pair, `/api/vhosts/${vhost()}`].sort());

    from = lastSeq(env.proxy);
    await env.backend.portal.revoke(approved.body);
    await waitForTopology(rabbit.management, rabbit.name, expectedTopology(SHOP_SPEC));
    expect(wholeListings(from)).toEqual([]);
    const writes = since(from).filter(r => r.method !== 'GET');
    expect(writes).toHaveLength(1);
    expect(writes[0].method).toBe('DELETE');
    expect(writes[0].path.startsWith(`${pair}/`)).toBe(true);
  });

  it('deletes an application incrementally, then finalizes it with one full pass', async () => {
    const from = lastSeq(env.proxy);
    await env.backend.portal.deleteApplication(BOB, 'audit');
    await waitForTopology(
      rabbit.management,
      rabbit.name,
      expectedTopology({
        ...SHOP_SPEC,
        consumers: SHOP_SPEC.consumers.filter(c => c.name !== 'audit'),
      }),
    );
    await env.backend.portal.waitUntilFinalized('audit');
    // Finalizing needs one look at the whole vhost (each listing read once or twice: the
    // observation may have started before the last deletion), not one per resync.
    const listings = wholeListings(from).map(r => r.path);
    expect(listings.filter(p => p === `/api/queues/${vhost()}`).length).toBeGreaterThanOrEqual(1);
    expect(listings.length).toBeLessThanOrEqual(8);
    for (const d of since(from).filter(r => r.method === 'DELETE')) {
      expect(decodeURIComponent(d.path)).toMatch(/brom\.audit/);
    }
  });

  it('lets a slow write finish in the background while the next change goes ahead', async () => {
    // A policy write can take tens of seconds on a broker with thousands of queues; here
    // the proxy holds the new consumer's policy (it sets a TTL, so it has one: decision
    // 0028) until the test lets it go.
    let release!: () => void;
    const released = new Promise<void>(resolve => {
      release = resolve;
    });
    const heldPath = `/api/policies/${vhost()}/${encodeURIComponent(`${PREFIX}late`)}`;
    env.proxy.setFaults(request =>
      request.method === 'PUT' && request.path === heldPath
        ? { kind: 'hold', until: released }
        : undefined,
    );
    try {
      // A consumer gets its queue group with its first subscription request.
      await env.backend.portal.createConsumer('late', { messageTtlMs: 60_000 });
      await env.backend.portal.subscribe('late', shop.types.orderCreated, false);
      await pollUntil(
        async () => (env.proxy.requests.some(r => r.path === heldPath) ? true : undefined),
        {
          timeoutMs: 30_000,
          describe: () =>
            `the policy of late was never written: ${env.proxy.requests.slice(-8).map(r => `${r.method} ${r.path}`).join(', ')}`,
        },
      );

      await env.backend.api.post(ALICE, '/subscriptions/{id}/approve', {
        params: { id: shop.subscriptions.auditShipped.id },
        body: { generation: shop.subscriptions.auditShipped.generation },
        expect: 200,
      });
      await pollUntil(
        async () =>
          (await rabbit.management.listBindings(rabbit.name)).some(
            b => b.source === `${PREFIX}shipping` && b.destination === `${PREFIX}audit`,
          )
            ? true
            : undefined,
        { timeoutMs: 30_000, describe: () => 'the approval waited for the held policy write' },
      );
      expect((await env.backend.portal.status('late')).ready).toBe(false);
    } finally {
      release();
    }
    await env.backend.portal.waitUntilReady('late');
    await env.backend.portal.waitUntilReady('audit');
  });
});

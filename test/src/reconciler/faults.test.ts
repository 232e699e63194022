import { useRabbitVhost } from '../rabbitmq/testRabbit';
import { pollUntil } from '../process';
import { BOB, useReconcilerBackend } from './__utils__/bromBackend';
import { Fault, faultsInARow } from './__utils__/ManagementProxy';
import { SHOP_SPEC, Shop, buildShop, waitForTopology } from './__utils__/scenario';
import { expectedTopology } from './__utils__/topology';

/*
 * The ADR's promise: "even if reconciliation fails 50 times in a row, we should
 * eventually reach the desired state". Fifty management API requests in a row fail,
 * across reads, puts, binding posts and deletes, in every way a request can fail.
 */

const REQUEST_TIMEOUT_MS = 400;

const rabbit = useRabbitVhost();

describe('the reconciler under injected faults', () => {
  const env = useReconcilerBackend(rabbit, {
    resyncSeconds: 1,
    backoffBaseMs: 50,
    backoffCapMs: 400,
    requestTimeoutMs: REQUEST_TIMEOUT_MS,
  });
  let shop: Shop;

  beforeEach(async () => {
    shop = await buildShop(env.backend.portal);
    await waitForTopology(rabbit.management, rabbit.name, expectedTopology(SHOP_SPEC));
  });

  it('reaches the desired state after 50 failed requests in a row', async () => {
    const faults: Fault[] = [
      { kind: 'status', status: 500 },
      { kind: 'reset' },
      { kind: 'timeout' },
      { kind: 'drop' },
      { kind: 'status', status: 503 },
    ];
    const rule = faultsInARow({ GET: 14, PUT: 14, POST: 10, DELETE: 12 }, faults);
    env.proxy.setFaults(rule);

    // One change that needs every kind of write: three new consumers (puts and binding
    // posts), a revoked subscription (a binding delete) and a deleted consumer (deletes
    // of its queue group).
    const { orderCreated, orderCancelled, shipmentSent } = shop.types;
    for (const name of ['reports', 'search', 'mailer']) {
      await env.backend.portal.createConsumer(name);
      await env.backend.portal.subscribe(name, orderCreated);
      await env.backend.portal.subscribe(name, shipmentSent);
    }
    await env.backend.portal.subscribe('search', orderCancelled);
    await env.backend.portal.revoke(shop.subscriptions.analyticsShipped);
    await env.backend.portal.deleteApplication(BOB, 'audit');
    const changedAt = Date.now();

    const desired = expectedTopology({
      ...SHOP_SPEC,
      consumers: [
        ...SHOP_SPEC.consumers.filter(c => c.name !== 'audit'),
        { name: 'reports' },
        { name: 'search' },
        { name: 'mailer' },
      ],
      bindings: [
        ...SHOP_SPEC.bindings.filter(
          b => !(b.consumer === 'analytics' && b.producer === 'shipping'),
        ),
        ...['reports', 'search', 'mailer'].flatMap(consumer => [
          { producer: 'orders', consumer, routingKey: 'order.*.created' },
          { producer: 'shipping', consumer, routingKey: 'shipment.#' },
        ]),
        { producer: 'orders', consumer: 'search', routingKey: 'order.*.cancelled' },
      ],
    });
    await waitForTopology(rabbit.management, rabbit.name, desired, 60_000);
    // Every planned fault was injected: none of them stopped convergence.
    await pollUntil(async () => (rule.remaining() === 0 ? true : undefined), {
      timeoutMs: 30_000,
      describe: () =>
        `only ${rule.injected()} of 50 faults were injected: ${JSON.stringify(
          env.proxy.requests.filter(r => r.fault).map(r => `${r.method} ${r.fault}`),
        )}`,
    });
    expect(rule.injected()).toBe(50);
    const injected = env.proxy.requests.filter(r => r.fault);
    expect(new Set(injected.map(r => r.method))).toEqual(
      new Set(['GET', 'PUT', 'POST', 'DELETE']),
    );
    expect(new Set(injected.map(r => r.fault))).toEqual(
      new Set(['status', 'reset', 'timeout', 'drop']),
    );
    expect(Date.now() - changedAt).toBeLessThan(60_000);

    // The status catches up: every object ready, and the deleted consumer's row is gone.
    for (const name of ['orders', 'shipping', 'billing', 'analytics', 'reports', 'search', 'mailer']) {
      await env.backend.portal.waitUntilReady(name);
    }
    await env.backend.portal.waitUntilFinalized('audit');
    // And the broker stays as it is.
    await waitForTopology(rabbit.management, rabbit.name, desired, 5_000);
  });
});

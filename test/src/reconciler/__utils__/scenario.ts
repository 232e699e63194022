import type { NotificationType, Subscription } from '@internal/plugin-brom-common';
import type { ManagementClient } from '@internal/rabbitmq-management';
import { pollUntil } from '../../process';
import { PortalDriver } from './bromBackend';
import { ManagementProxy } from './ManagementProxy';
import {
  TopologySnapshot,
  TopologySpec,
  describeDifference,
  readTopology,
} from './topology';

export const PREFIX = 'brom.';

/**
 * Two producers, three consumers: billing and analytics with approved subscriptions
 * (billing with a message TTL, analytics with a length limit), audit with a request that
 * nobody approved yet (its queue exists, nothing is bound to it).
 */
export async function buildShop(portal: PortalDriver) {
  const [orderCreated, orderCancelled] = await portal.createProducer('orders', [
    { name: 'order-created', pattern: 'order.*.created' },
    { name: 'order-cancelled', pattern: 'order.*.cancelled' },
  ]);
  const [shipmentSent] = await portal.createProducer('shipping', [
    { name: 'shipment-sent', pattern: 'shipment.#' },
  ]);
  await portal.createConsumer('billing', { messageTtlMs: 60_000 });
  await portal.createConsumer('analytics', { maxLength: 1_000 });
  await portal.createConsumer('audit');
  const subscriptions = {
    billingCreated: await portal.subscribe('billing', orderCreated),
    billingCancelled: await portal.subscribe('billing', orderCancelled),
    analyticsCreated: await portal.subscribe('analytics', orderCreated),
    analyticsShipped: await portal.subscribe('analytics', shipmentSent),
    auditShipped: await portal.subscribe('audit', shipmentSent, false),
  };
  return {
    types: { orderCreated, orderCancelled, shipmentSent },
    subscriptions,
  };
}

export type Shop = Awaited<ReturnType<typeof buildShop>>;

export const SHOP_SPEC: TopologySpec = {
  prefix: PREFIX,
  producers: ['orders', 'shipping'],
  consumers: [
    { name: 'billing', messageTtlMs: 60_000 },
    { name: 'analytics', maxLength: 1_000 },
    { name: 'audit' },
  ],
  bindings: [
    { producer: 'orders', consumer: 'billing', routingKey: 'order.*.created' },
    { producer: 'orders', consumer: 'billing', routingKey: 'order.*.cancelled' },
    { producer: 'orders', consumer: 'analytics', routingKey: 'order.*.created' },
    { producer: 'shipping', consumer: 'analytics', routingKey: 'shipment.#' },
  ],
};

/** Polls the broker (directly, not through the proxy) until it holds exactly `expected`. */
export async function waitForTopology(
  management: ManagementClient,
  vhost: string,
  expected: TopologySnapshot,
  withinMs = 30_000,
): Promise<TopologySnapshot> {
  let last: TopologySnapshot | undefined;
  return pollUntil(
    async () => {
      last = await readTopology(management, vhost).catch(() => undefined);
      return last && describeDifference(last, expected) === 'no difference'
        ? last
        : undefined;
    },
    {
      timeoutMs: withinMs,
      intervalMs: 100,
      describe: () =>
        `vhost ${vhost} does not hold the desired topology:\n${describeDifference(
          last,
          expected,
        )}`,
    },
  );
}

/**
 * A pass starts by reading the vhost and ends by writing; when the proxy has seen
 * `passes + 1` reads of the vhost since `from`, at least `passes` whole passes began and
 * ended in between.
 */
export async function waitForPasses(
  proxy: ManagementProxy,
  vhost: string,
  passes: number,
  options: { from?: number; withinMs?: number } = {},
): Promise<void> {
  const path = `/api/vhosts/${encodeURIComponent(vhost)}`;
  const from = options.from ?? 0;
  await pollUntil(
    async () =>
      proxy.requests.filter(
        r => r.seq > from && r.method === 'GET' && r.path === path,
      ).length > passes
        ? true
        : undefined,
    {
      timeoutMs: options.withinMs ?? 30_000,
      intervalMs: 50,
      describe: () =>
        `fewer than ${passes} reconciliation passes seen: ${JSON.stringify(
          proxy.tally(),
        )}`,
    },
  );
}

/** The sequence number of the proxy's latest request, to count from. */
export function lastSeq(proxy: ManagementProxy): number {
  return proxy.requests.at(-1)?.seq ?? 0;
}

export type { NotificationType, Subscription };

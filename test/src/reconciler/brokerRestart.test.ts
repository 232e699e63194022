import { useDedicatedRabbitNode } from '../rabbitmq/testRabbit';
import type { ManagementClient } from '@internal/rabbitmq-management';
import { pollUntil } from '../process';
import {
  ReconcilerTestBackend,
  startReconcilerBackend,
} from './__utils__/bromBackend';
import { ManagementProxy } from './__utils__/ManagementProxy';
import { SHOP_SPEC, buildShop, waitForTopology } from './__utils__/scenario';
import { expectedTopology } from './__utils__/topology';

/*
 * The broker goes away in the middle of a pass (after the first write, before the rest)
 * and comes back: the reconciler keeps retrying and ends in the desired state within 5 s
 * of the broker answering again. A node of this file's own, since the test stops it.
 */

const node = useDedicatedRabbitNode();
const VHOST = 'brom-restart';

describe('the reconciler when the broker stops mid-pass', () => {
  let proxy: ManagementProxy;
  let backend: ReconcilerTestBackend;
  let management: ManagementClient;

  beforeAll(async () => {
    management = node().managementClient();
    await management.putVhost(VHOST);
    await management.putPermissions(VHOST, node().admin.username, {
      configure: '.*',
      write: '.*',
      read: '.*',
    });
  });

  afterAll(async () => {
    await backend?.stop();
    await proxy?.close();
    await management?.close();
  });

  it('converges once the broker is back', async () => {
    proxy = await ManagementProxy.start({ target: node().managementUrl });
    // The first write stops the broker; it and every request behind it wait until the
    // broker is down, so the pass is cut off half way whatever its timing.
    let stopped: Promise<void> | undefined;
    proxy.setFaults(request => {
      if (!stopped && request.method === 'GET') return undefined;
      stopped ??= node().stopBroker();
      return { kind: 'hold', until: stopped };
    });
    backend = await startReconcilerBackend({
      managementUrl: proxy.url,
      vhost: VHOST,
      ...node().admin,
      // The production backoff (1 s, capped at 300 s): recovery must not wait for it.
      settings: { requestTimeoutMs: 20_000, backoffBaseMs: 1_000, backoffCapMs: 300_000 },
    });
    await buildShop(backend.portal);

    await pollUntil(async () => (stopped ? true : undefined), {
      timeoutMs: 30_000,
      describe: () => 'the reconciler wrote nothing',
    });
    await stopped;
    expect(node().isBrokerRunning).toBe(false);
    proxy.setFaults(undefined);

    // While the broker is down the status says so.
    await pollUntil(
      async () => {
        const status = await backend.portal.status('orders');
        return status.objects.some(
          o => o.kind === 'vhost' && o.condition.reason === 'BrokerUnavailable',
        )
          ? true
          : undefined;
      },
      { timeoutMs: 30_000, describe: () => 'the status does not show the outage' },
    );
    const writesBeforeRestart = proxy.writes().length;
    expect(writesBeforeRestart).toBeGreaterThan(0);

    // startBroker resolves once the management API answers: from then on, the broker is
    // reachable, and the topology converges within 5 s however long it was away.
    await node().startBroker();
    const reachableAt = Date.now();
    await waitForTopology(management, VHOST, expectedTopology(SHOP_SPEC), 60_000);
    expect(Date.now() - reachableAt).toBeLessThan(5_000);
    for (const name of ['orders', 'shipping', 'billing', 'analytics', 'audit']) {
      await backend.portal.waitUntilReady(name, 30_000);
    }
  });
});

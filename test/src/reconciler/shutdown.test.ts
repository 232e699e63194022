import { pollUntil } from '../process';
import { useRabbitVhost } from '../rabbitmq/testRabbit';
import {
  BOB,
  ReconcilerTestBackend,
  startReconcilerBackend,
} from './__utils__/bromBackend';
import { ManagementProxy } from './__utils__/ManagementProxy';

/*
 * A backend's management clients keep connections alive between requests (undici pools): the
 * reconciler's own, and the one every replica reads statistics and checks status through. The
 * plugin's shutdown must close both; the proxy in front of the broker counts the connections the
 * backend holds. It keeps idle connections for 60 s and tells clients so, so a connection
 * closed within the bound below was closed by the backend, not by an idle timeout.
 */

const rabbit = useRabbitVhost();

describe('stopping a reconciling backend', () => {
  let proxy: ManagementProxy | undefined;
  let backend: ReconcilerTestBackend | undefined;

  afterEach(async () => {
    await backend?.stop();
    await proxy?.close();
    backend = undefined;
    proxy = undefined;
  });

  it('closes every connection it holds to the management API', async () => {
    proxy = await ManagementProxy.start({
      target: rabbit.rabbit.managementUrl,
    });
    backend = await startReconcilerBackend({
      managementUrl: proxy.url,
      vhost: rabbit.name,
      ...rabbit.rabbit.admin,
    });
    // The reconciler declares the consumer's queue and binding; the health read goes through
    // the other client.
    const [orderCreated] = await backend.portal.createProducer('orders', [
      { name: 'order-created', pattern: 'order.*.created' },
    ]);
    await backend.portal.createConsumer('billing');
    await backend.portal.subscribe('billing', orderCreated);
    await backend.portal.waitUntilReady('billing');
    await backend.api.get(BOB, '/applications/{name}/health', {
      params: { name: 'billing' },
      expect: 200,
    });
    expect(proxy.requests.some(r => r.path.startsWith('/api/queues/'))).toBe(
      true,
    );
    expect(proxy.openConnections).toBeGreaterThan(0);

    const stopping = backend;
    backend = undefined;
    await stopping.stop();
    const open = proxy;
    await pollUntil(
      async () => (open.openConnections === 0 ? true : undefined),
      {
        timeoutMs: 15_000,
        describe: () =>
          `${open.openConnections} connections to the management API still open after the backend stopped`,
      },
    );
  });
});

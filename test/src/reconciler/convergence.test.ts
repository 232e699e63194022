import { useRabbitVhost } from '../rabbitmq/testRabbit';
import { pollUntil } from '../process';
import { BOB, useReconcilerBackend } from './__utils__/bromBackend';
import {
  PREFIX,
  SHOP_SPEC,
  buildShop,
  lastSeq,
  waitForPasses,
  waitForTopology,
} from './__utils__/scenario';
import { expectedTopology, readTopology } from './__utils__/topology';

/*
 * The reconciler of a real BROM backend (REST API, permission policy, PostgreSQL store)
 * against the per-run RabbitMQ node, through a proxy that counts its requests. Each test
 * gets a fresh vhost and a fresh database; resync runs every second.
 */

const rabbit = useRabbitVhost();

describe('the reconciler against a real broker', () => {
  const env = useReconcilerBackend(rabbit);

  beforeEach(async () => {
    await buildShop(env.backend.portal);
  });

  const expected = () => expectedTopology(SHOP_SPEC);

  it('builds the whole topology in an empty vhost and reports it ready', async () => {
    await waitForTopology(rabbit.management, rabbit.name, expected());
    for (const name of ['orders', 'shipping', 'billing', 'analytics', 'audit']) {
      const status = await env.backend.portal.waitUntilReady(name);
      expect(status.objects.every(o => o.condition.status === 'True')).toBe(true);
    }
    // The queues are quorum queues whose arguments are the type and the dead-letter
    // exchange (decision 0028); the TTL and length limit come from a policy of the
    // consumer's own, which only consumers that set one have, and the broker applies it (it
    // reports that with its statistics, a little later).
    const policyOf = async (queue: string) =>
      (await rabbit.management.getQueue(rabbit.name, `${PREFIX}${queue}`)) as {
        type?: string;
        arguments: Record<string, unknown>;
        policy?: string | null;
      };
    for (const queue of ['billing', 'analytics']) {
      const found = await pollUntil(
        async () => {
          const q = await policyOf(queue);
          return q.policy ? q : undefined;
        },
        { timeoutMs: 15_000, describe: () => `no policy applies to ${queue}` },
      );
      expect(found).toMatchObject({
        type: 'quorum',
        arguments: {
          'x-queue-type': 'quorum',
          'x-dead-letter-exchange': `${PREFIX}${queue}.dlx`,
        },
        policy: `${PREFIX}${queue}`,
      });
    }
    const audit = await policyOf('audit');
    expect(audit.arguments).toEqual({
      'x-queue-type': 'quorum',
      'x-dead-letter-exchange': `${PREFIX}audit.dlx`,
    });
    expect(
      (await rabbit.management.listPolicies(rabbit.name)).map(p => p.name),
    ).not.toContain(`${PREFIX}audit`);
    // A dead-letter queue is under the shared bound, not its consumer's policy: the
    // patterns are anchored.
    const deadLetters = await pollUntil(
      async () => {
        const q = await policyOf('billing.dlq');
        return q.policy ? q : undefined;
      },
      { timeoutMs: 15_000, describe: () => 'no policy applies to billing.dlq' },
    );
    expect(deadLetters.policy).toBe(`${PREFIX}_dead-letters`);
  });

  it('makes no writes once the broker matches', async () => {
    await waitForTopology(rabbit.management, rabbit.name, expected());
    await env.backend.portal.waitUntilReady('analytics');
    const from = lastSeq(env.proxy);
    await waitForPasses(env.proxy, rabbit.name, 2, { from });
    const since = env.proxy.requests.filter(r => r.seq > from);
    expect(since.filter(r => r.method !== 'GET')).toEqual([]);
    // An idle pass reads the vhost, its exchanges, queues, bindings, policies and shovel
    // parameters (shovel statuses only when there are shovels), the broker's users (each live
    // credential has one in both authorisation modes), and the vhost's permissions and topic
    // permissions (so that switching back from the native mode removes them).
    const vhost = encodeURIComponent(rabbit.name);
    expect(
      [...new Set(since.map(r => `${r.method} ${r.path}`))].sort(),
    ).toEqual(
      [
        `GET /api/bindings/${vhost}`,
        `GET /api/exchanges/${vhost}`,
        `GET /api/policies/${vhost}`,
        `GET /api/parameters/shovel/${vhost}`,
        `GET /api/queues/${vhost}`,
        `GET /api/vhosts/${vhost}`,
        `GET /api/users`,
        `GET /api/vhosts/${vhost}/permissions`,
        `GET /api/vhosts/${vhost}/topic-permissions`,
      ].sort(),
    );
  });

  it('gives a credential a passwordless broker user without permissions in the live mode, and deletes it once revoked', async () => {
    await waitForTopology(rabbit.management, rabbit.name, expected());
    const from = lastSeq(env.proxy);
    const credential = await env.backend.portal.createCredential(
      BOB,
      'billing',
    );
    const user = await pollUntil(
      async () =>
        (
          await rabbit.management.listUsers()
        ).find(u => u.name === credential.username),
      {
        timeoutMs: 15_000,
        describe: () => `no broker user ${credential.username}`,
      },
    );
    expect(user.password_hash ?? '').toBe('');
    expect([user.tags].flat().filter(Boolean)).toEqual([]);
    await expect(
      rabbit.management.getPermissions(rabbit.name, credential.username),
    ).rejects.toMatchObject({ status: 404 });
    // One object more per credential: its user, and nothing else was written for it.
    const writes = env.proxy.requests.filter(
      r => r.seq > from && r.method !== 'GET',
    );
    expect(writes.map(r => `${r.method} ${r.path}`)).toEqual([
      `PUT /api/users/${encodeURIComponent(credential.username)}`,
    ]);

    await env.backend.portal.revokeCredential(BOB, 'billing', credential.id);
    await pollUntil(
      async () =>
        (
          await rabbit.management.listUsers()
        ).some(u => u.name === credential.username)
          ? undefined
          : true,
      {
        timeoutMs: 15_000,
        describe: () => `the broker user ${credential.username} is still there`,
      },
    );
  });

  it('puts back a queue and a binding deleted by hand within one resync', async () => {
    await waitForTopology(rabbit.management, rabbit.name, expected());
    const binding = (await rabbit.management.listBindings(rabbit.name)).find(
      b =>
        b.source === `${PREFIX}shipping` && b.destination === `${PREFIX}analytics`,
    )!;
    expect(binding).toBeDefined();

    const from = lastSeq(env.proxy);
    await rabbit.management.deleteQueue(rabbit.name, `${PREFIX}billing`);
    await rabbit.management.deleteBinding(binding);
    const damaged = await readTopology(rabbit.management, rabbit.name);
    expect(damaged.queues.map(q => q.name)).not.toContain(`${PREFIX}billing`);

    await waitForTopology(rabbit.management, rabbit.name, expected());
    // A pass may have read the broker just before the damage; the next one repairs it.
    const vhostReads = env.proxy.requests.filter(
      r =>
        r.seq > from &&
        r.method === 'GET' &&
        r.path === `/api/vhosts/${encodeURIComponent(rabbit.name)}`,
    );
    expect(vhostReads.length).toBeLessThanOrEqual(2);
    await env.backend.portal.waitUntilReady('billing');
  });

  it('leaves unmanaged objects alone, even inside its prefix', async () => {
    await waitForTopology(rabbit.management, rabbit.name, expected());
    const m = rabbit.management;
    const vhost = rabbit.name;
    const planted = `${PREFIX}planted`;
    await m.putExchange(vhost, planted, { type: 'direct', durable: true });
    await m.putQueue(vhost, planted, { durable: true });
    await m.bindQueue(vhost, planted, planted, { routing_key: 'planted' });
    await m.putPolicy(vhost, planted, {
      pattern: `^${PREFIX.replace('.', '\\.')}planted$`,
      'apply-to': 'queues',
      priority: 5,
      definition: { 'message-ttl': 1_000 },
    });
    // Into the managed exchange: ours is the exchange, not the binding.
    await m.bindQueue(vhost, `${PREFIX}orders`, planted, { routing_key: 'order.#' });
    // A queue a client declared with a name our consumers would have.
    await m.putQueue(vhost, `${PREFIX}billing.extra`, { durable: true });
    const before = await readTopology(m, vhost);

    const from = lastSeq(env.proxy);
    await waitForPasses(env.proxy, vhost, 3, { from });
    expect(env.proxy.requests.filter(r => r.seq > from && r.method !== 'GET')).toEqual([]);
    expect(await readTopology(m, vhost)).toEqual(before);
    expect(await m.getPolicy(vhost, planted)).toMatchObject({
      definition: { 'message-ttl': 1_000 },
      priority: 5,
    });
  });

  it('removes exactly the objects of a deleted application, then its row', async () => {
    await waitForTopology(rabbit.management, rabbit.name, expected());
    const m = rabbit.management;
    // Something unmanaged bound into the deleted consumer's neighbourhood stays.
    await m.putQueue(rabbit.name, `${PREFIX}planted`, { durable: true });
    await m.bindQueue(rabbit.name, `${PREFIX}orders`, `${PREFIX}planted`, {
      routing_key: 'order.#',
    });
    const from = lastSeq(env.proxy);

    await env.backend.portal.deleteApplication(BOB, 'billing');

    const remaining = expectedTopology({
      ...SHOP_SPEC,
      consumers: SHOP_SPEC.consumers.filter(c => c.name !== 'billing'),
      bindings: SHOP_SPEC.bindings.filter(b => b.consumer !== 'billing'),
    });
    remaining.queues.push({
      name: `${PREFIX}planted`,
      type: 'classic',
      durable: true,
      auto_delete: false,
      exclusive: false,
      arguments: {},
    });
    remaining.bindings.push({
      source: `${PREFIX}orders`,
      destination: `${PREFIX}planted`,
      destination_type: 'queue',
      routing_key: 'order.#',
      arguments: {},
    });
    await waitForTopology(m, rabbit.name, remaining);

    // The row goes once the broker objects are gone: the API no longer knows it.
    await env.backend.portal.waitUntilFinalized('billing');
    // Every delete named one of billing's objects; nothing was deleted twice.
    const deletes = env.proxy.requests.filter(r => r.seq > from && r.method === 'DELETE');
    expect(deletes.length).toBeGreaterThan(0);
    for (const d of deletes) {
      expect(decodeURIComponent(d.path)).toMatch(/brom\.billing/);
    }
    // The other applications stay ready.
    await env.backend.portal.waitUntilReady('analytics');
  });
});

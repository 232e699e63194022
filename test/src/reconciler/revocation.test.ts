import amqplib from 'amqplib';
import { useRabbitVhost } from '../rabbitmq/testRabbit';
import { pollUntil } from '../process';
import { BOB, useReconcilerBackend } from './__utils__/bromBackend';
import { PREFIX, waitForTopology } from './__utils__/scenario';
import { expectedTopology } from './__utils__/topology';

/*
 * Revoking a subscription removes its binding: nothing more of that type arrives, but the
 * consumer still reads its queue (which serves all its subscriptions), so its connection
 * stays open. Revoking its credential must stop it although it is already connected: the
 * reconciler closes that user's connections through the management API. The consumer here logs in as an internal broker user named exactly like its BROM
 * credential (the sidecar's own tests cover logging in through the sidecar); the
 * reconciler closes connections by that username.
 */

const rabbit = useRabbitVhost();

/**
 * Logs in as the consumer `billing` with an internal password user named like the credential
 * (standing in for the sidecar's login), allowed to read its queue; records when and why the
 * connection closes. `users` collects the user for the afterEach that deletes it.
 */
async function connectAsBilling(username: string, users: string[]) {
  const password = 'consumer-test-password';
  await rabbit.management.putUser(username, { password, tags: '' });
  users.push(username);
  await rabbit.management.putPermissions(rabbit.name, username, {
    configure: '^$',
    write: '^$',
    read: `^${PREFIX.replace('.', '\\.')}billing$`,
  });
  const connection = await amqplib.connect(rabbit.amqpUrl(username, password));
  const closed: { at?: number; error?: unknown } = {};
  connection.on('error', error => {
    closed.error = error;
  });
  connection.on('close', (error?: Error) => {
    closed.at = Date.now();
    closed.error ??= error;
  });
  return { connection, closed };
}

describe('revoking access', () => {
  const env = useReconcilerBackend(rabbit);
  const users: string[] = [];

  afterEach(async () => {
    for (const user of users.splice(0)) {
      await rabbit.management.deleteUser(user, { ignoreNotFound: true });
    }
  });

  it('keeps the consumer connected when a subscription is revoked, and closes its live AMQP connection when its credential is', async () => {
    const { portal } = env.backend;
    const [orderCreated] = await portal.createProducer('orders', [
      { name: 'order-created', pattern: 'order.*.created' },
    ]);
    await portal.createConsumer('billing');
    const subscription = await portal.subscribe('billing', orderCreated);
    // This node authenticates with internal passwords only (no sidecar): the test stands in
    // for the sidecar with a password user of the credential's name, so the reconciler's own
    // (passwordless) user must not be written first. Refused, it stays the test's user (a
    // conflict the reconciler never touches) and its connections are still closed on
    // revocation.
    env.proxy.setFaults(({ method, path }) =>
      method === 'PUT' && path.startsWith('/api/users/')
        ? { kind: 'status', status: 503 }
        : undefined,
    );
    const credential = await portal.createCredential(BOB, 'billing');
    await waitForTopology(
      rabbit.management,
      rabbit.name,
      expectedTopology({
        prefix: PREFIX,
        producers: ['orders'],
        consumers: [{ name: 'billing' }],
        bindings: [
          {
            producer: 'orders',
            consumer: 'billing',
            routingKey: 'order.*.created',
          },
        ],
      }),
    );

    const { connection, closed } = await connectAsBilling(credential.username, users);
    try {
      const channel = await connection.createChannel();
      channel.on('error', () => undefined);
      const received: string[] = [];
      await channel.consume(`${PREFIX}billing`, message => {
        if (message) {
          received.push(message.fields.routingKey);
          channel.ack(message);
        }
      });
      // It receives what the producer publishes while the subscription holds.
      const publisher = await amqplib.connect(rabbit.amqpUrl());
      try {
        const pub = await publisher.createConfirmChannel();
        pub.publish(`${PREFIX}orders`, 'order.17.created', Buffer.from('{}'));
        await pub.waitForConfirms();
      } finally {
        await publisher.close();
      }
      await pollUntil(async () => (received.length === 1 ? true : undefined), {
        timeoutMs: 10_000,
        describe: () => 'the consumer received nothing',
      });

      await portal.revoke(subscription);
      // The binding goes; the queue stays with whatever it still holds.
      await waitForTopology(
        rabbit.management,
        rabbit.name,
        expectedTopology({
          prefix: PREFIX,
          producers: ['orders'],
          consumers: [{ name: 'billing' }],
          bindings: [],
        }),
      );
      // Two more full passes (1 s resync; each lists the vhost's bindings) ran: still connected.
      const fullListing = new RegExp(
        `^/api/bindings/${encodeURIComponent(rabbit.name)}(\\?.*)?$`,
      );
      const listed = env.proxy.count('GET', fullListing);
      await pollUntil(
        async () =>
          env.proxy.count('GET', fullListing) >= listed + 2 ? true : undefined,
        {
          timeoutMs: 10_000,
          describe: () => 'the reconciler ran no further full pass',
        },
      );
      expect(closed.at).toBeUndefined();
      expect(
        env.proxy.requests.some(r => r.path.startsWith('/api/connections/')),
      ).toBe(false);

      const revokedAt = Date.now();
      await portal.revokeCredential(BOB, 'billing', credential.id);
      await pollUntil(async () => (closed.at !== undefined ? true : undefined), {
        timeoutMs: 30_000,
        describe: () => "the consumer's connection is still open",
      });
      // Closed by the broker on BROM's request, with BROM's reason.
      expect(String((closed.error as Error | undefined)?.message)).toMatch(
        /BROM/,
      );
      expect(closed.at! - revokedAt).toBeLessThan(30_000);
      expect(
        env.proxy.requests.some(
          r => r.method === 'DELETE' && r.path.startsWith('/api/connections/'),
        ),
      ).toBe(true);
    } finally {
      if (closed.at === undefined)
        await connection.close().catch(() => undefined);
    }
  });
});

describe('an expiring credential', () => {
  // No full resync within the test: only incremental passes, the one due at the expiry among them.
  const env = useReconcilerBackend(rabbit, { resyncSeconds: 3600 });
  const users: string[] = [];

  afterEach(async () => {
    for (const user of users.splice(0)) {
      await rabbit.management.deleteUser(user, { ignoreNotFound: true });
    }
  });

  it('has its live connection closed when it expires, with nothing in the change log', async () => {
    const { portal } = env.backend;
    await portal.createProducer('orders', [
      { name: 'order-created', pattern: 'order.*.created' },
    ]);
    await portal.createConsumer('billing');
    // As above: the test's password user stands in for the sidecar's login.
    env.proxy.setFaults(({ method, path }) =>
      method === 'PUT' && path.startsWith('/api/users/')
        ? { kind: 'status', status: 503 }
        : undefined,
    );
    const expiresAt = Date.now() + 8_000;
    const credential = (
      await portal.api.post(BOB, '/applications/{name}/credentials', {
        params: { name: 'billing' },
        body: { expiresAt: new Date(expiresAt).toISOString() },
        expect: 201,
      })
    ).body.credential;
    const fullListing = new RegExp(
      `^/api/bindings/${encodeURIComponent(rabbit.name)}(\\?.*)?$`,
    );

    const { connection, closed } = await connectAsBilling(credential.username, users);
    try {
      const listed = env.proxy.count('GET', fullListing);
      await pollUntil(async () => (closed.at !== undefined ? true : undefined), {
        timeoutMs: 40_000,
        describe: () => "the expired credential's connection is still open",
      });
      expect(closed.at!).toBeGreaterThanOrEqual(expiresAt);
      expect(String((closed.error as Error | undefined)?.message)).toMatch(
        /BROM/,
      );
      // An incremental pass closed it: no full pass ran meanwhile.
      expect(env.proxy.count('GET', fullListing)).toBe(listed);
    } finally {
      if (closed.at === undefined)
        await connection.close().catch(() => undefined);
    }
  });
});

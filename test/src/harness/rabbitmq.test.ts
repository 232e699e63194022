import { connect } from 'amqplib';
import {
  ManagementApiError,
  isNotFoundError,
} from '@internal/rabbitmq-management';
import { pollUntil } from '../process';
import { useRabbitVhost } from '../rabbitmq/testRabbit';

describe('the per-run RabbitMQ node', () => {
  const vhost = useRabbitVhost();

  it('routes a published message through a topic exchange to a quorum queue', async () => {
    const { management } = vhost;
    await management.putExchange(vhost.name, 'brom.shop', { type: 'topic' });
    await management.putQueue(vhost.name, 'brom.billing', {
      arguments: { 'x-queue-type': 'quorum' },
    });
    const propertiesKey = await management.bindQueue(
      vhost.name,
      'brom.shop',
      'brom.billing',
      { routing_key: 'order.*.created' },
    );

    const exchange = await management.getExchange(vhost.name, 'brom.shop');
    expect(exchange).toMatchObject({
      type: 'topic',
      durable: true,
      auto_delete: false,
    });
    const queue = await management.getQueue(vhost.name, 'brom.billing');
    expect(queue).toMatchObject({ type: 'quorum', durable: true });
    expect(await management.listBindings(vhost.name)).toContainEqual(
      expect.objectContaining({
        source: 'brom.shop',
        destination: 'brom.billing',
        destination_type: 'queue',
        routing_key: 'order.*.created',
        properties_key: propertiesKey,
      }),
    );

    const connection = await connect(vhost.amqpUrl());
    try {
      const channel = await connection.createConfirmChannel();
      channel.publish(
        'brom.shop',
        'order.42.created',
        Buffer.from(JSON.stringify({ orderId: 42 })),
        { contentType: 'application/json', persistent: true },
      );
      // Not routed: the key does not match the binding's pattern.
      channel.publish('brom.shop', 'order.42.deleted', Buffer.from('{}'));
      await channel.waitForConfirms();

      // The statistics database reports counts with a delay.
      const counted = await pollUntil(
        async () => {
          const q = await management.getQueue(vhost.name, 'brom.billing');
          return q.messages === 1 ? q : undefined;
        },
        {
          timeoutMs: 30_000,
          describe: () => 'queue brom.billing to count 1 message',
        },
      );
      expect(counted.messages_ready).toBe(1);

      const message = await channel.get('brom.billing', { noAck: false });
      if (message === false) {
        throw new Error('brom.billing counted a message but gave none');
      }
      expect(message.fields.routingKey).toBe('order.42.created');
      expect(JSON.parse(message.content.toString('utf8'))).toEqual({
        orderId: 42,
      });
      channel.ack(message);
      expect(await channel.get('brom.billing')).toBe(false);
      await channel.close();
    } finally {
      await connection.close();
    }
  });

  it('lists, deletes and reports missing objects as 404', async () => {
    const { management } = vhost;
    await management.putExchange(vhost.name, 'brom.shop', { type: 'topic' });
    await management.putExchange(vhost.name, 'brom.shop.audit', {
      type: 'fanout',
    });
    await management.putQueue(vhost.name, 'brom.billing', {
      arguments: { 'x-queue-type': 'quorum' },
    });
    await management.bindQueue(vhost.name, 'brom.shop', 'brom.billing', {
      routing_key: 'order.#',
    });
    await management.bindExchange(vhost.name, 'brom.shop', 'brom.shop.audit', {
      routing_key: '#',
    });

    const exchanges = await management.listExchanges(vhost.name);
    expect(exchanges.map(e => e.name)).toEqual(
      expect.arrayContaining(['brom.shop', 'brom.shop.audit', 'amq.topic', '']),
    );
    const queues = await management.listQueues(vhost.name, {
      disableStats: true,
    });
    expect(queues.map(q => q.name)).toEqual(['brom.billing']);

    const ours = (await management.listBindings(vhost.name)).filter(
      b => b.source === 'brom.shop',
    );
    expect(ours).toHaveLength(2);
    for (const binding of ours) {
      await expect(management.deleteBinding(binding)).resolves.toBe(true);
    }
    expect(
      (await management.listBindings(vhost.name)).filter(
        b => b.source === 'brom.shop',
      ),
    ).toEqual([]);
    await expect(
      management.deleteBinding(ours[0], { ignoreNotFound: true }),
    ).resolves.toBe(false);

    await expect(
      management.deleteQueue(vhost.name, 'brom.billing'),
    ).resolves.toBe(true);
    await expect(
      management.deleteQueue(vhost.name, 'brom.billing', {
        ignoreNotFound: true,
      }),
    ).resolves.toBe(false);
    await expect(
      management.deleteExchange(vhost.name, 'brom.shop'),
    ).resolves.toBe(true);

    const missing = await management
      .getQueue(vhost.name, 'brom.billing')
      .catch(e => e);
    expect(missing).toBeInstanceOf(ManagementApiError);
    expect(isNotFoundError(missing)).toBe(true);
    expect(missing.message).toContain(
      `GET /api/queues/${encodeURIComponent(
        vhost.name,
      )}/brom.billing answered 404`,
    );
    await expect(
      management.deleteExchange(vhost.name, 'brom.shop'),
    ).rejects.toThrow(/answered 404/);
  });

  it('refuses to redeclare a queue with other arguments', async () => {
    const { management } = vhost;
    await management.putQueue(vhost.name, 'brom.billing', {
      arguments: { 'x-queue-type': 'quorum' },
    });

    const error = await management
      .putQueue(vhost.name, 'brom.billing', {
        arguments: { 'x-queue-type': 'classic' },
      })
      .catch(e => e);

    expect(error).toBeInstanceOf(ManagementApiError);
    expect(error.status).toBe(400);
    expect(error.reason).toMatch(/inequivalent arg 'x-queue-type'/);
  });

  it('handles names that need encoding: the default vhost and slashes', async () => {
    const { management } = vhost;
    const odd = `${vhost.name}/with space.and.dots`;
    await management.putVhost(odd);
    try {
      await management.putQueue(odd, 'a/b c.d', { durable: false });
      expect((await management.getQueue(odd, 'a/b c.d')).vhost).toBe(odd);
      await management.putPolicy(odd, 'brom.dlx', {
        pattern: '^a/',
        definition: { 'max-length': 10 },
        'apply-to': 'queues',
      });
      expect(await management.getPolicy(odd, 'brom.dlx')).toMatchObject({
        pattern: '^a/',
        definition: { 'max-length': 10 },
        'apply-to': 'queues',
        priority: 0,
      });
      expect((await management.listPolicies(odd)).map(p => p.name)).toEqual([
        'brom.dlx',
      ]);
      await expect(management.deletePolicy(odd, 'brom.dlx')).resolves.toBe(
        true,
      );
    } finally {
      await management.deleteVhost(odd);
    }
    // The default vhost exists on every node; reading it exercises `%2F`.
    expect((await management.getVhost('/')).name).toBe('/');
  });

  it('manages users, permissions and their connections', async () => {
    const { management } = vhost;
    const username = `${vhost.name}-app`;
    await management.putUser(username, { password: 'app-secret' });
    try {
      await management.putPermissions(vhost.name, username, {
        configure: '',
        write: '^brom\\.shop$',
        read: '',
      });
      await management.putTopicPermissions(vhost.name, username, {
        exchange: 'brom.shop',
        write: '^order\\.',
        read: '',
      });
      expect(
        await management.getPermissions(vhost.name, username),
      ).toMatchObject({
        write: '^brom\\.shop$',
      });
      expect(
        await management.listTopicPermissions(vhost.name, username),
      ).toEqual([
        expect.objectContaining({ exchange: 'brom.shop', write: '^order\\.' }),
      ]);

      const connection = await connect(vhost.amqpUrl(username, 'app-secret'));
      const closed = new Promise<Error | undefined>(resolve =>
        connection.once('close', resolve),
      );
      connection.on('error', () => undefined);
      await pollUntil(
        async () =>
          (await management.listUserConnections(username)).length === 1
            ? true
            : undefined,
        {
          timeoutMs: 30_000,
          describe: () => `a connection of ${username} to be listed`,
        },
      );

      await management.closeUserConnections(username, 'credential revoked');

      const reason = await closed;
      expect(String(reason)).toContain('credential revoked');

      await expect(
        management.deleteTopicPermissions(vhost.name, username),
      ).resolves.toBe(true);
      await expect(
        management.deletePermissions(vhost.name, username),
      ).resolves.toBe(true);
    } finally {
      await management.deleteUser(username, { ignoreNotFound: true });
    }
    await expect(management.getUser(username)).rejects.toThrow(/answered 404/);
  });

  it('exports and imports the definitions of a vhost', async () => {
    const { management } = vhost;
    await management.putExchange(vhost.name, 'brom.shop', { type: 'topic' });

    const exported = await management.getDefinitions(vhost.name);
    expect(exported.exchanges).toEqual([
      expect.objectContaining({ name: 'brom.shop', type: 'topic' }),
    ]);

    await management.postDefinitions(
      {
        queues: [
          {
            name: 'brom.imported',
            durable: true,
            auto_delete: false,
            arguments: {},
          },
        ],
      },
      vhost.name,
    );
    expect((await management.getQueue(vhost.name, 'brom.imported')).name).toBe(
      'brom.imported',
    );
  });
});

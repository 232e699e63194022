import amqp from 'amqplib';
import { ManagementClient } from '@internal/rabbitmq-management';
import { findFreePorts, pollUntil } from '../process';
import { RabbitCluster } from '../rabbitmq/RabbitCluster';

/*
 * The three-node cluster of the harness, and the management client's failover against it:
 * a stopped node is skipped, quorum queues keep their messages on the other two.
 */

const VHOST = 'brom';

describe('a three-node RabbitMQ cluster', () => {
  let authPorts: number[];
  let rabbit: RabbitCluster | undefined;
  let management: ManagementClient;
  const cluster = () => rabbit!;

  beforeAll(async () => {
    authPorts = await findFreePorts(3);
    rabbit = await RabbitCluster.start({
      nodes: authPorts.map(authPort => ({ authPort, authRequestTimeoutMs: 2_000 })),
    });
    management = rabbit.managementClient();
  }, 300_000);

  afterAll(async () => {
    await management?.close();
    await rabbit?.stop();
  }, 120_000);

  it('joins every node, each asking its own auth port', async () => {
    const nodes = cluster().nodes;
    const status = JSON.parse(
      await nodes[2].rabbitmqctl(['cluster_status', '--formatter', 'json']),
    );
    expect([...status.running_nodes].sort()).toEqual(nodes.map(n => n.nodeName).sort());
    for (const [i, node] of nodes.entries()) {
      expect(node.ports.auth).toBe(authPorts[i]);
      const userPath = await node.rabbitmqctl([
        'eval',
        'application:get_env(rabbitmq_auth_backend_http, user_path).',
      ]);
      expect(userPath).toContain(`"http://127.0.0.1:${authPorts[i]}/auth/user"`);
    }
    expect(new Set(nodes.map(n => n.ports.amqp)).size).toBe(3);
    expect(new Set(nodes.map(n => n.dataDir)).size).toBe(3);
  });

  it('replicates a quorum queue on every node and keeps serving when one node stops', async () => {
    const nodes = cluster().nodes;
    await management.putVhost(VHOST);
    await management.putPermissions(VHOST, cluster().admin.username, {
      configure: '.*',
      write: '.*',
      read: '.*',
    });
    await management.putQueue(VHOST, 'brom.billing', {
      arguments: { 'x-queue-type': 'quorum' },
    });
    const queue = await management.getQueue(VHOST, 'brom.billing');
    expect(queue.type).toBe('quorum');
    expect([...(queue.members ?? [])].sort()).toEqual(nodes.map(n => n.nodeName).sort());

    const sent = Array.from({ length: 50 }, (_, i) => `message-${i}`);
    const publisher = await amqp.connect(nodes[0].amqpUrl(VHOST));
    const channel = await publisher.createConfirmChannel();
    for (const body of sent) {
      channel.sendToQueue('brom.billing', Buffer.from(body), { persistent: true });
    }
    await channel.waitForConfirms();
    await publisher.close();

    // The client's current node goes away: the next request moves on by itself.
    await nodes[0].stopBroker();
    await management.putQueue(VHOST, 'brom.shipping', {
      arguments: { 'x-queue-type': 'quorum' },
    });
    const afterStop = await pollUntil(
      async () => {
        const q = await management.getQueue(VHOST, 'brom.billing');
        return q.online?.length === 2 ? q : undefined;
      },
      { timeoutMs: 30_000, describe: () => 'the stopped node to leave the online members' },
    );
    expect(afterStop.online).not.toContain(nodes[0].nodeName);

    const consumer = await amqp.connect(nodes[2].amqpUrl(VHOST));
    const received: string[] = [];
    const consuming = await consumer.createChannel();
    for (;;) {
      const message = await consuming.get('brom.billing', { noAck: true });
      if (message === false) break;
      received.push(message.content.toString());
    }
    await consumer.close();
    expect(received).toEqual(sent);

    await nodes[0].startBroker();
    await pollUntil(
      async () => {
        const q = await management.getQueue(VHOST, 'brom.shipping');
        return q.online?.length === 3 ? q : undefined;
      },
      { timeoutMs: 60_000, describe: () => 'the restarted node to rejoin the queue' },
    );
  });
});

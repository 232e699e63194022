import { randomBytes } from 'node:crypto';
import { ManagementClient } from '@internal/rabbitmq-management';
import { Credentials } from './RabbitEndpoint';
import {
  RabbitNode,
  RabbitNodeOptions,
  randomErlangCookie,
} from './RabbitNode';

export interface RabbitClusterOptions {
  /**
   * One entry per node, e.g. each node's `authPort` for its own sidecar. The
   * cluster's cookie, epmd and administrator are set by the cluster. Default:
   * three nodes with default options.
   */
  nodes?: Array<
    Omit<RabbitNodeOptions, 'erlangCookie' | 'epmdPort' | 'admin'>
  >;
}

/**
 * Private RabbitMQ nodes on loopback joined into one cluster: each has its own
 * name, ports, data directory and HOME, and they share an Erlang cookie and the
 * first node's epmd (where they find each other's distribution ports). Nodes
 * are stopped and started one at a time with {@link RabbitNode.stopBroker} and
 * {@link RabbitNode.startBroker}; a restarted node rejoins on its own.
 */
export class RabbitCluster {
  readonly nodes: readonly RabbitNode[];

  static async start(options: RabbitClusterOptions = {}): Promise<RabbitCluster> {
    const nodeOptions = options.nodes ?? [{}, {}, {}];
    if (nodeOptions.length === 0) {
      throw new Error('A RabbitMQ cluster needs at least one node');
    }
    const shared = {
      erlangCookie: randomErlangCookie(),
      admin: {
        username: 'brom-test-admin',
        password: randomBytes(18).toString('base64url'),
      },
    };
    const seed = await RabbitNode.start({ ...nodeOptions[0], ...shared });
    const nodes: RabbitNode[] = [seed];
    try {
      // The others boot side by side, then join one at a time: joins to the
      // same seed at once would contend for its schema lock.
      const results = await Promise.allSettled(
        nodeOptions.slice(1).map(own =>
          RabbitNode.start({ ...own, ...shared, epmdPort: seed.ports.epmd }),
        ),
      );
      for (const result of results) {
        if (result.status === 'fulfilled') nodes.push(result.value);
      }
      const failed = results.find(r => r.status === 'rejected');
      if (failed) throw (failed as PromiseRejectedResult).reason;
      for (const node of nodes.slice(1)) {
        await node.joinCluster(seed);
      }
    } catch (error) {
      await stopAll(nodes);
      throw error;
    }
    return new RabbitCluster(nodes);
  }

  private constructor(nodes: RabbitNode[]) {
    this.nodes = nodes;
  }

  get admin(): Credentials {
    return this.nodes[0].admin;
  }

  /** Every node's management URL, in node order. */
  get managementUrls(): string[] {
    return this.nodes.map(node => node.managementUrl);
  }

  /** Every node's AMQP URL for `vhost`, in node order; the administrator unless credentials are given. */
  amqpUrls(vhost = '/', username?: string, password?: string): string[] {
    return this.nodes.map(node => node.amqpUrl(vhost, username, password));
  }

  /** A client that fails over between the nodes, as the administrator by default. The caller closes it. */
  managementClient(credentials: Credentials = this.admin): ManagementClient {
    return ManagementClient.create({
      baseUrl: this.managementUrls,
      username: credentials.username,
      password: credentials.password,
      connections: 2,
      connectTimeoutMs: 2_000,
      headersTimeoutMs: 30_000,
    });
  }

  /** Stops every node and removes their directories. */
  async stop(): Promise<void> {
    await stopAll(this.nodes);
  }
}

// The brokers first, all at once; then the nodes' epmd and directories, the
// seed's epmd last, as the others' CLI and shutdown may still look it up.
async function stopAll(nodes: readonly RabbitNode[]): Promise<void> {
  await Promise.all(nodes.map(node => node.stopBroker()));
  await Promise.all(nodes.slice(1).map(node => node.stop()));
  await nodes[0]?.stop();
}

/** Starts a cluster for tests; see {@link RabbitCluster}. */
export function startRabbitCluster(
  options?: RabbitClusterOptions,
): Promise<RabbitCluster> {
  return RabbitCluster.start(options);
}

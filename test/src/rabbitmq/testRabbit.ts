import { randomBytes } from 'node:crypto';
import type { ManagementClient } from '@internal/rabbitmq-management';
import { RabbitCluster, RabbitClusterOptions } from './RabbitCluster';
import { RabbitEndpoint, RabbitNodeInfo } from './RabbitEndpoint';
import { RabbitNode, RabbitNodeOptions } from './RabbitNode';

/** The variable through which the Jest global setup hands the per-run node to the test workers. */
export const RABBITMQ_ENV = 'BROM_TEST_RABBITMQ';

/**
 * The RabbitMQ node shared by every test of this run (started by the Jest
 * global setup). Shared: create what you need in a vhost of your own
 * ({@link useRabbitVhost}), and start a dedicated node
 * ({@link useDedicatedRabbitNode}) to stop the broker or to run a sidecar on
 * its auth port.
 */
export function getTestRabbit(): RabbitEndpoint {
  const raw = process.env[RABBITMQ_ENV];
  if (!raw) {
    throw new Error(
      `${RABBITMQ_ENV} is not set: the Jest global setup of @internal/brom-test ` +
        '(src/jest/globalSetup.ts) starts the test RabbitMQ node and sets it. ' +
        'Run the tests through `backstage-cli package test` in test/ or `backstage-cli repo test`.',
    );
  }
  return new RabbitEndpoint(parseRabbitNodeInfo(raw));
}

export function parseRabbitNodeInfo(raw: string): RabbitNodeInfo {
  let info: RabbitNodeInfo;
  try {
    info = JSON.parse(raw);
  } catch (error) {
    throw new Error(`${RABBITMQ_ENV} is not JSON: ${(error as Error).message}`);
  }
  for (const field of ['nodeName', 'host', 'managementUrl'] as const) {
    if (typeof info?.[field] !== 'string') {
      throw new Error(`${RABBITMQ_ENV} lacks "${field}"`);
    }
  }
  for (const port of ['amqp', 'management', 'auth'] as const) {
    if (typeof info.ports?.[port] !== 'number') {
      throw new Error(`${RABBITMQ_ENV} lacks "ports.${port}"`);
    }
  }
  if (
    typeof info.admin?.username !== 'string' ||
    typeof info.admin?.password !== 'string'
  ) {
    throw new Error(
      `${RABBITMQ_ENV} lacks "admin.username" or "admin.password"`,
    );
  }
  return info;
}

export interface RabbitVhostFixture {
  /** The current test's vhost; only valid inside a test. */
  readonly name: string;
  /** The node it lives on. */
  readonly rabbit: RabbitEndpoint;
  /** A management client logged in as the node's administrator, shared by the file's tests. */
  readonly management: ManagementClient;
  /** An AMQP URL for the current vhost; the administrator unless credentials are given. */
  amqpUrl(username?: string, password?: string): string;
}

/**
 * Gives each test of the file a fresh, uniquely named vhost on the per-run
 * node (or on `rabbit`), in which the administrator has all permissions; the
 * vhost and everything in it is deleted after the test. Call it at the top
 * level of a `describe` or file.
 */
export function useRabbitVhost(
  rabbit: () => RabbitEndpoint = getTestRabbit,
): RabbitVhostFixture {
  let endpoint: RabbitEndpoint | undefined;
  let client: ManagementClient | undefined;
  let current: string | undefined;

  beforeAll(() => {
    endpoint = rabbit();
    client = endpoint.managementClient();
  });

  beforeEach(async () => {
    const name = `brom-test-${randomBytes(5).toString('hex')}`;
    await client!.putVhost(name, {
      description: expect.getState().currentTestName ?? '',
    });
    await client!.putPermissions(name, endpoint!.admin.username, {
      configure: '.*',
      write: '.*',
      read: '.*',
    });
    current = name;
  });

  afterEach(async () => {
    if (current) {
      const name = current;
      current = undefined;
      await client!.deleteVhost(name, { ignoreNotFound: true });
    }
  });

  afterAll(async () => {
    await client?.close();
  });

  const fixture: RabbitVhostFixture = {
    get name() {
      if (!current) {
        throw new Error(
          'useRabbitVhost: the vhost exists only while a test runs',
        );
      }
      return current;
    },
    get rabbit() {
      if (!endpoint) {
        throw new Error(
          'useRabbitVhost: the node is known only once the tests start',
        );
      }
      return endpoint;
    },
    get management() {
      if (!client) {
        throw new Error(
          'useRabbitVhost: the client exists only once the tests start',
        );
      }
      return client;
    },
    amqpUrl(username?: string, password?: string) {
      return fixture.rabbit.amqpUrl(fixture.name, username, password);
    },
  };
  return fixture;
}

/**
 * Starts a node of the file's own in `beforeAll` and stops it in `afterAll`:
 * for tests that stop or restart the broker, change its configuration, or run
 * a sidecar on its auth port. Boot takes about 5 s, stop about 7 s.
 */
export function useDedicatedRabbitNode(
  options?: RabbitNodeOptions,
): () => RabbitNode {
  let node: RabbitNode | undefined;
  beforeAll(async () => {
    node = await RabbitNode.start(options);
  }, 180_000);
  afterAll(async () => {
    await node?.stop();
  }, 60_000);
  return () => {
    if (!node) {
      throw new Error('useDedicatedRabbitNode: the node starts in beforeAll');
    }
    return node;
  };
}

/**
 * Starts a cluster of the file's own in `beforeAll` (three nodes unless
 * `options.nodes` says otherwise) and stops it in `afterAll`. Boot takes about
 * 20 s on an idle machine, stop about 10 s.
 */
export function useRabbitCluster(
  options?: RabbitClusterOptions,
): () => RabbitCluster {
  let cluster: RabbitCluster | undefined;
  beforeAll(async () => {
    cluster = await RabbitCluster.start(options);
  }, 300_000);
  afterAll(async () => {
    await cluster?.stop();
  }, 120_000);
  return () => {
    if (!cluster) {
      throw new Error('useRabbitCluster: the cluster starts in beforeAll');
    }
    return cluster;
  };
}

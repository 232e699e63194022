import type {
  ApplicationStatus,
  NotificationType,
  Subscription,
} from '@internal/plugin-brom-common';
import type { BackendFeature } from '@backstage/backend-plugin-api';
import knexFactory, { Knex } from 'knex';
import type { AddressInfo } from 'node:net';
import { createTestDatabase, TestDatabase } from '../../postgres';
import { pollUntil } from '../../process';
import type { RabbitVhostFixture } from '../../rabbitmq/testRabbit';
import { ManagementProxy } from './ManagementProxy';
import {
  ALICE,
  BOB,
  BromTestClient,
  TEAM_A,
  TEAM_B,
  startBromTestBackend,
} from '@internal/plugin-brom-backend/testUtils';

export {
  ADMIN,
  ALICE,
  BOB,
  TEAM_A,
  TEAM_B,
} from '@internal/plugin-brom-backend/testUtils';

/** Reconciler timings for tests: seconds become a few hundred milliseconds. */
export interface ReconcilerTestSettings {
  resyncSeconds?: number;
  backoffBaseMs?: number;
  backoffCapMs?: number;
  concurrency?: number;
  requestTimeoutMs?: number;
  prefix?: string;
}

export const FAST: Required<Omit<ReconcilerTestSettings, 'prefix'>> = {
  resyncSeconds: 1,
  backoffBaseMs: 50,
  backoffCapMs: 500,
  concurrency: 8,
  requestTimeoutMs: 2_000,
};

/** The `brom` config section that points BROM at a test broker (usually through a proxy). */
export function bromBrokerConfig(options: {
  /** One URL, or one per node of a cluster. */
  managementUrl: string | string[];
  vhost: string;
  username: string;
  password: string;
  settings?: ReconcilerTestSettings;
}) {
  const s = { ...FAST, ...options.settings };
  return {
    broker: {
      ...(typeof options.managementUrl === 'string'
        ? { managementUrl: options.managementUrl }
        : { managementUrls: options.managementUrl }),
      username: options.username,
      password: options.password,
      vhost: options.vhost,
      prefix: options.settings?.prefix ?? 'brom.',
      queueType: 'quorum',
      policyPriority: 10,
      requestTimeoutMs: s.requestTimeoutMs,
    },
    reconciler: {
      resyncSeconds: s.resyncSeconds,
      backoffBaseMs: s.backoffBaseMs,
      backoffCapMs: s.backoffCapMs,
      concurrency: s.concurrency,
    },
  };
}

/**
 * Drives BROM through its REST API as the people of the API tests: producers belong to
 * team A (Alice), consumers to team B (Bob); Bob requests, Alice approves.
 */
export class PortalDriver {
  readonly api: BromTestClient;

  constructor(api: BromTestClient) {
    this.api = api;
  }

  async createProducer(
    name: string,
    types: Array<{ name: string; pattern: string }>,
  ): Promise<NotificationType[]> {
    await this.api.post(ALICE, '/applications', {
      body: { name, owner: TEAM_A },
      expect: 201,
    });
    const created: NotificationType[] = [];
    for (const type of types) {
      const res = await this.api.post(
        ALICE,
        '/applications/{name}/notification-types',
        {
          params: { name },
          body: {
            name: type.name,
            routingKeyPattern: type.pattern,
            description: `${type.name} of ${name}`,
          },
          expect: 201,
        },
      );
      created.push(res.body);
    }
    return created;
  }

  async createConsumer(
    name: string,
    settings: { messageTtlMs?: number; maxLength?: number } = {},
  ): Promise<void> {
    await this.api.post(BOB, '/applications', {
      body: { name, owner: TEAM_B, settings },
      expect: 201,
    });
  }

  /** Bob asks for `consumer` to get `type`; Alice approves unless `approve` is false. */
  async subscribe(
    consumer: string,
    type: NotificationType,
    approve = true,
  ): Promise<Subscription> {
    const requested = await this.api.post(BOB, '/subscriptions', {
      body: {
        consumer,
        producer: type.application,
        notificationType: type.name,
        justification: 'integration test',
      },
      expect: 201,
    });
    if (!approve) return requested.body;
    const approved = await this.api.post(ALICE, '/subscriptions/{id}/approve', {
      params: { id: requested.body.id },
      body: { generation: requested.body.generation },
      expect: 200,
    });
    return approved.body;
  }

  async revoke(subscription: Subscription): Promise<Subscription> {
    const current = await this.api.get(ALICE, '/subscriptions/{id}', {
      params: { id: subscription.id },
      expect: 200,
    });
    const res = await this.api.post(ALICE, '/subscriptions/{id}/revoke', {
      params: { id: subscription.id },
      body: { generation: current.body.generation, reason: 'integration test' },
      expect: 200,
    });
    return res.body;
  }

  /** Deletes an application as its owner (`who`). */
  async deleteApplication(who: string, name: string): Promise<void> {
    const current = await this.api.get(who, '/applications/{name}', {
      params: { name },
      expect: 200,
    });
    await this.api.delete(who, '/applications/{name}', {
      params: { name },
      query: { generation: current.body.generation },
      expect: 200,
    });
  }

  /** Issues a credential for `application` (owned by `who`): its id, broker username and secret. */
  async createCredential(
    who: string,
    application: string,
  ): Promise<{ id: string; username: string; secret: string }> {
    const res = await this.api.post(who, '/applications/{name}/credentials', {
      params: { name: application },
      body: {},
      expect: 201,
    });
    const { id, username } = res.body.credential;
    return { id, username, secret: res.body.secret };
  }

  /** Revokes the credential `id` of `application` as its owner (`who`). */
  async revokeCredential(
    who: string,
    application: string,
    id: string,
  ): Promise<void> {
    await this.api.post(who, '/applications/{name}/credentials/{id}/revoke', {
      params: { name: application, id },
      body: {},
      expect: 200,
    });
  }

  async status(name: string): Promise<ApplicationStatus> {
    const res = await this.api.get(BOB, '/applications/{name}/status', {
      params: { name },
      expect: 200,
    });
    return res.body;
  }

  /**
   * Waits until a deleted application is finalized: its broker objects are gone and the API no
   * longer knows it (404).
   */
  async waitUntilFinalized(name: string, withinMs = 30_000): Promise<void> {
    await pollUntil(
      async () => {
        const res = await this.api.get(BOB, '/applications/{name}', {
          params: { name },
        });
        return res.status === 404 ? true : undefined;
      },
      { timeoutMs: withinMs, describe: () => `${name} was not finalized` },
    );
  }

  /** Waits until the status endpoint reports every object of the application ready. */
  async waitUntilReady(
    name: string,
    withinMs = 30_000,
  ): Promise<ApplicationStatus> {
    let last: ApplicationStatus | undefined;
    return pollUntil(
      async () => {
        last = await this.status(name);
        return last.ready ? last : undefined;
      },
      {
        timeoutMs: withinMs,
        intervalMs: 100,
        describe: () =>
          `${name} is not ready: ${JSON.stringify(last, null, 1)}`,
      },
    );
  }
}

export interface ReconcilerTestBackend {
  api: BromTestClient;
  /** Where the backend listens, e.g. for sidecars polling its snapshot feed. */
  url: string;
  portal: PortalDriver;
  knex: Knex;
  database: TestDatabase;
  stop(): Promise<void>;
}

/**
 * The BROM backend plugin (REST API, real permission backend and policy, reconciler runner)
 * in this process, on a fresh PostgreSQL database, reconciling `vhost` through `managementUrl`.
 */
export async function startReconcilerBackend(options: {
  managementUrl: string;
  vhost: string;
  username: string;
  password: string;
  settings?: ReconcilerTestSettings;
}): Promise<ReconcilerTestBackend> {
  const database = await createTestDatabase();
  try {
    return await startApiBackend(database, bromBrokerConfig(options), true);
  } catch (error) {
    await database.drop();
    throw error;
  }
}

/**
 * The BROM plugin on an existing database: with `ownsDatabase`, `stop()` drops it too.
 * `brom` is merged into the test config (e.g. `{ reconciler: { enabled: false } }` for
 * a backend that only serves the API beside other processes that reconcile).
 */
export async function startApiBackend(
  database: TestDatabase,
  brom: Record<string, unknown>,
  ownsDatabase = false,
  features: BackendFeature[] = [],
): Promise<ReconcilerTestBackend> {
  const knex = knexFactory({
    client: 'pg',
    connection: database.connection,
    pool: { min: 0, max: 10 },
  });
  try {
    const backend = await startBromTestBackend(knex, { brom, features });
    const api = new BromTestClient(backend.server);
    const { port } = backend.server.address() as AddressInfo;
    return {
      api,
      url: `http://127.0.0.1:${port}`,
      portal: new PortalDriver(api),
      knex,
      database,
      async stop() {
        await backend.stop();
        await knex.destroy().catch(() => undefined);
        if (ownsDatabase) await database.drop();
      },
    };
  } catch (error) {
    await knex.destroy().catch(() => undefined);
    throw error;
  }
}

/** What {@link useReconcilerBackend} gives each test; valid inside a test. */
export interface ReconcilerBackendFixture {
  readonly proxy: ManagementProxy;
  readonly backend: ReconcilerTestBackend;
}

/**
 * Gives each test a fresh reconciling backend (fresh database) that reaches the test's
 * vhost through a request-counting proxy, and stops both after the test. Call it inside
 * the `describe`, after `useRabbitVhost`, so the backend stops before the vhost goes.
 */
export function useReconcilerBackend(
  rabbit: RabbitVhostFixture,
  settings?: ReconcilerTestSettings,
): ReconcilerBackendFixture {
  let proxy: ManagementProxy | undefined;
  let backend: ReconcilerTestBackend | undefined;
  beforeEach(async () => {
    proxy = await ManagementProxy.start({
      target: rabbit.rabbit.managementUrl,
    });
    backend = await startReconcilerBackend({
      managementUrl: proxy.url,
      vhost: rabbit.name,
      ...rabbit.rabbit.admin,
      settings,
    });
  });
  afterEach(async () => {
    await backend?.stop();
    await proxy?.close();
    backend = undefined;
    proxy = undefined;
  });
  const current = <T>(value: T | undefined, what: string): T => {
    if (!value) throw new Error(`no ${what}: use it inside a test`);
    return value;
  };
  return {
    get proxy() {
      return current(proxy, 'proxy');
    },
    get backend() {
      return current(backend, 'backend');
    },
  };
}

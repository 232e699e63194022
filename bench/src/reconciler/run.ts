/*
 * `npm run bench:reconciler`: the BROM reconciler against a dedicated RabbitMQ node.
 *
 * 1. Converge: 1,000 producers, 2,000 consumers and 10,000 approved subscriptions from an
 *    empty vhost, pass after pass until a pass writes nothing; beside it the floor, the same
 *    topology imported as one definitions document (POST /api/definitions/{vhost}).
 *    With --prebuilt the broker is built instead: the floor's document imported into the
 *    reconciled vhost, one full pass that adopts every object (the reconciler's own status
 *    records), and one full pass that must write nothing.
 * 2. Idle broker and idle pass: the broker's own CPU over --broker-idle-seconds (30; 0 leaves
 *    it out) with nothing happening; the management API requests of one pass over the
 *    converged broker, counted by a proxy.
 * 3. Latency, over N trials, with the runner woken by the store as in the backend:
 *    approve -> the consumer receives its first message, credential revoked -> its connection
 *    closed; and, with a backend process (catalog, BROM's catalog module, notifications, BROM)
 *    on the same store, the approval's commit -> the catalog shows the consumer's relation
 *    to the API; and, with one real sidecar (its compiled build, production feed settings)
 *    following that backend's authz feed, the approval's and the credential revocation's
 *    commit -> the sidecar holds that version (its /readyz), the revocation's commit -> its
 *    /auth/user denies the credential, and the sidecar's CPU time per committed change.
 * 4. Idle backend CPU: that backend, once it runs the reconciler and has settled, over
 *    --idle-seconds, from /proc/<pid>/stat.
 *
 * Options: --scale F (1; 0.1 for a quick try), --trials N (20), --concurrency N (8),
 * --authz live|native (live), --no-floor (leave out the definitions import), --prebuilt,
 * --no-catalog (no backend process: no catalog or sidecar figures, no idle CPU), --idle-seconds N (120;
 * 0 leaves the idle CPU out), --catalog-processing-seconds N (the catalog's processingInterval;
 * Backstage's default when unset), --statistics-interval MS (the node's
 * collect_statistics_interval: 5000, RabbitMQ's default; the test harness's nodes use 1000),
 * --broker-config 'key=value;…' (more rabbitmq.conf settings for the node), --approval-jitter-ms N
 * (1000: each approval waits a random 0-N ms first), --json FILE, --verbose.
 *
 * --authz native: every application gets a credential, the reconciler writes a broker user
 * and permissions per credential (converge and the floor's definitions include them), the node
 * authenticates through HTTP and authorises internally, and the trials' consumers connect with
 * their own users (a bare allow server on the auth port stands in for the sidecar: only
 * `/auth/user` is asked, and the reconciler's latency is what is measured).
 *
 * In both modes the trials' consumers connect as their credential's user through the node's
 * HTTP backend, answered by that allow server (the benchmark's real sidecar is asked directly,
 * not by the node): the user the reconciler writes for a credential has no internal password,
 * and one the benchmark gave it would race the reconciler's write (which removes it).
 */
import { mockCredentials, mockServices } from '@backstage/backend-test-utils';
import {
  BackendProcess,
  createTestDatabase,
  dropPluginDatabases,
  findFreePorts,
  FULL_BACKEND_MAIN,
  ManagementProxy,
  pollUntil,
  RabbitNode,
  StallReport,
  TestDatabase,
  watchStalls,
} from '@internal/brom-test';
import {
  Actor,
  BromStore,
  DatabaseLeaderLease,
  DatabaseReconcilerStore,
  ManagementBrokerApi,
  createPortalServices,
  Reconciler,
  ReconcilerRunner,
  StateWatcher,
  TopologyOptions,
  AuthzSnapshotBuilder,
  desiredTopology,
} from '@internal/plugin-brom-backend/testUtils';
import {
  authzSnapshotDeltaBody,
} from '@internal/brom-authz-snapshot';
import { ManagementClient } from '@internal/rabbitmq-management';
import amqplib from 'amqplib';
import knexFactory, { Knex } from 'knex';
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import {
  CpuTimeline,
  CpuWindow,
  describeCpuWindow,
  processTimes,
} from './cpuTimeline';
import { parseAssignments, parseOptions } from '../options';
import {
  buildSidecar,
  SidecarProcess,
  startFloor,
  startSidecarProcess,
} from '../sidecar/processes';
import { median, percentile } from '../stats';
import { CatalogSteps, CatalogStepsProbe } from './catalogSteps';
import { seedLargeStore } from './seed';

interface Options {
  scale: number;
  trials: number;
  concurrency: number;
  json?: string;
  /** Prints where each revocation's time went. */
  verbose?: boolean;
  authz: 'live' | 'native';
  /** Leaves out the floor (the definitions import), which takes minutes at full scale. */
  noFloor?: boolean;
  /**
   * Builds the broker by one definitions import and records it by an adopting full pass,
   * instead of converging from empty (issue #20: feasible at --scale 10).
   */
  prebuilt?: boolean;
  /** Leaves out the backend process: no catalog or sidecar figures, no idle CPU. */
  noCatalog?: boolean;
  /** The idle backend's CPU window; 0 leaves it out. */
  idleSeconds: number;
  /**
   * The catalog's `processingInterval` in seconds: how often it processes every entity again.
   * Unset: app-config.production.yaml's (30 minutes).
   */
  catalogProcessingSeconds?: number;
  /**
   * `brom.broker.queueType` (quorum, the default). At --scale 10 a 2-core node cannot start
   * 40,000 quorum queues: the import fails with Ra's `partition_parallel_timeout` (60 s).
   */
  queueType: 'quorum' | 'classic';
  /**
   * The node's `collect_statistics_interval` in ms: how often every queue, channel and
   * connection reports to the management statistics (RabbitMQ's default is 5,000; the test
   * harness's nodes use 1,000 so that tests see message counts sooner). Nothing the benchmark
   * times reads statistics.
   */
  statisticsInterval: number;
  /** The broker's own CPU with nothing happening, after the broker is built; 0 leaves it out. */
  brokerIdleSeconds: number;
  /**
   * More `rabbitmq.conf` settings for the node, `key=value` pairs separated by `;` (e.g. the
   * management plugin's `management.sample_retention_policies.*`); they replace the benchmark's own.
   */
  brokerConfig?: string;
  /**
   * Before each approval a trial waits a random 0 to this many ms (1,000), so that approvals
   * land at every phase of the catalog's fixed polls (its processing loop every 1 s, the
   * stitcher every 500 ms), as users' approvals do. At 0 a trial approves a nearly fixed time
   * after its own earlier commits, which the catalog's processing of them set the polls' phase
   * by, so one run's catalog figures hang on that phase (2026-12-05: the same full-scale trials
   * gave commit -> processed p50 518 ms in one run and 146 ms in the next).
   */
  approvalJitterMs: number;
}

const DEFAULTS: Options = {
  scale: 1,
  trials: 20,
  concurrency: 8,
  authz: 'live',
  idleSeconds: 120,
  queueType: 'quorum',
  statisticsInterval: 5_000,
  brokerIdleSeconds: 30,
  approvalJitterMs: 1_000,
};
const KINDS = {
  scale: 'number',
  trials: 'number',
  concurrency: 'number',
  json: 'string',
  verbose: 'switch',
  authz: ['live', 'native'],
  noFloor: 'switch',
  prebuilt: 'switch',
  noCatalog: 'switch',
  idleSeconds: 'number',
  catalogProcessingSeconds: 'number',
  queueType: ['quorum', 'classic'],
  statisticsInterval: 'number',
  brokerIdleSeconds: 'number',
  brokerConfig: 'string',
  approvalJitterMs: 'number',
} as const;

const TEAM_A = 'group:default/team-a';
const TEAM_B = 'group:default/team-b';
const actor = (ref: string, group: string): Actor => ({
  credentials: mockCredentials.user(ref) as Actor['credentials'],
  userEntityRef: ref,
  ownershipEntityRefs: [ref, group],
});
const ALICE = actor('user:default/alice', TEAM_A);
const BOB = actor('user:default/bob', TEAM_B);

const log = (...args: unknown[]) => console.log(...args);
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/** Bound on the floor's single request (the management listener's timeouts and the client's). */
const IMPORT_TIMEOUT_MS = 2 * 60 * 60_000;
/** The management listener's body limit: the document is about 40 MB at --scale 10. */
const MAX_DEFINITIONS_BYTES = 512 * 2 ** 20;
/** Idle incremental passes timed in a row (their median is the figure). */
const IDLE_INCREMENTAL_PASSES = 9;

/** Event-loop stalls from this long on are charged to the trials they held up. */
const TRIAL_STALL_MS = 100;

/** How long the backend idles after its first full pass before the CPU window opens. */
const SETTLE_MS = 15_000;

const sleep = (ms: number) => new Promise(resolve => setTimeout(resolve, ms));

/** The node's memory, file descriptors and Erlang processes, as its management API reports them. */
async function nodeResources(node: RabbitNode) {
  const auth = Buffer.from(
    `${node.admin.username}:${node.admin.password}`,
  ).toString('base64');
  // A node reports its figures once its first statistics interval (5 s) has passed.
  let n: Record<string, number | boolean> = {};
  for (let attempt = 0; attempt < 30; attempt++) {
    const res = await fetch(`${node.managementUrl}/api/nodes`, {
      headers: { authorization: `Basic ${auth}` },
    });
    if (!res.ok) throw new Error(`GET /api/nodes answered ${res.status}`);
    [n] = (await res.json()) as Array<Record<string, number | boolean>>;
    if (typeof n.mem_used === 'number') break;
    await sleep(1000);
  }
  return {
    memUsed: Number(n.mem_used),
    memLimit: Number(n.mem_limit),
    memAlarm: Boolean(n.mem_alarm),
    fdUsed: Number(n.fd_used),
    fdTotal: Number(n.fd_total),
    procUsed: Number(n.proc_used),
    procTotal: Number(n.proc_total),
  };
}

function describeResources(
  r: Awaited<ReturnType<typeof nodeResources>>,
): string {
  const gib = (bytes: number) => `${(bytes / 2 ** 30).toFixed(2)} GiB`;
  return (
    `memory ${gib(r.memUsed)} used of the ${gib(
      r.memLimit,
    )} high watermark (${Math.round((100 * r.memUsed) / r.memLimit)} %${
      r.memAlarm ? ', ALARM' : ''
    }), ` +
    `${r.fdUsed} of ${r.fdTotal} file descriptors, ${r.procUsed} of ${r.procTotal} Erlang processes`
  );
}

/** How many broker objects the desired topology has. */
function desiredObjectCount(counts: Record<string, number>): number {
  return Object.values(counts).reduce((sum, n) => sum + n, 0);
}

/** The reconciler's status records: how many objects are managed, and how many are not ready. */
async function recordedStatus(knex: Knex) {
  const [row] = await knex('brom_sync_status')
    .whereNot('kind', 'enforcement')
    .select(
      knex.raw('count(*) filter (where managed) as managed'),
      knex.raw(`count(*) filter (where status <> 'True') as not_ready`),
    );
  return { managed: Number(row.managed), notReady: Number(row.not_ready) };
}

/** Who holds the reconciler lease now (`<pid>-<uuid>`), if anyone does. */
async function leaseHolder(knex: Knex): Promise<string | undefined> {
  const row = await knex('brom_reconciler_lease')
    .where('name', 'reconciler')
    .where('expires_at', '>', knex.fn.now())
    .first('holder');
  return row?.holder;
}

/** When the last recorded full observation of `vhost` started (ms), 0 if none. */
async function observedAt(knex: Knex, vhost: string): Promise<number> {
  const row = await knex('brom_broker_observation')
    .where('vhost', vhost)
    .first('observed_at');
  return row ? new Date(row.observed_at).getTime() : 0;
}

/**
 * The `catalog` section and BROM's reconciler resync of the production configuration, which
 * the benchmark's backend runs.
 */
function productionConfig(): {
  catalog: Record<string, unknown>;
  resyncSeconds: number;
  /** `brom.catalog`: BROM's catalog module's schedule. */
  bromCatalog: Record<string, unknown>;
} {
  // The benchmark runs from bench/ (npm's workspace script, or `cd bench`): the repository is above.
  let dir = process.cwd();
  while (!existsSync(join(dir, 'app-config.production.yaml'))) {
    const parent = dirname(dir);
    if (parent === dir) {
      throw new Error(`no app-config.production.yaml above ${process.cwd()}`);
    }
    dir = parent;
  }
  const file = join(dir, 'app-config.production.yaml');
  const config = parseYaml(readFileSync(file, 'utf8'));
  const catalog = config?.catalog;
  if (!catalog || typeof catalog !== 'object') {
    throw new Error(`${file} has no catalog section`);
  }
  const resyncSeconds = config?.brom?.reconciler?.resyncSeconds;
  if (typeof resyncSeconds !== 'number') {
    throw new Error(`${file} sets no brom.reconciler.resyncSeconds`);
  }
  const bromCatalog = config?.brom?.catalog;
  if (!bromCatalog || typeof bromCatalog !== 'object') {
    throw new Error(`${file} has no brom.catalog section`);
  }
  return { catalog, resyncSeconds, bromCatalog };
}

/** The entities BROM's catalog module emits for the store: a Component per application, an API per type. */
async function expectedEntities(knex: Knex) {
  const count = async (query: Knex.QueryBuilder) =>
    Number((await query.count({ n: '*' }))[0].n);
  return {
    components: await count(
      knex('brom_applications').whereNull('deleted_at').whereNull('entity_ref'),
    ),
    apis: await count(knex('brom_notification_types').whereNull('deleted_at')),
  };
}

/** The catalog's entity API, read with a static service token. */
class CatalogProbe {
  constructor(
    private readonly baseUrl: string,
    private readonly token: string,
  ) {}

  /** Requests sent again after the connection was reset (see #get). */
  retries = 0;

  /**
   * A GET, sent again (twice at most) when the connection is reset before an answer: a
   * kept-alive connection that the backend closed as idle, which it does late when its event
   * loop was held, is reset by the kernel when the next request arrives on it.
   */
  async #get(path: string): Promise<Response> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await fetch(`${this.baseUrl}/api/catalog${path}`, {
          headers: { authorization: `Bearer ${this.token}` },
        });
      } catch (error) {
        const code = (error as { cause?: { code?: string } }).cause?.code;
        if (attempt >= 3 || (code !== 'ECONNRESET' && code !== 'UND_ERR_SOCKET')) throw error;
        this.retries++;
      }
    }
  }

  /** How many entities of `kind` the catalog lists (processed and stitched). */
  async count(kind: string): Promise<number> {
    const res = await this.#get(
      `/entities/by-query?filter=kind=${kind}&limit=1&fields=metadata.name`,
    );
    if (!res.ok)
      throw new Error(
        `the catalog answered ${res.status}: ${await res.text()}`,
      );
    return ((await res.json()) as { totalItems: number }).totalItems;
  }

  /**
   * Polls the Component `name` every 50 ms until it has the relation `type` to `target`;
   * resolves with when the answer that showed it arrived.
   */
  async relationShownAt(
    name: string,
    type: string,
    target: string,
    withinMs: number,
  ): Promise<number> {
    const deadline = Date.now() + withinMs;
    for (;;) {
      const res = await this.#get(
        `/entities/by-name/component/default/${encodeURIComponent(name)}`,
      );
      if (res.ok) {
        const entity = (await res.json()) as {
          relations?: Array<{ type: string; targetRef: string }>;
        };
        if (
          entity.relations?.some(r => r.type === type && r.targetRef === target)
        )
          return Date.now();
      } else {
        await res.body?.cancel();
      }
      if (Date.now() > deadline) {
        throw new Error(
          `the catalog did not show ${name} ${type} ${target} within ${withinMs} ms`,
        );
      }
      await sleep(50);
    }
  }
}

/**
 * A sidecar process, asked as the broker and a probe ask it: the snapshot version it serves
 * (/readyz on its admin port) and its decision on a credential (/auth/user on its auth port).
 */
class SidecarProbe {
  constructor(readonly process: SidecarProcess) {}

  /** The snapshot version the sidecar serves, if it serves one. */
  async version(): Promise<number | undefined> {
    const res = await fetch(
      `http://127.0.0.1:${this.process.adminPort}/readyz`,
    );
    const status = (await res.json()) as { snapshot?: { version: number } };
    return status.snapshot?.version;
  }

  /** `allow` or `deny`, as the sidecar answers the broker's user check. */
  async decideUser(username: string, password: string): Promise<string> {
    const query = new URLSearchParams({ username, password });
    const res = await fetch(
      `http://127.0.0.1:${this.process.authPort}/auth/user?${query}`,
    );
    return (await res.text()).trim();
  }

  /** Polls every 5 ms until `check` holds; resolves with when the answer that showed it arrived. */
  async #until(
    check: () => Promise<boolean>,
    what: string,
    withinMs: number,
  ): Promise<number> {
    const deadline = Date.now() + withinMs;
    for (;;) {
      if (await check()) return Date.now();
      if (Date.now() > deadline)
        throw new Error(`the sidecar: not within ${withinMs} ms: ${what}`);
      await sleep(5);
    }
  }

  heldAt(version: number, withinMs: number): Promise<number> {
    return this.#until(
      async () => ((await this.version()) ?? -1) >= version,
      `serve version ${version}`,
      withinMs,
    );
  }

  answeredAt(
    username: string,
    password: string,
    answer: 'allow' | 'deny',
    withinMs: number,
  ): Promise<number> {
    return this.#until(
      async () =>
        (await this.decideUser(username, password)).startsWith(answer),
      `${answer} ${username}`,
      withinMs,
    );
  }
}

interface IdleCpu {
  windowMs: number;
  cpuSeconds: number;
  userSeconds: number;
  systemSeconds: number;
  percentOfCore: number;
  rssMiB: number;
  loadAverage: number;
  /** CPU seconds of each IDLE_SLOT_MS slot of the window, in order. */
  slotCpuSeconds: number[];
  /** The median slot's share of one core: the steady cost (polls, timers), without the periodic bursts. */
  steadyPercentOfCore: number;
  /** Slots above twice the median: when they began (s into the window) and their CPU seconds. */
  bursts: Array<{ atSeconds: number; cpuSeconds: number }>;
}

/** The idle window is sampled in slots of this length, to tell steady polling from periodic bursts. */
const IDLE_SLOT_MS = 10_000;

/** A process's CPU time so far (user and system, from /proc/<pid>/stat) and its resident memory. */
function processCpu(pid: number) {
  const times = processTimes(pid);
  if (!times) throw new Error(`process ${pid} is gone`);
  const rss = /^VmRSS:\s+(\d+) kB$/m.exec(
    readFileSync(`/proc/${pid}/status`, 'utf8'),
  );
  return { ...times, rssMiB: rss ? Number(rss[1]) / 1024 : NaN };
}

async function main() {
  const options = parseOptions(process.argv.slice(2), DEFAULTS, KINDS);
  // Read first: a missing setting should fail before minutes of setting up.
  const production = productionConfig();
  log(
    `bench:reconciler — ${cpus().length} CPUs (${
      cpus()[0]?.model
    }), ${Math.round(totalmem() / 2 ** 30)} GiB, node ${
      process.version
    }, scale ${options.scale}`,
  );
  // The floor is one HTTP request that runs for minutes at full scale (tens of them at
  // --scale 10): keep the management listener (Cowboy) from closing the connection under it,
  // and let it take the document (the default limit is 10 MB; full scale's is about 4 MB).
  const native = options.authz === 'native';
  const brokerConfig = parseAssignments(
    '--broker-config',
    options.brokerConfig ?? '',
  );
  if (Object.keys(brokerConfig).length) {
    log(`node settings from --broker-config: ${JSON.stringify(brokerConfig)}`);
  }
  const node = await RabbitNode.start({
    config: {
      'management.tcp.idle_timeout': String(IMPORT_TIMEOUT_MS),
      'management.tcp.inactivity_timeout': String(IMPORT_TIMEOUT_MS),
      'management.tcp.request_timeout': String(IMPORT_TIMEOUT_MS),
      'management.http.max_body_size': String(MAX_DEFINITIONS_BYTES),
      collect_statistics_interval: String(options.statisticsInterval),
      ...(native
        ? {
            'auth_backends.2': null,
            'auth_backends.2.authn': 'http',
            'auth_backends.2.authz': 'internal',
          }
        : {}),
      ...brokerConfig,
    },
  });
  let database: TestDatabase | undefined;
  let knex: Knex | undefined;
  let backend: BackendProcess | undefined;
  /** When each phase of the run began (for the backend's event-loop stalls). */
  const phases: Array<{ name: string; from: number }> = [];
  let backendDir: string | undefined;
  const closers: Array<() => Promise<unknown>> = [];
  try {
    const admin = node.managementClient();
    closers.push(() => admin.close());
    const authServer = await startFloor(node.ports.auth);
    closers.push(() => authServer.stop());
    const slow = ManagementClient.create({
      baseUrl: node.managementUrl,
      ...node.admin,
      headersTimeoutMs: IMPORT_TIMEOUT_MS,
      bodyTimeoutMs: IMPORT_TIMEOUT_MS,
    });
    closers.push(() => slow.close());
    const version = (await admin.getOverview()) as {
      rabbitmq_version?: string;
    };
    log(`RabbitMQ ${version.rabbitmq_version}, node ${node.nodeName}`);

    database = await createTestDatabase();
    knex = knexFactory({
      client: 'pg',
      connection: database.connection,
      pool: { min: 0, max: 10 },
    });
    const db = knex;
    const store = await BromStore.create({
      database: { getClient: async () => knex! } as any,
    });
    const seeding = Date.now();
    const shape = await seedLargeStore(knex, options.scale, native);
    const seedMs = Date.now() - seeding;
    log(
      `store: ${shape.producers} producers, ${shape.consumers} consumers, ${
        shape.subscriptions
      } approved subscriptions, ${
        shape.credentials
      } credentials, written in ${seconds(seedMs)}; authz mode ${
        options.authz
      }; ${options.queueType} queues`,
    );

    // --- the floor: the same topology as one definitions document; with --prebuilt it is
    // imported into the reconciled vhost itself, and converging is left out
    const floorVhost = 'bench-floor';
    const vhost = 'bench-brom';
    const buildVhost = options.prebuilt ? vhost : floorVhost;
    const topologyOptions = (name: string): TopologyOptions => ({
      vhost: name,
      prefix: 'brom.',
      queueType: options.queueType,
      policyPriority: 10,
      authzMode: options.authz,
    });
    // The trials' producer and consumers, through the portal services as the API writes them.
    let notifyCommit: (version: number) => void = () => undefined;
    const portal = createPortalServices({
      store,
      permissions: mockServices.permissions(),
      reservedNames: [],
      broker: { vhost, prefix: 'brom.', amqpUrls: [] },
      topology: topologyOptions(vhost),
      onCommit: v => notifyCommit(v),
    });
    const createLatencyProducer = async () => {
      await portal.applications.createApplication(ALICE, {
        name: 'lat-producer',
        owner: TEAM_A,
      });
      return portal.notificationTypes.createNotificationType(
        ALICE,
        'lat-producer',
        {
          name: 'tick',
          routingKeyPattern: 'tick.*',
          description: 'ticks',
        },
      );
    };
    const prepareTrial = async (name: string) => {
      await portal.applications.createApplication(BOB, { name, owner: TEAM_B });
      return portal.subscriptions.requestSubscription(BOB, {
        consumer: name,
        producer: 'lat-producer',
        notificationType: 'tick',
        justification: 'bench',
      });
    };
    // With --prebuilt the trials' producer and consumers (each with its requested subscription)
    // are part of the built topology: a new consumer's policy write makes RabbitMQ 3.10 match
    // every queue and exchange against every policy (decision 0010), tens of seconds at full
    // scale and about a hundred times that at --scale 10, which the trials would wait for
    // before each approval. The trials time approvals and revocations, which write no policy.
    const prepared = new Map<
      string,
      Awaited<ReturnType<typeof prepareTrial>>
    >();
    let prebuiltTick:
      | Awaited<ReturnType<typeof createLatencyProducer>>
      | undefined;
    if (options.prebuilt) {
      prebuiltTick = await createLatencyProducer();
      for (let trial = 0; trial < options.trials; trial++) {
        prepared.set(`lat-${trial}`, await prepareTrial(`lat-${trial}`));
      }
    }
    const reconcilerStore = DatabaseReconcilerStore.create(store);
    const snapshot = await reconcilerStore.read(new Date());
    const desired = desiredTopology(
      snapshot.input,
      topologyOptions(buildVhost),
    );
    const counts = {
      exchanges: desired.exchanges.length,
      queues: desired.queues.length,
      policies: desired.policies.length,
      bindings: desired.bindings.length,
      users: desired.users.length,
      permissions: desired.permissions.length,
    };
    log(`topology: ${JSON.stringify(counts)}`);
    const definitions = {
      exchanges: desired.exchanges.map(e => ({
        name: e.name,
        vhost: buildVhost,
        type: e.type,
        durable: true,
        auto_delete: false,
        internal: false,
        arguments: {},
      })),
      queues: desired.queues.map(q => ({
        name: q.name,
        vhost: buildVhost,
        durable: true,
        auto_delete: false,
        arguments: q.arguments,
      })),
      policies: desired.policies.map(p => ({
        name: p.name,
        vhost: buildVhost,
        pattern: p.pattern,
        'apply-to': p.applyTo,
        priority: p.priority,
        definition: p.definition,
      })),
      bindings: desired.bindings.map(b => ({
        source: b.source,
        vhost: buildVhost,
        destination: b.destination,
        destination_type: 'queue',
        routing_key: b.routingKey,
        arguments: {},
      })),
      users: desired.users.map(u => ({
        name: u.name,
        password_hash: '',
        hashing_algorithm: 'rabbit_password_hashing_sha256',
        tags: '',
      })),
      permissions: desired.permissions.map(p => ({
        user: p.user,
        vhost: buildVhost,
        configure: p.configure,
        write: p.write,
        read: p.read,
      })),
      topic_permissions: desired.permissions.flatMap(p =>
        p.topic.map(t => ({ user: p.user, vhost: buildVhost, ...t })),
      ),
    };
    const documentBytes = Buffer.byteLength(JSON.stringify(definitions));
    log(`definitions document: ${(documentBytes / 2 ** 20).toFixed(1)} MiB`);
    let started = Date.now();
    let floorMs = NaN;
    // One definitions import into `into` (the whole document in the native mode: a vhost's
    // import leaves users out, and every object names its vhost); returns the request it made.
    const importDefinitions = async (into: string) => {
      await slow.postDefinitions(definitions as any, native ? undefined : into);
      return `POST /api/definitions${native ? '' : `/${into}`}`;
    };
    if (options.prebuilt) {
      await admin.putVhost(vhost);
      await admin.putPermissions(vhost, node.admin.username, {
        configure: '.*',
        write: '.*',
        read: '.*',
      });
      const request = await importDefinitions(vhost);
      floorMs = Date.now() - started;
      log(
        `prebuilt: ${request} built the broker in ${seconds(
          floorMs,
        )} (this is the floor)`,
      );
    } else if (options.noFloor) {
      log('floor: left out (--no-floor)');
    } else {
      await admin.putVhost(floorVhost);
      const request = await importDefinitions(floorVhost);
      floorMs = Date.now() - started;
      log(`floor: ${request} took ${seconds(floorMs)}`);
    }
    const resources = await nodeResources(node);
    log(`RabbitMQ node: ${describeResources(resources)}`);
    if (resources.memAlarm) {
      throw new Error(
        'the RabbitMQ node raised its memory alarm: publishers would be blocked',
      );
    }
    if (!options.prebuilt && !options.noFloor) {
      started = Date.now();
      await slow.deleteVhost(floorVhost);
      for (const user of definitions.users) {
        await admin.deleteUser(user.name, { ignoreNotFound: true });
      }
      log(
        `(deleting the floor's vhost and users took ${seconds(
          Date.now() - started,
        )})`,
      );
    }

    // --- converge from an empty vhost through the proxy (or record the prebuilt broker)
    if (!options.prebuilt) {
      await admin.putVhost(vhost);
      await admin.putPermissions(vhost, node.admin.username, {
        configure: '.*',
        write: '.*',
        read: '.*',
      });
    }
    const proxy = await ManagementProxy.start({ target: node.managementUrl });
    closers.push(() => proxy.close());
    // A full pass lists every queue and binding: 40,000 and 140,000 of them at --scale 10.
    const client = ManagementClient.create({
      baseUrl: proxy.url,
      ...node.admin,
      headersTimeoutMs: 300_000,
      bodyTimeoutMs: 300_000,
    });
    closers.push(() => client.close());
    // --verbose: the reconciler's own lines too (each writing pass with its timings).
    const logger = mockServices.rootLogger({
      level: options.verbose ? 'debug' : 'warn',
    });
    const passDurations = { full: [] as number[], incremental: [] as number[] };
    // Each pass with when it ended: the trials say which passes ran while they waited.
    const passLog: Array<{
      mode: 'full' | 'incremental';
      endedAt: number;
      ms: number;
    }> = [];
    const reconciler = Reconciler.create({
      metrics: {
        pass: (_outcome, durationMs, mode) => {
          passDurations[mode].push(durationMs);
          passLog.push({ mode, endedAt: Date.now(), ms: durationMs });
        },
        write: () => undefined,
        pending: () => undefined,
      },
      store: reconcilerStore,
      broker: ManagementBrokerApi.create({
        client,
        username: node.admin.username,
      }),
      logger,
      topology: topologyOptions(vhost),
      concurrency: options.concurrency,
      backoffBaseMs: 200,
      backoffCapMs: 5_000,
    });
    started = Date.now();
    let passes = 0;
    let lastWritingPassEnd = started;
    let totalWrites = 0;
    let convergeMs = NaN;
    let confirmedMs = NaN;
    let prebuilt: Record<string, unknown> | undefined;
    if (options.prebuilt) {
      // The objects exist and match, none is recorded: a full pass adopts each one, and
      // records it as the reconciler records what it manages. A second full pass must
      // then find nothing to write, as after converging.
      let stalls = watchStalls();
      const adoption = await reconciler.pass();
      const adoptionMs = Date.now() - started;
      const adoptionStalls = stalls.stop();
      const recorded = await recordedStatus(db);
      log(
        `prebuilt: the adopting full pass took ${seconds(adoptionMs)}, ${
          adoption.writes
        } broker writes; ` +
          `${recorded.managed} objects recorded as managed (${
            recorded.notReady
          } not ready) for ${desiredObjectCount(counts)} desired; ${stallLine(adoptionStalls)}`,
      );
      started = Date.now();
      stalls = watchStalls();
      const verification = await reconciler.pass();
      const verificationMs = Date.now() - started;
      const verificationStalls = stalls.stop();
      const after = await recordedStatus(db);
      const converged =
        adoption.writes === 0 &&
        verification.writes === 0 &&
        after.notReady === 0 &&
        after.managed >= desiredObjectCount(counts);
      log(
        `prebuilt: verifying full pass: ${
          verification.writes
        } writes in ${seconds(verificationMs)}; ${
          converged
            ? 'the broker and the records are as converging leaves them'
            : `NOT CONVERGED: ${verification.writes} writes, ${after.notReady} objects not ready, ${after.managed} managed — the figures below do not start from a converged broker`
        }; ${stallLine(verificationStalls)}`,
      );
      prebuilt = {
        buildMs: floorMs,
        documentBytes,
        adoption: {
          ms: adoptionMs,
          writes: adoption.writes,
          stalls: adoptionStalls,
          ...recorded,
        },
        verification: {
          ms: verificationMs,
          writes: verification.writes,
          stalls: verificationStalls,
          ...after,
        },
        converged,
      };
    } else {
      for (;;) {
        const result = await reconciler.pass();
        passes++;
        totalWrites += result.writes;
        if (result.writes > 0) lastWritingPassEnd = Date.now();
        if (result.writes === 0 && result.retryAt === undefined) break;
        if (result.retryAt !== undefined) {
          await new Promise(r =>
            setTimeout(r, Math.max(0, result.retryAt! - Date.now())),
          );
        }
        if (Date.now() - started > 30 * 60_000)
          throw new Error('no convergence within 30 min');
      }
      convergeMs = lastWritingPassEnd - started;
      confirmedMs = Date.now() - started;
      log(
        `converge: ${seconds(
          convergeMs,
        )} to the full topology (${totalWrites} writes in ${
          passes - 1
        } writing passes; ${seconds(
          confirmedMs,
        )} including the pass that confirmed it)${
          options.noFloor
            ? ''
            : ` = ${(convergeMs / floorMs).toFixed(2)}x the floor`
        }`,
      );
    }

    // --- the broker's own CPU with nothing happening: what the topology costs it by itself
    // (queue processes, the management agent collecting every queue's statistics), the
    // background the trials' figures below run on.
    let brokerIdle: (CpuWindow & { percentOfCore: number }) | undefined;
    if (options.brokerIdleSeconds > 0 && node.brokerPid !== undefined) {
      const timeline = CpuTimeline.start({ pids: { broker: node.brokerPid }, intervalMs: 1_000 });
      const from = Date.now();
      await sleep(options.brokerIdleSeconds * 1000);
      const to = Date.now();
      // The closing sample now, rather than waiting for the timer's next one.
      timeline.sample();
      timeline.stop();
      const window = timeline.between(from, to);
      if (window) {
        brokerIdle = { ...window, percentOfCore: ((window.cpuMs.broker ?? 0) / window.ms) * 100 };
        log(
          `idle broker (collect_statistics_interval ${options.statisticsInterval} ms): ${brokerIdle.percentOfCore.toFixed(
            1,
          )} % of a core over ${seconds(window.ms)}; ${describeCpuWindow(window)}`,
        );
      }
    }

    // --- one idle pass
    proxy.clear();
    started = Date.now();
    const idleStallWatch = watchStalls();
    const idle = await reconciler.pass();
    const idlePassMs = Date.now() - started;
    const idleStalls = idleStallWatch.stop();
    const idleTally = proxy.tally();
    log(
      `idle pass: ${proxy.requests.length} requests (${
        proxy.writes().length
      } writes) in ${idlePassMs} ms: ${JSON.stringify(
        idleTally,
      )}; writes reported ${idle.writes}; ${stallLine(idleStalls)}`,
    );

    // --- idle incremental passes: nothing changed since the last pass, nothing to read. One
    // pass is one sample (a garbage collection after the full passes lands in it): the median of
    // IDLE_INCREMENTAL_PASSES, with the first and the spread.
    proxy.clear();
    const idleIncrementalSamples: number[] = [];
    let idleIncrementalMode = '';
    for (let i = 0; i < IDLE_INCREMENTAL_PASSES; i++) {
      started = performance.now();
      idleIncrementalMode = (await reconciler.pass({ mode: 'incremental' })).mode;
      idleIncrementalSamples.push(Math.round((performance.now() - started) * 10) / 10);
    }
    const idleIncrementalMs = median(idleIncrementalSamples);
    log(
      `idle incremental pass (${idleIncrementalMode}): ${proxy.requests.length} requests in ${IDLE_INCREMENTAL_PASSES} passes; median ${idleIncrementalMs} ms (first ${
        idleIncrementalSamples[0]
      }, min ${Math.min(...idleIncrementalSamples)}, max ${Math.max(...idleIncrementalSamples)})`,
    );

    // --- latency trials with the runner, woken by the store
    const watcher = await StateWatcher.create({ store, logger });
    closers.push(() => watcher.stop());
    const runner = ReconcilerRunner.create({
      reconciler,
      watcher,
      lease: DatabaseLeaderLease.create({ store, logger }),
      logger,
      // As production runs it: a change that lands while a full pass plans (seconds at full
      // scale) waits for it, which at a resync a minute would decide the p95.
      resyncMs: production.resyncSeconds * 1000,
    });
    passDurations.full.length = 0;
    passDurations.incremental.length = 0;
    runner.start();
    closers.push(() => runner.stop());
    // The backend process: the catalog with BROM's module reads the same store; its own
    // reconciler runner stands by while the benchmark's holds the lease, and takes over for
    // the idle phase.
    let catalog: CatalogProbe | undefined;
    let catalogSteps: CatalogStepsProbe | undefined;
    let sidecar: SidecarProbe | undefined;
    if (!options.noCatalog) {
      await pollUntil(
        async () =>
          (await leaseHolder(db))?.startsWith(`${process.pid}-`)
            ? true
            : undefined,
        {
          timeoutMs: 120_000,
          intervalMs: 100,
          describe: () =>
            "the benchmark's runner did not take the reconciler lease",
        },
      );
      backendDir = await mkdtemp(join(tmpdir(), 'bench-reconciler-'));
      const [port] = await findFreePorts(1);
      const token = randomUUID();
      // The sidecar's own token: the feed's routes accept only brom.authz.sidecarSubjects.
      const sidecarToken = randomUUID();
      started = Date.now();
      phases.push({ name: 'start and catalog ingestion', from: started });
      backend = await BackendProcess.start({
        port,
        database,
        dir: backendDir,
        name: 'backend',
        main: FULL_BACKEND_MAIN,
        // Its log's stall lines from 100 ms: the trials say which ran while they waited.
        env: { BROM_BENCH_STALL_LOG_MS: String(TRIAL_STALL_MS) },
        brom: {
          broker: {
            managementUrl: node.managementUrl,
            username: node.admin.username,
            password: node.admin.password,
            vhost,
            prefix: 'brom.',
            queueType: options.queueType,
            policyPriority: 10,
            // A full pass's listings at --scale 10 take longer than the default 10 s.
            requestTimeoutMs: 300_000,
          },
          authz: { mode: options.authz },
          // The catalog module's full mutation as production schedules it.
          catalog: production.bromCatalog,
          // The full resync as production runs it.
          reconciler: {
            concurrency: options.concurrency,
            resyncSeconds: production.resyncSeconds,
          },
        },
        config: {
          app: { baseUrl: 'http://127.0.0.1:3000' },
          backend: {
            auth: {
              externalAccess: [
                { type: 'static', options: { token, subject: 'bench' } },
                {
                  type: 'static',
                  options: { token: sidecarToken, subject: 'brom-sidecar' },
                },
              ],
            },
          },
          // As app-config.production.yaml has it, unless --catalog-processing-seconds.
          catalog: {
            ...production.catalog,
            ...(options.catalogProcessingSeconds !== undefined
              ? {
                  processingInterval: {
                    seconds: options.catalogProcessingSeconds,
                  },
                }
              : {}),
          },
        },
      });
      log(
        `backend (catalog + BROM's catalog module, permissions, notifications, signals, BROM): pid ${
          backend.pid
        }, answering after ${seconds(
          Date.now() - started,
        )}; catalog processing interval ${
          options.catalogProcessingSeconds === undefined
            ? 'as in app-config.production.yaml (30 min)'
            : `${options.catalogProcessingSeconds} s`
        }; full resync every ${production.resyncSeconds} s as in app-config.production.yaml; log ${backend.logFile}`,
      );
      catalog = new CatalogProbe(`http://127.0.0.1:${port}`, token);
      // The catalog's own tables, to split the relation's wait into its pipeline's steps.
      const catalogDb = knexFactory({
        client: 'pg',
        connection: {
          ...database.connection,
          database: `${database.name}_catalog`,
        },
        pool: { min: 0, max: 2 },
      });
      closers.push(() => catalogDb.destroy());
      catalogSteps = new CatalogStepsProbe(catalogDb);
      // One real sidecar on the backend's feed: the compiled build, as production runs it,
      // with the feed's production settings (long polls of 30 s).
      const buildMs = buildSidecar();
      started = Date.now();
      const sidecarProcess = await startSidecarProcess({
        portalUrl: `http://127.0.0.1:${port}`,
        token: sidecarToken,
        snapshotPath: join(backendDir, 'sidecar', 'authz-snapshot.json'),
        build: 'compiled',
        readyTimeoutMs: 10 * 60_000 * Math.max(1, options.scale),
      });
      closers.push(() => sidecarProcess.stop());
      sidecar = new SidecarProbe(sidecarProcess);
      log(
        `sidecar (compiled build, built in ${seconds(buildMs)}): pid ${
          sidecarProcess.pid
        }, serving version ${await sidecar.version()} after ${seconds(
          Date.now() - started,
        )}`,
      );
    }
    // The portal's last commit: its state version, and when it was committed.
    let lastCommit = { version: 0, at: 0 };
    let commitsCounted = 0;
    notifyCommit = v => {
      lastCommit = { version: v, at: Date.now() };
      commitsCounted++;
      watcher.notifyLocal(v);
    };
    const tick = prebuiltTick ?? (await createLatencyProducer());
    if (catalog) {
      // Everything ingested first, so that the trials' changes do not queue behind it.
      const expected = await expectedEntities(db);
      started = Date.now();
      let reported = started;
      await pollUntil(
        async () => {
          const [components, apis] = await Promise.all([
            catalog!.count('component'),
            catalog!.count('api'),
          ]);
          if (Date.now() - reported >= 30_000) {
            log(
              `  catalog: ${components} of ${
                expected.components
              } components, ${apis} of ${expected.apis} APIs after ${seconds(
                Date.now() - started,
              )}`,
            );
            reported = Date.now();
          }
          return components >= expected.components && apis >= expected.apis
            ? true
            : undefined;
        },
        {
          timeoutMs: Math.max(1, options.scale) * 60 * 60_000,
          intervalMs: 2_000,
          describe: () =>
            `the catalog did not show every application and type:\n${backend?.logTail()}`,
        },
      );
      log(
        `catalog: all ${expected.components} components and ${
          expected.apis
        } APIs shown after ${seconds(Date.now() - started)}`,
      );
    }
    const publisher = await amqplib.connect(node.amqpUrl(vhost));
    closers.push(() => publisher.close());
    const pubChannel = await publisher.createChannel();
    const approveMs: number[] = [];
    const revokeMs: number[] = [];
    const catalogMs: number[] = [];
    // The sidecar: commit -> it serves that version; the revocation's commit -> it denies.
    const sidecarMs = {
      approvalHeld: [] as number[],
      revocationHeld: [] as number[],
      revocationDenied: [] as number[],
    };
    // Each step of a trial waits for its outcome this long at most: a new consumer's policy
    // write takes longer the more queues and policies the broker has.
    const stepBoundMs = 120_000 * Math.max(1, options.scale);
    // The sidecars' feed, built as its route builds it (from the build before, by the
    // changes since), and the delta from the version before a change (what a sidecar holding
    // that version is sent); the whole snapshot's size as a sidecar without one is sent it.
    const feed = {
      buildMs: [] as number[],
      wholeBuildMs: [] as number[],
      wholeBytes: [] as number[],
      approveBytes: [] as number[],
      revokeBytes: [] as number[],
    };
    const feedBuilder = AuthzSnapshotBuilder.create({
      store,
      logger: logger.child({ component: 'authz-feed' }),
      vhost,
      prefix: 'brom.',
    });
    const feedSnapshot = async () => {
      const begun = performance.now();
      const built = await feedBuilder.current();
      (built.from === undefined ? feed.wholeBuildMs : feed.buildMs).push(
        Math.round((performance.now() - begun) * 10) / 10,
      );
      feed.wholeBytes.push(Buffer.byteLength(built.policy.body()));
      return built;
    };
    const deltaBytes = (
      from: Awaited<ReturnType<typeof feedSnapshot>>,
      to: Awaited<ReturnType<typeof feedSnapshot>>,
    ) =>
      Buffer.byteLength(
        authzSnapshotDeltaBody(from.policy.entries, {
          snapshot: to.policy.head,
          entries: to.policy.entries,
        }),
      );
    const revokeSteps: string[] = [];
    const poll = async (
      check: () => Promise<boolean>,
      what: string,
      withinMs = stepBoundMs,
    ) => {
      const deadline = Date.now() + withinMs;
      while (!(await check())) {
        if (Date.now() > deadline)
          throw new Error(`not within ${withinMs} ms: ${what}`);
        await new Promise(r => setTimeout(r, 5));
      }
    };
    // The benchmark's runner must still hold the reconciler lease, else the backend's runner
    // reconciles during the trials and the passes below are not theirs (a loaded machine can
    // stall this process past the lease).
    const leaseAtTrials = await leaseHolder(db);
    if (!leaseAtTrials?.startsWith(`${process.pid}-`)) {
      log(
        `WARNING: the reconciler lease is held by ${leaseAtTrials} (not this process, ${process.pid}): the backend's runner reconciles the trials; the passes and broker requests below are not theirs`,
      );
    }
    const trialsStarted = Date.now();
    phases.push({ name: 'trials', from: trialsStarted });
    // Passes during the trials only: the runner started before the catalog's first ingestion,
    // which at --scale 10 takes longer than a resync interval.
    passDurations.full.length = 0;
    passDurations.incremental.length = 0;
    commitsCounted = 0;
    const sidecarCpuBefore = sidecar && processCpu(sidecar.process.pid);
    // Where each trial's time went: the processes' CPU, the passes, the event-loop stalls.
    const timeline = CpuTimeline.start({
      pids: {
        bench: process.pid,
        backend: backend?.pid,
        sidecar: sidecar?.process.pid,
        broker: node.brokerPid,
      },
    });
    closers.push(async () => timeline.stop());
    const benchStalls: Array<{ at: number; ms: number }> = [];
    const trialStallWatch = watchStalls({
      tickMs: 20,
      onStall: ({ ms }) => {
        if (ms >= TRIAL_STALL_MS) benchStalls.push({ at: Date.now() - ms, ms });
      },
    });
    closers.push(async () => void trialStallWatch.stop());
    const trials: TrialTimes[] = [];
    for (let trial = 0; trial < options.trials; trial++) {
      const name = `lat-${trial}`;
      const requested = prepared.get(name) ?? (await prepareTrial(name));
      await poll(
        () =>
          admin.getQueue(vhost, `brom.${name}`).then(
            () => true,
            () => false,
          ),
        `queue of ${name}`,
      );
      const issued = await portal.credentials.createCredential(BOB, name, {});
      const username = issued.credential.username;
      // Admitted by the allow server on the auth port; in the native mode once the reconciler
      // has written the user and its read permission (authorisation is the broker's own).
      let opened: amqplib.ChannelModel | undefined;
      await poll(async () => {
        opened = await amqplib
          .connect(node.amqpUrl(vhost, username, 'bench'))
          .catch(() => undefined);
        return opened !== undefined;
      }, `${username} admitted`);
      const connection = opened!;
      let closedAt: number | undefined;
      connection.on('error', () => undefined);
      connection.on('close', () => {
        closedAt = Date.now();
      });
      const channel = await connection.createChannel();
      channel.on('error', () => undefined);
      let receivedAt: number | undefined;
      await channel.consume(`brom.${name}`, m => {
        receivedAt ??= Date.now();
        if (m) channel.ack(m);
      });
      // An established connection, as the management API lists it.
      await poll(
        async () => (await admin.listUserConnections(username)).length > 0,
        `connection of ${username} listed`,
      );
      // A random phase against the catalog's polls (see Options.approvalJitterMs).
      const jitterMs = Math.round(Math.random() * options.approvalJitterMs);
      await sleep(jitterMs);
      const publishing = setInterval(
        () =>
          pubChannel.publish(
            'brom.lat-producer',
            `tick.${trial}`,
            Buffer.from('x'),
          ),
        2,
      );
      const beforeApproval = await feedSnapshot();
      let approvedAt = Date.now();
      await portal.subscriptions.approveSubscription(ALICE, requested.id, {
        generation: requested.generation,
      });
      const committedAt = Date.now();
      const approvalCommit = lastCommit;
      const approvalHeld = sidecar
        ?.heldAt(approvalCommit.version, stepBoundMs)
        .then(
          at => ({ at }),
          (error: unknown) => ({ error }),
        );
      const apiRef = `api:default/lat-producer.${tick.name}`;
      const steps = catalogSteps?.watch(`component:default/${name}`, apiRef);
      const relationShown = catalog
        ?.relationShownAt(name, 'consumesApi', apiRef, stepBoundMs)
        .then(
          at => ({ at }),
          (error: unknown) => ({ error }),
        );
      try {
        await poll(
          async () => receivedAt !== undefined,
          `${name} received a message`,
        );
      } finally {
        clearInterval(publishing);
      }
      approveMs.push(receivedAt! - approvedAt);
      const approval: TrialTimes['approval'] = {
        jitterMs,
        startedAt: approvedAt,
        committedAt,
        commitAt: approvalCommit.at,
        firstMessageAt: receivedAt!,
      };
      if (relationShown) {
        const shown = await relationShown;
        if ('error' in shown) throw shown.error;
        catalogMs.push(shown.at - committedAt);
        approval.catalogAt = shown.at;
        approval.catalogSteps = await steps?.stop();
      }
      if (approvalHeld) {
        const held = await approvalHeld;
        if ('error' in held) throw held.error;
        sidecarMs.approvalHeld.push(held.at - approvalCommit.at);
        approval.sidecarHeldAt = held.at;
      }
      feed.approveBytes.push(deltaBytes(beforeApproval, await feedSnapshot()));
      const current = await portal.subscriptions.getSubscription(
        ALICE,
        requested.id,
      );
      await portal.subscriptions.revokeSubscription(ALICE, requested.id, {
        generation: current.generation,
        reason: 'bench',
      });
      // Revoking the subscription leaves the consumer connected (it still reads its queue);
      // revoking its credential withdraws its access and closes the connection.
      const beforeRevocation = await feedSnapshot();
      // The sidecar admits the credential before it is revoked (it has the issuing version).
      await sidecar?.answeredAt(username, issued.secret, 'allow', stepBoundMs);
      approvedAt = Date.now();
      await portal.credentials.revokeCredential(
        BOB,
        name,
        issued.credential.id,
      );
      const revocationCommit = lastCommit;
      const revocationSeen =
        sidecar &&
        Promise.all([
          sidecar.heldAt(revocationCommit.version, stepBoundMs),
          sidecar.answeredAt(username, issued.secret, 'deny', stepBoundMs),
        ]).then(
          ([heldAt, deniedAt]) => ({ heldAt, deniedAt }),
          (error: unknown) => ({ error }),
        );
      await poll(
        async () => closedAt !== undefined,
        `${name}'s connection closed`,
      );
      revokeMs.push(closedAt! - approvedAt);
      const revocation: TrialTimes['revocation'] = {
        startedAt: approvedAt,
        commitAt: revocationCommit.at,
        closedAt: closedAt!,
      };
      if (revocationSeen) {
        const seen = await revocationSeen;
        if ('error' in seen) throw seen.error;
        sidecarMs.revocationHeld.push(seen.heldAt - revocationCommit.at);
        sidecarMs.revocationDenied.push(seen.deniedAt - revocationCommit.at);
        revocation.sidecarHeldAt = seen.heldAt;
        revocation.sidecarDeniedAt = seen.deniedAt;
      }
      trials.push({ trial, approval, revocation });
      feed.revokeBytes.push(deltaBytes(beforeRevocation, await feedSnapshot()));
      // Where the time went: the reconciler's requests after the revocation, relative to it.
      const after = proxy.requests.filter(r => r.startedAt >= approvedAt);
      const at = (r: { startedAt: number; finishedAt?: number } | undefined) =>
        r
          ? `${r.startedAt - approvedAt}–${
              (r.finishedAt ?? NaN) - approvedAt
            } ms`
          : 'none';
      revokeSteps.push(
        `delete permissions ${at(
          after.find(
            r =>
              r.method === 'DELETE' && r.path.startsWith('/api/permissions/'),
          ),
        )}, ` +
          `delete binding ${at(
            after.find(
              r => r.method === 'DELETE' && r.path.startsWith('/api/bindings/'),
            ),
          )}, ` +
          `list connections ${at(
            after.find(
              r => r.method === 'GET' && r.path.startsWith('/api/connections'),
            ),
          )}, ` +
          `close ${at(
            after.find(
              r =>
                r.method === 'DELETE' && r.path.startsWith('/api/connections/'),
            ),
          )}, ` +
          `closed event ${closedAt! - approvedAt} ms`,
      );
    }
    trialStallWatch.stop();
    // A last sample after the last trial's last window.
    await sleep(100);
    timeline.stop();
    const explained = explainTrials(trials, {
      timeline,
      passLog,
      benchStalls,
      backendStalls: backend ? backendLogStalls(backend.logFile) : [],
      requests: proxy.requests,
    });
    let sidecarCpu:
      | { cpuSeconds: number; commits: number; msPerCommit: number }
      | undefined;
    if (sidecar && sidecarCpuBefore) {
      const after = processCpu(sidecar.process.pid);
      const cpuSeconds =
        after.userSeconds +
        after.systemSeconds -
        sidecarCpuBefore.userSeconds -
        sidecarCpuBefore.systemSeconds;
      sidecarCpu = {
        cpuSeconds,
        commits: commitsCounted,
        msPerCommit: (cpuSeconds * 1000) / Math.max(1, commitsCounted),
      };
    }
    const summary = (values: number[]) =>
      `p50 ${Math.round(percentile(values, 50))} ms, p95 ${Math.round(
        percentile(values, 95),
      )} ms (min ${Math.min(...values)}, max ${Math.max(...values)}, n ${
        values.length
      })`;
    log(
      `approve -> first message (${options.authz} mode): ${summary(approveMs)}`,
    );
    log(
      `credential revoked -> connection closed (${
        options.authz
      } mode): ${summary(revokeMs)}`,
    );
    if (catalog) {
      log(
        `approval committed -> the catalog shows the consumer's consumesApi relation: ${summary(
          catalogMs,
        )}`,
      );
      log(
        `  its steps, each from the one before (sampled every 20 ms): ${describeCatalogSteps(
          trials,
          summary,
        )}`,
      );
    }
    if (sidecar && sidecarCpu) {
      log(
        `approval committed -> the sidecar serves that version: ${summary(
          sidecarMs.approvalHeld,
        )}`,
      );
      log(
        `credential revocation committed -> the sidecar serves that version: ${summary(
          sidecarMs.revocationHeld,
        )}; -> its /auth/user denies the credential: ${summary(
          sidecarMs.revocationDenied,
        )}`,
      );
      log(
        `sidecar CPU during the trials: ${sidecarCpu.cpuSeconds.toFixed(
          2,
        )} CPU s for ${
          sidecarCpu.commits
        } committed changes = ${sidecarCpu.msPerCommit.toFixed(
          1,
        )} ms per change (from /proc/${
          sidecar.process.pid
        }/stat; includes answering the benchmark's probes every 5 ms while it waits)`,
      );
    }
    const bytes = (values: number[]) =>
      `p50 ${Math.round(percentile(values, 50))} B (max ${Math.max(
        ...values,
      )})`;
    log(
      `authz feed: snapshot build from the one before ${summary(
        feed.buildMs,
      )} (built whole: ${summary(feed.wholeBuildMs)}); whole snapshot ${bytes(
        feed.wholeBytes,
      )}; ` +
        `delta of an approval ${bytes(
          feed.approveBytes,
        )}, of a credential revocation ${bytes(feed.revokeBytes)}`,
    );
    log(
      `where the trials waited (each window's CPU per process and the machine's busy CPUs, the reconciler's passes and broker writes, event-loop stalls):`,
    );
    for (const [name, windows] of Object.entries(explained)) {
      if (!windows.length) continue;
      const sorted = [...windows].sort((a, b) => a.ms - b.ms);
      const slowest = sorted.slice(
        -Math.max(2, Math.ceil(sorted.length / 10)),
      );
      log(`  ${name}: median ${describeExplained(sorted[Math.floor((sorted.length - 1) / 2)])}`);
      for (const w of slowest.reverse()) log(`    slow: ${describeExplained(w)}`);
    }
    if (options.verbose) {
      for (const steps of revokeSteps) log(`  revoke: ${steps}`);
      const slowest = proxy.requests
        .filter(r => r.startedAt >= trialsStarted && r.finishedAt !== undefined)
        .map(r => ({
          what: `${r.method} ${decodeURIComponent(r.path)}`,
          ms: r.finishedAt! - r.startedAt,
        }))
        .sort((a, b) => b.ms - a.ms)
        .slice(0, 8);
      log(
        `slowest reconciler requests during the trials: ${slowest
          .map(r => `${r.what} ${r.ms} ms`)
          .join('; ')}`,
      );
    }
    log(
      `passes during the trials: ${
        passDurations.incremental.length
      } incremental (${summary(passDurations.incremental)}), ${
        passDurations.full.length
      } full (store read, plan and status after a background observation: ${
        passDurations.full.length ? summary(passDurations.full) : 'none'
      })`,
    );

    let idleCpu: IdleCpu | undefined;
    if (backend && options.idleSeconds > 0) {
      // The backend takes the reconciler over and runs its first full pass; then it idles:
      // the catalog's own processing loop, BROM's change long-polls, the full resyncs (as production sets them),
      // notification checks, the lease renewals.
      const handingOver = Date.now();
      phases.push({ name: "handover and the backend's first full pass", from: handingOver });
      await runner.stop();
      const pid = backend.pid;
      await pollUntil(
        async () =>
          (await leaseHolder(db))?.startsWith(`${pid}-`) ? true : undefined,
        {
          timeoutMs: 120_000,
          intervalMs: 250,
          describe: () =>
            `the backend did not take the reconciler lease over:\n${backend?.logTail()}`,
        },
      );
      const tookOver = Date.now();
      await pollUntil(
        async () =>
          (await observedAt(db, vhost)) > handingOver ? true : undefined,
        {
          timeoutMs: Math.max(1, options.scale) * 30 * 60_000,
          intervalMs: 500,
          describe: () =>
            `the backend's first full pass did not end:\n${backend?.logTail()}`,
        },
      );
      log(
        `idle backend: took the reconciler over ${seconds(
          tookOver - handingOver,
        )} after the benchmark's runner stopped; its first full pass ended ${seconds(
          Date.now() - tookOver,
        )} later; settling ${seconds(SETTLE_MS)}`,
      );
      await sleep(SETTLE_MS);
      const before = processCpu(pid);
      const windowStart = Date.now();
      phases.push({ name: 'idle window', from: windowStart });
      const cpuOf = (c: ReturnType<typeof processCpu>) => c.userSeconds + c.systemSeconds;
      const slotCpuSeconds: number[] = [];
      let last = before;
      for (let slot = 1; Date.now() - windowStart < options.idleSeconds * 1000; slot++) {
        await sleep(
          Math.max(0, Math.min(windowStart + slot * IDLE_SLOT_MS, windowStart + options.idleSeconds * 1000) - Date.now()),
        );
        const now = processCpu(pid);
        slotCpuSeconds.push(cpuOf(now) - cpuOf(last));
        last = now;
      }
      const after = last;
      const windowMs = Date.now() - windowStart;
      const medianSlot = [...slotCpuSeconds].sort((a, b) => a - b)[Math.floor(slotCpuSeconds.length / 2)] ?? 0;
      const bursts = slotCpuSeconds
        .map((cpuSeconds, i) => ({ atSeconds: (i * IDLE_SLOT_MS) / 1000, cpuSeconds }))
        .filter(b => b.cpuSeconds > 2 * medianSlot && b.cpuSeconds > 0.05);
      const cpuSeconds =
        after.userSeconds +
        after.systemSeconds -
        before.userSeconds -
        before.systemSeconds;
      idleCpu = {
        windowMs,
        cpuSeconds,
        userSeconds: after.userSeconds - before.userSeconds,
        systemSeconds: after.systemSeconds - before.systemSeconds,
        percentOfCore: (cpuSeconds / (windowMs / 1000)) * 100,
        rssMiB: after.rssMiB,
        loadAverage: loadavg()[0],
        slotCpuSeconds,
        steadyPercentOfCore: (medianSlot / (IDLE_SLOT_MS / 1000)) * 100,
        bursts,
      };
      log(
        `idle backend CPU: ${cpuSeconds.toFixed(
          2,
        )} CPU s (user ${idleCpu.userSeconds.toFixed(
          2,
        )}, system ${idleCpu.systemSeconds.toFixed(2)}) over ${seconds(
          windowMs,
        )} = ${idleCpu.percentOfCore.toFixed(
          2,
        )} % of a core (from /proc/${pid}/stat); RSS ${Math.round(
          after.rssMiB,
        )} MiB; machine load average ${idleCpu.loadAverage.toFixed(1)} (1 min)`,
      );
      const burstCpu = bursts.reduce((sum, b) => sum + b.cpuSeconds, 0);
      log(
        `  steady (median ${IDLE_SLOT_MS / 1000} s slot): ${idleCpu.steadyPercentOfCore.toFixed(
          2,
        )} % of a core; ${bursts.length} slots above twice that hold ${burstCpu.toFixed(
          2,
        )} CPU s (${((burstCpu / cpuSeconds) * 100).toFixed(0)} % of the window's): ${bursts
          .map(b => `+${b.atSeconds} s ${b.cpuSeconds.toFixed(2)}`)
          .join(', ')}`,
      );
    }

    let backendStalls: ReturnType<typeof stallsByPhase> | undefined;
    if (backend) {
      backendStalls = stallsByPhase(backend.logFile, phases, Date.now());
      log(
        `backend event-loop stalls of 1 s or more (its log's [event-loop-stall] lines): ${backendStalls
          .map(p => `${p.name} ${p.count}${p.count ? ` (longest ${p.longestMs} ms)` : ''}`)
          .join('; ')}; catalog reads sent again after a connection reset: ${catalog?.retries ?? 0}`,
      );
      const leaseLines = readFileSync(backend.logFile, 'utf8')
        .split('\n')
        .filter(line => /reconciler lease|stops running the BROM reconciler/.test(line));
      if (leaseLines.length) {
        log(`backend lease lines:\n${leaseLines.slice(0, 10).join('\n')}`);
      }
    }

    if (options.json) {
      await writeFile(
        options.json,
        JSON.stringify(
          {
            authz: options.authz,
            shape,
            seedMs,
            counts,
            floorMs,
            convergeMs,
            confirmedMs,
            passes,
            totalWrites,
            idle: { requests: idleTally, ms: idlePassMs, stalls: idleStalls },
            idleIncremental: { ms: idleIncrementalMs, samples: idleIncrementalSamples },
            brokerIdle: brokerIdle && { statisticsIntervalMs: options.statisticsInterval, brokerConfig, ...brokerIdle },
            passDurations,
            prebuilt,
            resources,
            approveMs,
            revokeMs,
            catalogMs,
            sidecar: sidecar ? { ...sidecarMs, cpu: sidecarCpu } : undefined,
            idleCpu,
            feed,
            revokeSteps,
            backendStalls,
            trials,
            explained,
          },
          null,
          2,
        ),
      );
    }
    // The sidecar keeps its snapshot in the backend's directory: stopped first.
    await sidecar?.process.stop();
    if (backendDir) await rm(backendDir, { recursive: true, force: true });
  } catch (error) {
    if (backend)
      log(`the backend's log: ${backend.logFile}\n${backend.logTail()}`);
    throw error;
  } finally {
    await backend?.stop().catch(() => undefined);
    for (const close of closers.reverse()) await close().catch(() => undefined);
    await knex?.destroy().catch(() => undefined);
    if (database) await dropPluginDatabases(database).catch(() => undefined);
    await database?.drop().catch(() => undefined);
    await node.stop();
  }
}

main().then(
  () => process.exit(0),
  error => {
    console.error(error);
    process.exit(1);
  },
);

/** What a full pass held the benchmark's event loop for (the lease's renewal timer waits that long). */
function stallLine(report: StallReport): string {
  const long = report.long.map(s => `${s.ms} ms at ${seconds(s.atMs)}`).join(', ');
  return `longest event-loop stall ${report.longestMs} ms (${report.overOneSecond} of 1 s or more, ${seconds(
    report.totalOverOneSecondMs,
  )} in all${long ? `: ${long}` : ''})`;
}

/**
 * The backend's event-loop stalls of a second or more (fullBackendMain logs each as
 * `[event-loop-stall] {"at":…,"ms":…}`), counted by the phase of the run they began in.
 */
function stallsByPhase(
  logFile: string,
  phases: Array<{ name: string; from: number }>,
  end: number,
): Array<{ name: string; count: number; longestMs: number; stalls: Array<{ at: string; ms: number }> }> {
  // The log holds shorter stalls too (from TRIAL_STALL_MS, for the trials).
  const stalls = backendLogStalls(logFile).filter(st => st.ms >= 1000);
  return phases.map((phase, i) => {
    const to = phases[i + 1]?.from ?? end;
    const inPhase = stalls.filter(st => st.at >= phase.from && st.at < to);
    return {
      name: phase.name,
      count: inPhase.length,
      longestMs: Math.max(0, ...inPhase.map(st => st.ms)),
      stalls: inPhase.map(st => ({ at: new Date(st.at).toISOString(), ms: st.ms })),
    };
  });
}

/**
 * The catalog relation's wait split into the catalog pipeline's steps: commit -> the
 * provider's delta written, -> the processing loop's relations, -> the stitcher's final
 * entity, -> the catalog API's answer (the probe polls every 50 ms).
 */
function describeCatalogSteps(
  trials: TrialTimes[],
  summary: (ms: number[]) => string,
): string {
  const parts: Record<string, number[]> = {
    'commit -> delta written': [],
    '-> processed': [],
    '-> stitched': [],
    '-> API shows it': [],
  };
  for (const { approval: a } of trials) {
    const s = a.catalogSteps;
    if (
      !s ||
      a.catalogAt === undefined ||
      s.appliedAt === undefined ||
      s.processedAt === undefined ||
      s.stitchedAt === undefined
    )
      continue;
    parts['commit -> delta written'].push(s.appliedAt - a.committedAt);
    parts['-> processed'].push(s.processedAt - s.appliedAt);
    parts['-> stitched'].push(s.stitchedAt - s.processedAt);
    parts['-> API shows it'].push(a.catalogAt - s.stitchedAt);
  }
  return Object.entries(parts)
    .map(([step, ms]) => `${step} ${summary(ms)}`)
    .join('; ');
}

/** When each step of a trial happened (ms since the epoch). */
interface TrialTimes {
  trial: number;
  approval: {
    /** The random wait before the approval (Options.approvalJitterMs). */
    jitterMs: number;
    startedAt: number;
    committedAt: number;
    /** When the benchmark heard of the commit (the state version's notification). */
    commitAt: number;
    firstMessageAt: number;
    catalogAt?: number;
    /** When the relation passed the catalog's provider, processing loop and stitcher. */
    catalogSteps?: CatalogSteps;
    sidecarHeldAt?: number;
  };
  revocation: {
    startedAt: number;
    commitAt: number;
    closedAt: number;
    sidecarHeldAt?: number;
    sidecarDeniedAt?: number;
  };
}

/** One measured window of one trial, with what ran while it lasted. */
interface ExplainedWindow {
  trial: number;
  ms: number;
  cpu?: CpuWindow;
  /** The reconciler's passes that ran during it: mode, ms, and when they ended (ms into the window). */
  passes: Array<{ mode: string; ms: number; endedAtMs: number }>;
  /** Event-loop stalls of TRIAL_STALL_MS or more that overlapped it, in ms. */
  stalls: { bench: number[]; backend: number[] };
  /** The reconciler's broker requests during it: method, path, start–end ms into the window. */
  requests: string[];
}

/** From `from` to `to`, when the trial reached `to` (a figure the run did not take has none). */
const span = (
  from: number,
  to: number | undefined,
): [number, number] | undefined => (to === undefined ? undefined : [from, to]);

const TRIAL_MEASURES: Array<{
  name: string;
  window: (t: TrialTimes) => [number, number] | undefined;
}> = [
  {
    name: 'approve -> first message',
    window: t => [t.approval.startedAt, t.approval.firstMessageAt],
  },
  {
    name: 'approval committed -> the sidecar serves it',
    window: t => span(t.approval.commitAt, t.approval.sidecarHeldAt),
  },
  {
    name: 'approval committed -> catalog relation',
    window: t => span(t.approval.committedAt, t.approval.catalogAt),
  },
  {
    name: 'revoke -> connection closed',
    window: t => [t.revocation.startedAt, t.revocation.closedAt],
  },
  {
    name: 'revocation committed -> the sidecar denies',
    window: t => span(t.revocation.commitAt, t.revocation.sidecarDeniedAt),
  },
];

/**
 * Each trial's measured windows with what ran during them: each process's CPU, the machine's
 * busy CPUs, the reconciler's passes and broker requests, the event-loop stalls of the
 * benchmark and the backend. Says whether a slow trial waited for CPU (and whose), for a pass,
 * or for a stalled event loop.
 */
function explainTrials(
  trials: TrialTimes[],
  context: {
    timeline: CpuTimeline;
    passLog: Array<{ mode: string; endedAt: number; ms: number }>;
    benchStalls: Array<{ at: number; ms: number }>;
    backendStalls: Array<{ at: number; ms: number }>;
    requests: ReadonlyArray<{
      method: string;
      path: string;
      startedAt: number;
      finishedAt?: number;
    }>;
  },
): Record<string, ExplainedWindow[]> {
  const overlapping = (
    stalls: Array<{ at: number; ms: number }>,
    from: number,
    to: number,
  ) => stalls.filter(s => s.at < to && s.at + s.ms > from).map(s => s.ms);
  return Object.fromEntries(
    TRIAL_MEASURES.map(measure => [
      measure.name,
      trials.flatMap(t => {
        const window = measure.window(t);
        if (!window) return [];
        const [from, to] = window;
        return [
          {
            trial: t.trial,
            ms: to - from,
            cpu: context.timeline.between(from, to),
            passes: context.passLog
              .filter(p => p.endedAt > from && p.endedAt - p.ms < to)
              .map(p => ({
                mode: p.mode,
                ms: Math.round(p.ms),
                endedAtMs: p.endedAt - from,
              })),
            stalls: {
              bench: overlapping(context.benchStalls, from, to),
              backend: overlapping(context.backendStalls, from, to),
            },
            requests: context.requests
              .filter(
                r =>
                  r.startedAt < to &&
                  (r.finishedAt ?? Infinity) > from &&
                  (r.method !== 'GET' || r.path.startsWith('/api/connections')),
              )
              .slice(0, 6)
              .map(
                r =>
                  `${r.method} ${r.path.split('/').slice(0, 3).join('/')} ${
                    r.startedAt - from
                  }–${(r.finishedAt ?? NaN) - from} ms`,
              ),
          },
        ];
      }),
    ]),
  );
}

function describeExplained(w: ExplainedWindow): string {
  const passes = w.passes.length
    ? w.passes
        .map(p => `${p.mode} ${p.ms} ms (ended at ${p.endedAtMs})`)
        .join(', ')
    : 'none';
  const stalls = (ms: number[]) => (ms.length ? ms.join('+') : '0');
  return (
    `trial ${w.trial} ${w.ms} ms: ${describeCpuWindow(w.cpu)}; passes ${passes}; ` +
    `stalls ≥ ${TRIAL_STALL_MS} ms bench ${stalls(w.stalls.bench)}, backend ${stalls(
      w.stalls.backend,
    )}; broker requests ${w.requests.join(', ') || 'none'}`
  );
}

/** The backend log's `[event-loop-stall]` lines, as times since the epoch. */
function backendLogStalls(logFile: string): Array<{ at: number; ms: number }> {
  return readFileSync(logFile, 'utf8')
    .split('\n')
    .flatMap(line => {
      const match = /\[event-loop-stall\] (\{.*\})/.exec(line);
      if (!match) return [];
      const stall = JSON.parse(match[1]) as { at: string; ms: number };
      return [{ at: Date.parse(stall.at), ms: stall.ms }];
    });
}

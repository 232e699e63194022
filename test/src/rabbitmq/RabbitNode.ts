import { randomBytes } from 'node:crypto';
import { existsSync, openSync, closeSync, readFileSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ProcessGroup,
  findFreePorts,
  forgetDirectory,
  isPortOpen,
  pollUntil,
  removeDirectoryOnExit,
  runCommand,
  startWatchdog,
} from '../process';
import { Credentials, RabbitEndpoint, RabbitNodeInfo } from './RabbitEndpoint';

export interface RabbitNodeOptions {
  /**
   * The port the broker's HTTP auth backend calls (`/auth/user`, …), where a
   * test starts the BROM sidecar. A free port is chosen when absent.
   */
  authPort?: number;
  /** `auth_http.request_timeout`: how long the broker waits for the sidecar. Default 5000. */
  authRequestTimeoutMs?: number;
  /**
   * Extra `rabbitmq.conf` settings, applied over the defaults; `null` removes
   * a default line. For example, the "native" authorisation mode:
   * `{ 'auth_backends.2': null, 'auth_backends.2.authn': 'http', 'auth_backends.2.authz': 'internal' }`.
   */
  config?: Record<string, string | null>;
  /** Plugins to enable. Default: {@link DEFAULT_PLUGINS}. */
  plugins?: string[];
  /** Bound on one broker boot (also passed to `rabbitmqctl wait`). Default 120 s. */
  bootTimeoutMs?: number;
  /** Where `rabbitmq-server` and `rabbitmqctl` are; default `$BROM_TEST_RABBITMQ_BIN_DIR` or Debian's `/usr/lib/rabbitmq/bin`. */
  binDir?: string;
  /**
   * For a node that joins others (RabbitCluster): the cluster's Erlang
   * cookie (random by default), ...
   */
  erlangCookie?: string;
  /**
   * ... the port of the epmd another node of the cluster runs (nodes find each
   * other's distribution ports there; by default the node starts an epmd of
   * its own), ...
   */
  epmdPort?: number;
  /** ... and the cluster's administrator (random by default), whom joining keeps. */
  admin?: Credentials;
}

/**
 * What every test node enables unless told otherwise: the management API, the
 * HTTP auth backend, and dynamic shovels with their status in the management
 * API (external producers).
 */
export const DEFAULT_PLUGINS: readonly string[] = [
  'rabbitmq_management',
  'rabbitmq_auth_backend_http',
  'rabbitmq_shovel',
  'rabbitmq_shovel_management',
];

const ADMIN_USERNAME = 'brom-test-admin';
const DEFAULT_BIN_DIR = '/usr/lib/rabbitmq/bin';
const STOP_GRACE_MS = 30_000;

/**
 * A private, throwaway RabbitMQ node: its own HOME and Erlang cookie, node
 * name, ports, epmd and data directory, so it runs beside the system
 * RabbitMQ and beside other test nodes without touching either. See
 * test/README.md ("How a node is isolated").
 */
export class RabbitNode extends RabbitEndpoint {
  readonly dataDir: string;
  readonly #binDir: string;
  readonly #groupsDir: string;
  readonly #watchdog: ProcessGroup;
  readonly #env: NodeJS.ProcessEnv;
  readonly #pidFile: string;
  readonly #serverOutFile: string;
  readonly #bootTimeoutMs: number;
  #epmd: ProcessGroup | undefined;
  #server: ProcessGroup | undefined;
  #stopped = false;

  /** Starts a node; it is ready (management API answering) when this resolves. */
  static async start(options: RabbitNodeOptions = {}): Promise<RabbitNode> {
    const binDir =
      options.binDir ??
      process.env.BROM_TEST_RABBITMQ_BIN_DIR ??
      DEFAULT_BIN_DIR;
    for (const tool of ['rabbitmq-server', 'rabbitmqctl']) {
      if (!existsSync(join(binDir, tool))) {
        throw new Error(
          `RabbitMQ is not installed: ${join(binDir, tool)} does not exist. ` +
            'The BROM integration tests need a local RabbitMQ 3.10 or later ' +
            '(Debian: apt-get install rabbitmq-server), or set ' +
            'BROM_TEST_RABBITMQ_BIN_DIR to the directory holding rabbitmq-server and rabbitmqctl.',
        );
      }
    }

    const dataDir = await mkdtemp(join(tmpdir(), 'brom-rabbitmq-'));
    removeDirectoryOnExit(dataDir);
    let prepared: PreparedNode;
    try {
      prepared = await prepareNodeDirectory(dataDir, options);
    } catch (error) {
      await rm(dataDir, { recursive: true, force: true });
      forgetDirectory(dataDir);
      throw error;
    }
    const watchdog = await startWatchdog(dataDir, prepared.groupsDir);
    const node = new RabbitNode({
      ...prepared,
      dataDir,
      watchdog,
      binDir,
      bootTimeoutMs: options.bootTimeoutMs ?? 120_000,
    });
    try {
      if (options.epmdPort === undefined) {
        await node.#startEpmd();
      }
      await node.startBroker();
    } catch (error) {
      await node.stop();
      throw error;
    }
    return node;
  }

  private constructor(options: {
    info: RabbitNodeInfo;
    dataDir: string;
    groupsDir: string;
    watchdog: ProcessGroup;
    binDir: string;
    env: NodeJS.ProcessEnv;
    bootTimeoutMs: number;
  }) {
    super(options.info);
    this.dataDir = options.dataDir;
    this.#groupsDir = options.groupsDir;
    this.#watchdog = options.watchdog;
    this.#binDir = options.binDir;
    this.#env = options.env;
    this.#pidFile = options.env.RABBITMQ_PID_FILE!;
    this.#serverOutFile = join(options.dataDir, 'log', 'server.out');
    this.#bootTimeoutMs = options.bootTimeoutMs;
  }

  /** The broker's OS process (the Erlang VM), from its pid file; undefined when it is not running. */
  get brokerPid(): number | undefined {
    if (!this.isBrokerRunning) return undefined;
    try {
      const pid = Number(readFileSync(this.#pidFile, 'utf8').trim());
      return Number.isInteger(pid) && pid > 0 ? pid : undefined;
    } catch {
      return undefined;
    }
  }

  /** True while the broker process runs (between startBroker and stopBroker). */
  get isBrokerRunning(): boolean {
    return this.#server !== undefined && !this.#server.exitStatus;
  }

  /**
   * Starts the broker (again) with the same name, ports and data, and waits
   * until the management API answers.
   */
  async startBroker(): Promise<void> {
    if (this.#stopped) {
      throw new Error(
        `RabbitMQ test node ${this.nodeName} was stopped for good`,
      );
    }
    if (this.#server) {
      throw new Error(`RabbitMQ test node ${this.nodeName} is already running`);
    }
    await rm(this.#pidFile, { force: true });
    const out = openSync(this.#serverOutFile, 'a');
    try {
      this.#server = await ProcessGroup.spawn(
        join(this.#binDir, 'rabbitmq-server'),
        [],
        {
          env: this.#env,
          stdio: ['ignore', out, out],
          recordDir: this.#groupsDir,
        },
      );
    } finally {
      closeSync(out);
    }

    try {
      // `wait` with the pid file is the one readiness check that works before
      // the node has registered with epmd; it also gives up when the OS
      // process dies.
      const timeoutSeconds = Math.ceil(this.#bootTimeoutMs / 1000);
      const wait = await this.#rabbitmqctl(
        ['wait', this.#pidFile, '--timeout', String(timeoutSeconds)],
        this.#bootTimeoutMs + 15_000,
      );
      if (wait.code !== 0) {
        throw new Error(
          `RabbitMQ test node ${this.nodeName} did not start` +
            `${
              wait.timedOut ? ' in time' : ''
            }: rabbitmqctl wait said:\n${wait.output.trim()}\n${this.#logTail()}`,
        );
      }
      await this.#waitForManagementApi();
    } catch (error) {
      await this.stopBroker();
      throw error;
    }
  }

  /**
   * Stops the broker, keeping its data, name and ports for {@link startBroker}.
   * SIGTERM makes the broker shut down cleanly (about 7 s, most of it the
   * management statistics collector); SIGKILL follows after a bound.
   */
  async stopBroker(): Promise<void> {
    const server = this.#server;
    if (!server) {
      return;
    }
    await server.terminate('SIGTERM', STOP_GRACE_MS);
    this.#server = undefined;
  }

  /**
   * Makes this node a member of `seed`'s cluster (`stop_app`, `join_cluster`,
   * `start_app`), dropping its own data; started with the seed's cookie, epmd
   * and administrator. Resolves once its management API answers again.
   */
  async joinCluster(seed: RabbitEndpoint): Promise<void> {
    await this.rabbitmqctl(['stop_app']);
    await this.rabbitmqctl(['join_cluster', seed.nodeName]);
    await this.rabbitmqctl(['start_app'], this.#bootTimeoutMs);
    await this.#waitForManagementApi();
  }

  async restart(): Promise<void> {
    await this.stopBroker();
    await this.startBroker();
  }

  /** Stops the broker and epmd and deletes the node's directory. */
  async stop(): Promise<void> {
    this.#stopped = true;
    await this.stopBroker();
    if (this.#epmd) {
      await this.#epmd.terminate('SIGTERM', 5_000);
      this.#epmd = undefined;
    }
    await this.#watchdog.terminate('SIGKILL', 5_000);
    await rm(this.dataDir, { recursive: true, force: true });
    forgetDirectory(this.dataDir);
  }

  /** Runs `rabbitmqctl -n <node> …args` against this node. */
  async rabbitmqctl(args: string[], timeoutMs = 60_000): Promise<string> {
    const result = await this.#rabbitmqctl(args, timeoutMs);
    if (result.code !== 0) {
      throw new Error(
        `rabbitmqctl ${args.join(' ')} failed${
          result.timedOut ? ` (timed out after ${timeoutMs} ms)` : ''
        }: ${result.output.trim()}`,
      );
    }
    return result.output;
  }

  #rabbitmqctl(args: string[], timeoutMs: number) {
    return runCommand(
      join(this.#binDir, 'rabbitmqctl'),
      ['-n', this.nodeName, ...args],
      { env: this.#env, timeoutMs, recordDir: this.#groupsDir },
    );
  }

  // A private epmd, started by us in the foreground so that we own its pid:
  // otherwise the first Erlang VM would start one as a daemon that outlives
  // the node.
  async #startEpmd(): Promise<void> {
    const out = openSync(join(this.dataDir, 'log', 'epmd.out'), 'a');
    try {
      this.#epmd = await ProcessGroup.spawn('epmd', [], {
        env: this.#env,
        stdio: ['ignore', out, out],
        recordDir: this.#groupsDir,
      });
    } finally {
      closeSync(out);
    }
    const epmd = this.#epmd;
    await pollUntil(
      async () => {
        if (epmd.exitStatus) {
          throw new Error(
            `epmd for ${this.nodeName} exited at once (port ${
              this.ports.epmd
            }): ${readTail(join(this.dataDir, 'log', 'epmd.out'))}`,
          );
        }
        return (await isPortOpen(this.ports.epmd)) ? true : undefined;
      },
      {
        timeoutMs: 10_000,
        intervalMs: 50,
        describe: () => `epmd did not listen on 127.0.0.1:${this.ports.epmd}`,
      },
    );
  }

  async #waitForManagementApi(): Promise<void> {
    const client = this.managementClient();
    let lastError: unknown;
    try {
      await pollUntil(
        async () => {
          try {
            return await client.getOverview();
          } catch (error) {
            lastError = error;
            return undefined;
          }
        },
        {
          timeoutMs: 30_000,
          intervalMs: 100,
          describe: () =>
            `the management API of ${this.nodeName} at ${
              this.managementUrl
            } did not answer: ${String(lastError)}`,
        },
      );
    } finally {
      await client.close();
    }
  }

  #logTail(): string {
    return [
      `--- ${this.#serverOutFile}`,
      readTail(this.#serverOutFile),
      `--- ${this.logFile}`,
      readTail(this.logFile),
    ].join('\n');
  }
}

/** Starts a private RabbitMQ node for tests; see {@link RabbitNode}. */
export function startRabbitNode(
  options?: RabbitNodeOptions,
): Promise<RabbitNode> {
  return RabbitNode.start(options);
}

interface PreparedNode {
  info: RabbitNodeInfo;
  groupsDir: string;
  env: NodeJS.ProcessEnv;
}

/** Writes the node's files (cookie, config, plugins) and chooses its name and ports. */
async function prepareNodeDirectory(
  dataDir: string,
  options: RabbitNodeOptions,
): Promise<PreparedNode> {
  const groupsDir = join(dataDir, 'groups');
  await mkdir(groupsDir);
  const [amqp, management, dist, freeEpmdPort, freeAuthPort] =
    await findFreePorts(5);
  const epmd = options.epmdPort ?? freeEpmdPort;
  const nodeName = `brom-test-${randomBytes(4).toString('hex')}@localhost`;
  const admin = options.admin ?? {
    username: ADMIN_USERNAME,
    password: randomBytes(18).toString('base64url'),
  };
  const auth = options.authPort ?? freeAuthPort;

  const home = join(dataDir, 'home');
  await mkdir(home);
  await mkdir(join(dataDir, 'log'));
  const cookieFile = join(home, '.erlang.cookie');
  await writeFile(
    cookieFile,
    options.erlangCookie ?? randomErlangCookie(),
  );
  await chmod(cookieFile, 0o400);

  const files = {
    envConf: join(dataDir, 'rabbitmq-env.conf'),
    config: join(dataDir, 'rabbitmq.conf'),
    advanced: join(dataDir, 'advanced.config'),
    plugins: join(dataDir, 'enabled_plugins'),
    motd: join(dataDir, 'motd'),
  };
  // Empty files stop the scripts from reading /etc/rabbitmq/*.
  await writeFile(files.envConf, '');
  await writeFile(files.advanced, '[].\n');
  await writeFile(files.motd, '');
  await writeFile(
    files.plugins,
    `[${(
      options.plugins ?? DEFAULT_PLUGINS
    ).join(',')}].\n`,
  );
  await writeFile(
    files.config,
    renderConfig(
      {
        'management.tcp.ip': '127.0.0.1',
        'management.tcp.port': String(management),
        'auth_backends.1': 'internal',
        'auth_backends.2': 'http',
        'auth_http.http_method': 'post',
        'auth_http.user_path': `http://127.0.0.1:${auth}/auth/user`,
        'auth_http.vhost_path': `http://127.0.0.1:${auth}/auth/vhost`,
        'auth_http.resource_path': `http://127.0.0.1:${auth}/auth/resource`,
        'auth_http.topic_path': `http://127.0.0.1:${auth}/auth/topic`,
        'auth_http.request_timeout': String(
          options.authRequestTimeoutMs ?? 5_000,
        ),
        default_user: admin.username,
        default_pass: admin.password,
        'default_user_tags.administrator': 'true',
        'default_permissions.configure': '.*',
        'default_permissions.read': '.*',
        'default_permissions.write': '.*',
        // Message counts in the management API follow the broker within a
        // second instead of five, so tests polling for them finish sooner.
        collect_statistics_interval: '1000',
      },
      options.config ?? {},
    ),
  );

  const distArgs = '-kernel inet_dist_use_interface {127,0,0,1}';
  const env: NodeJS.ProcessEnv = {
    // Nothing inherited: a stray RABBITMQ_* or ERL_* variable from the
    // caller's environment would point the node at shared state.
    PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
    LANG: 'C.UTF-8',
    LC_ALL: 'C.UTF-8',
    HOME: home,
    RABBITMQ_NODENAME: nodeName,
    RABBITMQ_NODE_IP_ADDRESS: '127.0.0.1',
    RABBITMQ_NODE_PORT: String(amqp),
    RABBITMQ_DIST_PORT: String(dist),
    // rabbitmqctl otherwise listens on 35672-35682, a range every CLI on
    // the machine shares; 0 lets the kernel pick.
    RABBITMQ_CTL_DIST_PORT_MIN: '0',
    RABBITMQ_CTL_DIST_PORT_MAX: '0',
    ERL_EPMD_PORT: String(epmd),
    ERL_EPMD_ADDRESS: '127.0.0.1',
    RABBITMQ_CONF_ENV_FILE: files.envConf,
    RABBITMQ_CONFIG_FILE: files.config,
    RABBITMQ_ADVANCED_CONFIG_FILE: files.advanced,
    RABBITMQ_ENABLED_PLUGINS_FILE: files.plugins,
    RABBITMQ_MNESIA_BASE: join(dataDir, 'mnesia'),
    RABBITMQ_LOG_BASE: join(dataDir, 'log'),
    RABBITMQ_PID_FILE: join(dataDir, 'rabbitmq.pid'),
    RABBITMQ_PLUGINS_EXPAND_DIR: join(dataDir, 'plugins-expand'),
    RABBITMQ_MOTD_FILE: files.motd,
    RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS: distArgs,
    RABBITMQ_CTL_ERL_ARGS: distArgs,
  };

  return {
    info: {
      nodeName,
      host: '127.0.0.1',
      ports: { amqp, management, dist, epmd, auth },
      admin,
      managementUrl: `http://127.0.0.1:${management}`,
      logFile: join(dataDir, 'log', `${nodeName}.log`),
    },
    groupsDir,
    env,
  };
}

/** A random Erlang cookie, for one node or one cluster. */
export function randomErlangCookie(): string {
  return randomBytes(20).toString('hex').toUpperCase();
}

function renderConfig(
  defaults: Record<string, string>,
  overrides: Record<string, string | null>,
): string {
  const merged: Record<string, string | null> = { ...defaults, ...overrides };
  return `${Object.entries(merged)
    .filter((entry): entry is [string, string] => entry[1] !== null)
    .map(([key, value]) => `${key} = ${value}`)
    .join('\n')}\n`;
}

function readTail(file: string, lines = 40): string {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
  } catch {
    return '(no output)';
  }
}

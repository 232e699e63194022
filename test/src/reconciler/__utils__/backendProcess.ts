import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Client } from 'pg';
import {
  REPO_ROOT,
  ensureBuilt,
  layOutProductionBackend,
} from '../../deploy/productionTree';
import { TestDatabase } from '../../postgres';
import { ProcessGroup, findFreePorts, pollUntil } from '../../process';

const MAIN = require.resolve('./backendMain');

/** A BROM backend in a process of its own (see backendMain.ts). */
export class BackendProcess {
  readonly port: number;
  readonly logFile: string;
  readonly #group: ProcessGroup;

  private constructor(port: number, logFile: string, group: ProcessGroup) {
    this.port = port;
    this.logFile = logFile;
    this.#group = group;
  }

  /**
   * Starts a backend on `port` with BROM's tables in `database` (other plugins get
   * databases named after it, removed by {@link dropPluginDatabases}); `brom` is the
   * `brom` config section. Resolves once its API answers.
   */
  static async start(options: {
    port: number;
    database: TestDatabase;
    brom: Record<string, unknown>;
    dir: string;
    name: string;
    /** Another entry point than backendMain.ts (a backend with more plugins). */
    main?: string;
    /** More configuration, merged over the top level of the generated file. */
    config?: Record<string, unknown>;
    /** More environment variables. */
    env?: Record<string, string>;
  }): Promise<BackendProcess> {
    const { port, database, dir, name } = options;
    const { backend: moreBackend, ...more } = (options.config ?? {}) as {
      backend?: Record<string, unknown>;
    };
    const config = {
      backend: {
        ...moreBackend,
        baseUrl: `http://127.0.0.1:${port}`,
        listen: { host: '127.0.0.1', port },
        database: {
          client: 'pg',
          connection: { ...database.connection },
          prefix: `${database.name}_`,
          plugin: { brom: { connection: { database: database.name } } },
        },
      },
      permission: { enabled: true },
      brom: options.brom,
      ...more,
    };
    // JSON is YAML.
    const configFile = join(dir, `${name}.config.yaml`);
    await writeFile(configFile, JSON.stringify(config, null, 2));
    return BackendProcess.#spawn({
      port,
      dir,
      name,
      args: [
        ...(process.env.BENCH_BACKEND_CPU_PROF
          ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_BACKEND_CPU_PROF}`]
          : []),
        '--require',
        require.resolve('@backstage/cli/config/nodeTransform.cjs'),
        options.main ?? MAIN,
        '--config',
        configFile,
      ],
      env: {
        ...process.env,
        NODE_ENV: 'development',
        LOG_LEVEL: 'info',
        ...options.env,
      },
    });
  }

  /**
   * Starts the backend as production runs it: the output of `npm run build`
   * (`packages/backend/dist`, built first if missing), with `node` and NODE_ENV=production,
   * from a tree holding only its production dependencies (deploy/productionTree.ts), on a
   * production configuration: app-config.production.yaml with the cluster's management URLs
   * in place of its single one (as docs/operations.md says for a cluster), secrets from the
   * environment, and a test overlay for the port, the database and the reconciler's timings.
   * BROM's tables go into `database` as with {@link start}.
   */
  static async startProduction(options: {
    port: number;
    database: TestDatabase;
    dir: string;
    name: string;
    broker: {
      vhost: string;
      managementUrls: string[];
      amqpUrls: string[];
      username: string;
      password: string;
    };
    /** Merged into the `brom` section over the production configuration. */
    brom: Record<string, unknown>;
    /** The sidecars' static token (the production configuration requires one). */
    sidecarToken: string;
  }): Promise<BackendProcess> {
    const { port, database, dir, name, broker } = options;
    await ensureBuilt();
    const tree = join(dir, 'production-backend');
    if (!existsSync(join(tree, 'dist', 'index.js'))) layOutProductionBackend(tree);
    const production = readFileSync(join(REPO_ROOT, 'app-config.production.yaml'), 'utf8');
    const cluster = production
      .replace(
        /^( +)managementUrl: \$\{BROM_MANAGEMENT_URL\}$/m,
        `$1managementUrls: ${JSON.stringify(broker.managementUrls)}`,
      )
      .replace(/^( +)amqpUrl: \$\{BROM_AMQP_URL\}$/m, `$1amqpUrls: ${JSON.stringify(broker.amqpUrls)}`);
    if (cluster === production || !cluster.includes('managementUrls')) {
      throw new Error('app-config.production.yaml no longer has the broker lines this test replaces');
    }
    const productionConfig = join(tree, `${name}.production.yaml`);
    await writeFile(productionConfig, cluster);
    const overlay = join(tree, `${name}.test.yaml`);
    await writeFile(
      overlay,
      JSON.stringify({
        backend: {
          listen: `127.0.0.1:${port}`,
          database: {
            prefix: `${database.name}_`,
            plugin: { brom: { connection: { database: database.name } } },
          },
        },
        brom: options.brom,
      }),
    );
    const { connection } = database;
    // Feide's addresses point at a port nothing listens on, as in deploy/productionBackend.test.ts.
    const [closedPort] = await findFreePorts(1);
    return BackendProcess.#spawn({
      port,
      dir,
      name,
      cwd: tree,
      args: ['--preserve-symlinks', 'dist/index.js', '--config', productionConfig, '--config', overlay],
      env: {
        PATH: process.env.PATH ?? '',
        NODE_ENV: 'production',
        LOG_LEVEL: 'info',
        APP_BASE_URL: `http://127.0.0.1:${port}`,
        BACKEND_BASE_URL: `http://127.0.0.1:${port}`,
        POSTGRES_HOST: connection.host,
        POSTGRES_PORT: String(connection.port),
        POSTGRES_USER: connection.user,
        POSTGRES_PASSWORD: connection.password,
        AUTH_SESSION_SECRET: `topology-session-${name}-secret`,
        BROM_SIDECAR_TOKEN: options.sidecarToken,
        FEIDE_METADATA_URL: `http://127.0.0.1:${closedPort}/.well-known/openid-configuration`,
        FEIDE_GROUPS_API_BASE_URL: `http://127.0.0.1:${closedPort}`,
        FEIDE_CLIENT_ID: 'brom-topology-test',
        FEIDE_CLIENT_SECRET: 'topology-test-feide-secret',
        BROM_VHOST: broker.vhost,
        BROM_BROKER_USERNAME: broker.username,
        BROM_BROKER_PASSWORD: broker.password,
      },
    });
  }

  static async #spawn(options: {
    port: number;
    dir: string;
    name: string;
    args: string[];
    env: NodeJS.ProcessEnv;
    cwd?: string;
  }): Promise<BackendProcess> {
    const { port, dir, name } = options;
    const logFile = join(dir, `${name}.log`);
    const out = openSync(logFile, 'a');
    let group: ProcessGroup;
    try {
      group = await ProcessGroup.spawn(process.execPath, options.args, {
        cwd: options.cwd,
        env: options.env,
        stdio: ['ignore', out, out],
      });
    } finally {
      closeSync(out);
    }
    const backend = new BackendProcess(port, logFile, group);
    try {
      await pollUntil(
        async () => {
          if (group.exitStatus) {
            throw new Error(
              `backend ${name} exited (${JSON.stringify(group.exitStatus)}):\n${backend.logTail()}`,
            );
          }
          if (backend.logTail(1000).includes('Backend startup failed')) {
            throw new Error(`backend ${name} failed to start:\n${backend.logTail()}`);
          }
          const res = await fetch(`http://127.0.0.1:${port}/api/brom/health`).catch(
            () => undefined,
          );
          return res?.ok ? true : undefined;
        },
        {
          timeoutMs: 90_000,
          intervalMs: 250,
          describe: () => `backend ${name} did not answer:\n${backend.logTail()}`,
        },
      );
    } catch (error) {
      await backend.kill();
      throw error;
    }
    return backend;
  }

  get pid(): number {
    return this.#group.pid;
  }

  get exited(): boolean {
    return this.#group.exitStatus !== undefined;
  }

  /** SIGKILL: no shutdown hooks, no lease release; the database notices the dead session. */
  async kill(): Promise<void> {
    await this.#group.terminate('SIGKILL', 10_000);
  }

  async stop(): Promise<void> {
    await this.#group.terminate('SIGTERM', 15_000);
  }

  logTail(lines = 40): string {
    try {
      // The readiness probe's own requests would crowd out everything else.
      return readFileSync(this.logFile, 'utf8')
        .split('\n')
        .filter(line => !line.includes('/api/brom/health'))
        .slice(-lines)
        .join('\n');
    } catch {
      return '(no log)';
    }
  }
}

/** Drops the databases backends created for their other plugins next to `database`. */
export async function dropPluginDatabases(database: TestDatabase): Promise<void> {
  const client = new Client({ ...database.connection, database: 'postgres' });
  await client.connect();
  try {
    const { rows } = await client.query<{ datname: string }>(
      'SELECT datname FROM pg_database WHERE starts_with(datname, $1)',
      [`${database.name}_`],
    );
    for (const { datname } of rows) {
      await client.query(`DROP DATABASE IF EXISTS "${datname.replace(/"/g, '""')}" WITH (FORCE)`);
    }
  } finally {
    await client.end();
  }
}

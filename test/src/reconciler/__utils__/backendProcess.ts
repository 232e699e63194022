import { closeSync, openSync, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Client } from 'pg';
import { TestDatabase } from '../../postgres';
import { ProcessGroup, pollUntil } from '../../process';

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
    const logFile = join(dir, `${name}.log`);
    const out = openSync(logFile, 'a');
    let group: ProcessGroup;
    try {
      group = await ProcessGroup.spawn(
        process.execPath,
        [
          '--require',
          require.resolve('@backstage/cli/config/nodeTransform.cjs'),
          options.main ?? MAIN,
          '--config',
          configFile,
        ],
        {
          env: {
            ...process.env,
            NODE_ENV: 'development',
            LOG_LEVEL: 'info',
            ...options.env,
          },
          stdio: ['ignore', out, out],
        },
      );
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

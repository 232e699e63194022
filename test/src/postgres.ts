import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Client, ClientConfig } from 'pg';

/** Server URL for test databases; the database in it is only used to create and drop others. */
export const POSTGRES_URL_ENV = 'BROM_TEST_PG_URL';
const DEFAULT_POSTGRES_URL =
  'postgresql://postgres:postgres@127.0.0.1:5432/postgres';

// A type alias, not an interface: it then fits Backstage's JsonObject, as
// ConfigReader.fromConfigs and mockServices.rootConfig({ data }) expect.
export type TestDatabaseConnection = {
  host: string;
  port: number;
  user: string;
  password: string;
  database: string;
};

export interface TestDatabase {
  readonly name: string;
  readonly connection: TestDatabaseConnection;
  readonly connectionString: string;
  /** Ready to put under Backstage's `backend.database`. */
  readonly backendDatabaseConfig: {
    client: 'pg';
    connection: TestDatabaseConnection;
  };
  /** Drops the database, closing sessions still connected to it. */
  drop(): Promise<void>;
}

/**
 * Creates a fresh, uniquely named database on the test PostgreSQL server
 * (`BROM_TEST_PG_URL`, default the local cluster as postgres/postgres).
 * If the local server is down it is started once (Debian's `pg_ctlcluster`);
 * `test/scripts/prepare-postgres.sh` sets the postgres password for TCP logins.
 */
export async function createTestDatabase(): Promise<TestDatabase> {
  const server = serverConnection();
  const name = `brom_test_${randomBytes(6).toString('hex')}`;
  await withAdminClient(server, client =>
    client.query(`CREATE DATABASE ${quoteIdentifier(name)}`),
  );
  const connection = { ...server, database: name };
  return {
    name,
    connection,
    connectionString: `postgresql://${encodeURIComponent(
      server.user,
    )}:${encodeURIComponent(server.password)}@${server.host}:${
      server.port
    }/${name}`,
    backendDatabaseConfig: { client: 'pg', connection },
    async drop() {
      await withAdminClient(server, client =>
        client.query(
          `DROP DATABASE IF EXISTS ${quoteIdentifier(name)} WITH (FORCE)`,
        ),
      );
    },
  };
}

/** A database of the file's own, created in `beforeAll` and dropped in `afterAll`. */
export function useTestDatabase(): () => TestDatabase {
  let database: TestDatabase | undefined;
  beforeAll(async () => {
    database = await createTestDatabase();
  }, 60_000);
  afterAll(async () => {
    await database?.drop();
  });
  return () => {
    if (!database) {
      throw new Error('useTestDatabase: the database is created in beforeAll');
    }
    return database;
  };
}

function serverConnection(): TestDatabaseConnection {
  const raw = process.env[POSTGRES_URL_ENV] || DEFAULT_POSTGRES_URL;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new Error(`${POSTGRES_URL_ENV} is not a URL: ${raw}`);
  }
  return {
    host: url.hostname,
    port: url.port ? Number(url.port) : 5432,
    user: decodeURIComponent(url.username) || 'postgres',
    password: decodeURIComponent(url.password),
    database: decodeURIComponent(url.pathname.slice(1)) || 'postgres',
  };
}

async function withAdminClient<T>(
  server: TestDatabaseConnection,
  work: (client: Client) => Promise<T>,
): Promise<T> {
  const client = await connect(server);
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

async function connect(server: TestDatabaseConnection): Promise<Client> {
  const config: ClientConfig = { ...server, connectionTimeoutMillis: 10_000 };
  const where = `${server.user}@${server.host}:${server.port}/${server.database}`;
  try {
    return await tryConnect(config);
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === 'ECONNREFUSED' && isLocal(server.host)) {
      const started = await startLocalClusterOnce();
      if (started) {
        return connectWithin(config, 30_000, where);
      }
    }
    throw new Error(explain(error, where), { cause: error });
  }
}

async function tryConnect(config: ClientConfig): Promise<Client> {
  const client = new Client(config);
  try {
    await client.connect();
    return client;
  } catch (error) {
    await client.end().catch(() => undefined);
    throw error;
  }
}

// A cluster that pg_ctlcluster just started accepts connections only after
// recovery; poll for it with a bound.
async function connectWithin(
  config: ClientConfig,
  timeoutMs: number,
  where: string,
): Promise<Client> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await tryConnect(config);
    } catch (error) {
      if (Date.now() >= deadline) {
        throw new Error(explain(error, where), { cause: error });
      }
      await new Promise(resolve => setTimeout(resolve, 250));
    }
  }
}

let localClusterStart: Promise<boolean> | undefined;

/** Starts Debian's `main` cluster(s) once per process; false if there is none. */
function startLocalClusterOnce(): Promise<boolean> {
  localClusterStart ??= (async () => {
    const base = '/etc/postgresql';
    const versions = existsSync(base)
      ? readdirSync(base).filter(version =>
          existsSync(join(base, version, 'main')),
        )
      : [];
    if (versions.length === 0) {
      return false;
    }
    for (const version of versions) {
      // pg_ctl detaches the server into its own session, so it outlives
      // this command (and the test run), as the system cluster should.
      await promisify(execFile)(
        'pg_ctlcluster',
        ['--skip-systemctl-redirect', version, 'main', 'start'],
        { timeout: 60_000 },
      ).catch(() => undefined);
    }
    return true;
  })();
  return localClusterStart;
}

function explain(error: unknown, where: string): string {
  const code = (error as { code?: string }).code;
  const message = (error as Error).message ?? String(error);
  let hint = 'Check BROM_TEST_PG_URL.';
  if (code === '28P01' || code === '28000') {
    hint =
      'Run test/scripts/prepare-postgres.sh (sets the postgres password for TCP logins), or point BROM_TEST_PG_URL at a server you can log in to.';
  } else if (code === 'ECONNREFUSED') {
    hint =
      'Is PostgreSQL installed and running? test/scripts/prepare-postgres.sh starts the local cluster; or set BROM_TEST_PG_URL.';
  }
  return `Cannot connect to the test PostgreSQL server ${where}: ${message}. ${hint}`;
}

function isLocal(host: string): boolean {
  return host === '127.0.0.1' || host === 'localhost' || host === '::1';
}

function quoteIdentifier(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

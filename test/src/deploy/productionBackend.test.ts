import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TestDatabase, createTestDatabase } from '../postgres';
import { ProcessGroup, findFreePorts, pollUntil } from '../process';
import {
  REPO_ROOT,
  ensureBuilt,
  layOutProductionBackend,
} from './productionTree';

/*
 * The backend as production runs it: the output of `npm run build`, started with `node` and
 * NODE_ENV=production on app-config.production.yaml alone, from a tree that holds only the
 * backend's production dependencies (productionTree.ts), on PostgreSQL. Nothing here leaves
 * loopback: Feide's addresses point at a closed local port.
 */

const SIDECAR_TOKEN = 'production-test-sidecar-token-6f0c2a';

interface RunningBackend {
  group: ProcessGroup;
  output: { text: string };
}

describe('the production build', () => {
  let dir: string;
  let database: TestDatabase;
  let port: number;
  let closedPort: number;
  let metricsPort: number;
  let backend: RunningBackend | undefined;

  beforeAll(async () => {
    await ensureBuilt();
    dir = mkdtempSync(join(tmpdir(), 'brom-production-'));
    layOutProductionBackend(dir);
    database = await createTestDatabase();
    [port, closedPort, metricsPort] = await findFreePorts(3);
    // The per-plugin databases go into schemas of the test database, which drop() removes.
    writeFileSync(
      join(dir, 'app-config.test.yaml'),
      JSON.stringify({
        backend: {
          listen: `127.0.0.1:${port}`,
          database: {
            pluginDivisionMode: 'schema',
            connection: { database: database.connection.database },
          },
        },
      }),
    );
  }, 20 * 60_000);

  afterEach(async () => {
    await backend?.group.terminate('SIGTERM', 15_000);
    backend = undefined;
  });

  afterAll(async () => {
    await database?.drop();
    if (dir) {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  /** The environment app-config.production.yaml reads, as an operator sets it. */
  function productionEnv(): Record<string, string> {
    const { connection } = database;
    return {
      PATH: process.env.PATH ?? '',
      NODE_ENV: 'production',
      APP_BASE_URL: `http://127.0.0.1:${port}`,
      BACKEND_BASE_URL: `http://127.0.0.1:${port}`,
      POSTGRES_HOST: connection.host,
      POSTGRES_PORT: String(connection.port),
      POSTGRES_USER: connection.user,
      POSTGRES_PASSWORD: connection.password,
      AUTH_SESSION_SECRET: 'production-test-session-secret',
      BROM_SIDECAR_TOKEN: SIDECAR_TOKEN,
      FEIDE_METADATA_URL: `http://127.0.0.1:${closedPort}/.well-known/openid-configuration`,
      FEIDE_GROUPS_API_BASE_URL: `http://127.0.0.1:${closedPort}`,
      FEIDE_CLIENT_ID: 'brom-production-test',
      FEIDE_CLIENT_SECRET: 'production-test-feide-secret',
      BROM_VHOST: 'brom',
      BROM_AMQP_URL: `amqp://127.0.0.1:${closedPort}`,
      BROM_MANAGEMENT_URL: `http://127.0.0.1:${closedPort}`,
      BROM_BROKER_USERNAME: 'brom-reconciler',
      BROM_BROKER_PASSWORD: 'production-test-broker-password',
      OTEL_EXPORTER_PROMETHEUS_HOST: '127.0.0.1',
      OTEL_EXPORTER_PROMETHEUS_PORT: String(metricsPort),
    };
  }

  async function start(
    env: Record<string, string>,
    configs: string[] = ['app-config.production.yaml'],
  ): Promise<RunningBackend> {
    // As deploy/ starts it: OpenTelemetry first, then the bundle.
    const args = [
      '--preserve-symlinks',
      '--require',
      './dist/instrumentation.js',
      'dist/index.js',
    ];
    for (const config of [...configs, 'app-config.test.yaml']) {
      args.push('--config', config);
    }
    const group = await ProcessGroup.spawn(process.execPath, args, {
      cwd: dir,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const output = { text: '' };
    group.stdout!.on('data', chunk => (output.text += chunk));
    group.stderr!.on('data', chunk => (output.text += chunk));
    backend = { group, output };
    return backend;
  }

  /** Backstage's readiness turns 200 once every plugin has started (the probe deploy/ uses). */
  async function waitUntilReady(running: RunningBackend) {
    await pollUntil(
      async () => {
        if (running.group.exitStatus) {
          throw new Error(`The backend exited:\n${running.output.text}`);
        }
        try {
          const response = await fetch(
            `http://127.0.0.1:${port}/.backstage/health/v1/readiness`,
          );
          return response.ok ? true : undefined;
        } catch {
          return undefined;
        }
      },
      {
        timeoutMs: 90_000,
        intervalMs: 500,
        describe: () => running.output.text.slice(-4000),
      },
    );
  }

  /** Waits for the backend to refuse to start; resolves with its output. */
  async function refusal(running: RunningBackend): Promise<string> {
    return pollUntil(
      async () => {
        if (
          running.output.text.includes('BROM refuses to start in production')
        ) {
          return running.output.text;
        }
        if (running.group.exitStatus) {
          throw new Error(
            `The backend exited for another reason:\n${running.output.text}`,
          );
        }
        return undefined;
      },
      {
        timeoutMs: 90_000,
        intervalMs: 200,
        describe: () => running.output.text.slice(-4000),
      },
    );
  }

  /** An error body as production sends it: a message, never a stack or a file path. */
  function expectNoInternals(body: string) {
    expect(body).not.toMatch(/"stack"/);
    expect(body).not.toMatch(/\bat .+:\d+:\d+/);
    expect(body).not.toContain(dir);
    expect(body).not.toContain('node_modules');
    expect(body).not.toMatch(/\.(js|ts):\d+/);
  }

  it('serves the health check, the frontend and error bodies without internals', async () => {
    await waitUntilReady(await start(productionEnv()));
    const base = `http://127.0.0.1:${port}`;

    expect(await (await fetch(`${base}/api/brom/health`)).json()).toEqual({
      status: 'ok',
    });

    const index = await fetch(`${base}/`);
    expect(index.status).toBe(200);
    const html = await index.text();
    expect(html).toContain('<div id="root">');
    const script = html.match(/<script[^>]+src="([^"]+\.js)"/)?.[1];
    expect(script).toBeDefined();
    const asset = await fetch(new URL(script!, base));
    expect(asset.status).toBe(200);
    expect(asset.headers.get('content-type')).toMatch(/javascript/);

    // A 400: the sidecar's identity asks the feed without naming itself.
    const badRequest = await fetch(`${base}/api/brom/authz/snapshot`, {
      headers: { authorization: `Bearer ${SIDECAR_TOKEN}` },
    });
    expect(badRequest.status).toBe(400);
    const badRequestBody = await badRequest.text();
    expect(JSON.parse(badRequestBody).error).toEqual({
      name: 'InputError',
      message: expect.stringContaining('sidecar'),
    });
    expectNoInternals(badRequestBody);

    // A 500: sign-in while Feide cannot be reached fails inside the OpenID Connect client.
    const serverError = await fetch(
      `${base}/api/auth/feide/start?env=production`,
      {
        redirect: 'manual',
      },
    );
    expect(serverError.status).toBe(500);
    const serverErrorBody = await serverError.text();
    expect(JSON.parse(serverErrorBody).error.message).toContain('ECONNREFUSED');
    expectNoInternals(serverErrorBody);
  });

  it('serves the reconciler and request metrics to a Prometheus scraper', async () => {
    await waitUntilReady(await start(productionEnv()));
    for (let i = 0; i < 3; i++) {
      expect((await fetch(`http://127.0.0.1:${port}/api/brom/health`)).ok).toBe(true);
    }
    // The broker is a closed port: the reconciler's passes fail, and say so.
    const text = await pollUntil(
      async () => {
        const response = await fetch(`http://127.0.0.1:${metricsPort}/metrics`);
        const body = await response.text();
        return /^brom_reconciler_passes_total\{[^}]*outcome="failed"/m.test(body)
          ? body
          : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 500, describe: () => 'no reconciler metrics' },
    );
    expect(text).toMatch(/^# TYPE brom_reconciler_pass_duration_ms histogram$/m);
    expect(text).toMatch(/^brom_reconciler_pending_objects\b/m);
    const requests = text.match(
      /^http_server_request_duration_count\{[^}]*http_response_status_code="200"[^}]*\} (\d+)$/m,
    );
    expect(Number(requests?.[1])).toBeGreaterThanOrEqual(3);
  });

  it('refuses development secrets, naming each setting', async () => {
    const output = await refusal(
      await start({
        ...productionEnv(),
        BROM_SIDECAR_TOKEN: 'development-only-sidecar-token-change-me',
        BROM_BROKER_PASSWORD: 'brom-development-only',
      }),
    );
    expect(output).toContain(
      'backend.auth.externalAccess[0].options.token is a development default',
    );
    expect(output).toContain('brom.broker.password is a development default');
  });

  it('refuses the development configuration (guest sign-in) in production mode', async () => {
    const output = await refusal(
      await start(productionEnv(), [
        join(REPO_ROOT, 'app-config.yaml'),
        'app-config.production.yaml',
      ]),
    );
    expect(output).toContain(
      'auth.providers.guest signs in without credentials',
    );
    expect(output).toContain(
      'auth.providers.development signs in without credentials',
    );
  });
});

import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join, resolve } from 'node:path';
import { resolvePackagePath } from '@backstage/backend-plugin-api';
import { findFreePorts, pollUntil } from '../process';
import { RabbitNode } from '../rabbitmq/RabbitNode';

const root = resolve(resolvePackagePath('@internal/brom-test'), '..');

/** Newest modification time under `dir`, skipping build output and dependencies. */
function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'node_modules' || entry.name === 'dist') continue;
    const path = join(dir, entry.name);
    newest = Math.max(
      newest,
      entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs,
    );
  }
  return newest;
}

/**
 * Builds the production bundle of the app unless one newer than every source of the app
 * and the frontend plugin exists; the backend's app plugin serves it.
 */
export function buildAppIfStale() {
  const index = join(root, 'packages/app/dist/index.html');
  const sources = Math.max(
    newestMtime(join(root, 'packages/app/src')),
    newestMtime(join(root, 'plugins/brom/src')),
    newestMtime(join(root, 'plugins/brom-common/src')),
  );
  if (existsSync(index) && statSync(index).mtimeMs > sources) return;
  const result = spawnSync('npx', ['backstage-cli', 'package', 'build'], {
    cwd: join(root, 'packages/app'),
    encoding: 'utf8',
    env: { ...process.env, NODE_ENV: 'production' },
  });
  if (result.status !== 0) {
    throw new Error(`Building the app failed:\n${result.stdout}\n${result.stderr}`);
  }
}

function stop(child: ChildProcess | undefined, signal: NodeJS.Signals = 'SIGTERM') {
  if (!child?.pid || child.exitCode !== null || child.signalCode !== null) {
    return Promise.resolve();
  }
  return new Promise<void>(done => {
    const kill = setTimeout(() => {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // gone already
      }
    }, 10_000);
    child.once('exit', () => {
      clearTimeout(kill);
      done();
    });
    try {
      process.kill(-child.pid!, signal);
    } catch {
      clearTimeout(kill);
      done();
    }
  });
}

/**
 * The whole loop for a browser test: the production build served by the real backend
 * (SQLite, development sign-in), a dedicated RabbitMQ node, and the authz sidecar the node
 * asks, fed by the backend.
 */
export class PortalUnderTest {
  readonly baseUrl: string;
  readonly node: RabbitNode;
  readonly vhost = 'brom-e2e';
  readonly #backend: ChildProcess;
  readonly #sidecar: ChildProcess;

  private constructor(options: {
    baseUrl: string;
    node: RabbitNode;
    backend: ChildProcess;
    sidecar: ChildProcess;
  }) {
    this.baseUrl = options.baseUrl;
    this.node = options.node;
    this.#backend = options.backend;
    this.#sidecar = options.sidecar;
  }

  static async start(options: { outputDir: string }): Promise<PortalUnderTest> {
    buildAppIfStale();
    // A fresh in-memory portal starts at state version 0: a sidecar disk copy from an
    // earlier run would be "newer" and refused nothing, so every run starts clean.
    rmSync(options.outputDir, { recursive: true, force: true });
    mkdirSync(options.outputDir, { recursive: true });
    const node = await RabbitNode.start({ authRequestTimeoutMs: 2000 });
    const [port, sidecarAdminPort] = await findFreePorts(2);
    const baseUrl = `http://localhost:${port}`;
    const token = randomBytes(24).toString('base64url');
    const configFile = join(options.outputDir, 'app-config.e2e.yaml');
    writeFileSync(
      configFile,
      JSON.stringify({
        app: { baseUrl },
        backend: {
          baseUrl,
          listen: { port, host: '127.0.0.1' },
          cors: { origin: baseUrl },
          auth: {
            externalAccess: [
              {
                type: 'static',
                options: { token, subject: 'brom-sidecar' },
                accessRestrictions: [{ plugin: 'brom' }],
              },
            ],
          },
        },
        brom: {
          seedExampleData: false,
          broker: {
            vhost: 'brom-e2e',
            amqpUrl: `amqp://127.0.0.1:${node.ports.amqp}`,
            managementUrl: node.managementUrl,
            username: node.admin.username,
            password: node.admin.password,
            requestTimeoutMs: 3000,
          },
          reconciler: { resyncSeconds: 2, backoffBaseMs: 200, backoffCapMs: 2000 },
          catalog: { pollSeconds: 2 },
        },
      }),
    );
    // The processes' logs go to files beside the screenshots, not into Jest's output.
    const backendLog = openSync(join(options.outputDir, 'backend.log'), 'w');
    const sidecarLog = openSync(join(options.outputDir, 'sidecar.log'), 'w');
    const backend = spawn(
      'node',
      [
        '--require',
        '@backstage/cli/config/nodeTransform.cjs',
        'src/index.ts',
        '--config',
        '../../app-config.yaml',
        '--config',
        configFile,
      ],
      {
        cwd: join(root, 'packages/backend'),
        env: { ...process.env, NODE_ENV: 'development', BROM_SIDECAR_TOKEN: token },
        stdio: ['ignore', backendLog, backendLog],
        detached: true,
      },
    );
    const sidecar = spawn('node', ['sidecar/bin/brom-sidecar.js'], {
      cwd: root,
      env: {
        ...process.env,
        BROM_SIDECAR_PORTAL_URL: `http://127.0.0.1:${port}`,
        BROM_SIDECAR_TOKEN: token,
        BROM_SIDECAR_INSTANCE_ID: 'e2e',
        BROM_SIDECAR_AUTH_PORT: String(node.ports.auth),
        BROM_SIDECAR_ADMIN_PORT: String(sidecarAdminPort),
        BROM_SIDECAR_SNAPSHOT_PATH: join(options.outputDir, 'sidecar', 'snapshot.json'),
        BROM_SIDECAR_WAIT_SECONDS: '10',
        BROM_SIDECAR_BACKOFF_MAX_MS: '1000',
        BROM_SIDECAR_LOG_LEVEL: 'info',
      },
      stdio: ['ignore', sidecarLog, sidecarLog],
      detached: true,
    });
    const portal = new PortalUnderTest({ baseUrl, node, backend, sidecar });
    try {
      await pollUntil(
        async () => {
          if (backend.exitCode !== null) {
            throw new Error(`The backend exited with ${backend.exitCode}`);
          }
          const res = await fetch(`${baseUrl}/api/brom/health`).catch(() => undefined);
          return res?.ok ? true : undefined;
        },
        { timeoutMs: 120_000, describe: () => 'the backend never answered /api/brom/health' },
      );
      await pollUntil(
        async () => {
          const res = await fetch(`http://127.0.0.1:${sidecarAdminPort}/readyz`).catch(
            () => undefined,
          );
          return res?.ok ? true : undefined;
        },
        { timeoutMs: 60_000, describe: () => 'the sidecar never loaded a snapshot' },
      );
    } catch (error) {
      await portal.stop();
      throw error;
    }
    return portal;
  }

  async stop() {
    await stop(this.#sidecar);
    await stop(this.#backend);
    await this.node.stop();
  }
}

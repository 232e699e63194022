/**
 * `npm start`: the portal on its embedded defaults and, when rabbitmq-server is installed,
 * a development RabbitMQ node of its own plus the authz sidecar, so the whole loop works
 * locally. Ctrl-C (or SIGTERM) stops everything this script started.
 */
import { ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { RabbitNode } from '../test/src/rabbitmq/RabbitNode';

const root = resolve(__dirname, '..');
const RABBITMQ_SERVER = join(
  process.env.BROM_TEST_RABBITMQ_BIN_DIR ?? '/usr/lib/rabbitmq/bin',
  'rabbitmq-server',
);

function log(message: string) {
  process.stdout.write(`[brom] ${message}\n`);
}

function run(command: string, args: string[], env: NodeJS.ProcessEnv): ChildProcess {
  return spawn(command, args, {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: 'inherit',
    detached: true,
  });
}

/**
 * Stops a child's process group: `signal`, then SIGKILL after a grace period. A child that has
 * already exited (the portal killed by a signal, say) may leave members of its group running
 * (the backend under `backstage-cli`): they get the same treatment, with a shorter grace, and
 * nothing waits for an exit event that has come and gone.
 */
function stopChild(child: ChildProcess | undefined, signal: NodeJS.Signals = 'SIGTERM') {
  if (!child?.pid) return Promise.resolve();
  const pid = child.pid;
  const exited = child.exitCode !== null || child.signalCode !== null;
  return new Promise<void>(done => {
    const timer = setTimeout(() => {
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {
        // already gone
      }
      done();
    }, exited ? 2_000 : 10_000);
    const finish = () => {
      clearTimeout(timer);
      done();
    };
    if (!exited) child.once('exit', finish);
    try {
      process.kill(-pid, signal);
    } catch {
      // No process left in the group.
      finish();
    }
  });
}

export async function main() {
  const sidecarToken = randomBytes(24).toString('base64url');
  const env: NodeJS.ProcessEnv = { BROM_SIDECAR_TOKEN: sidecarToken };
  let node: RabbitNode | undefined;
  let sidecar: ChildProcess | undefined;
  let portal: ChildProcess | undefined;
  let stopping = false;

  const stopAll = async (code: number) => {
    if (stopping) return;
    stopping = true;
    log('stopping…');
    await stopChild(portal);
    await stopChild(sidecar);
    await node?.stop().catch(error => log(`stopping RabbitMQ failed: ${error}`));
    process.exit(code);
  };
  process.on('SIGINT', () => stopAll(0));
  process.on('SIGTERM', () => stopAll(0));

  if (existsSync(RABBITMQ_SERVER)) {
    log('starting a development RabbitMQ node (takes a few seconds)…');
    node = await RabbitNode.start({ authRequestTimeoutMs: 2000 });
    const dataDir = join(root, '.brom-dev');
    mkdirSync(dataDir, { recursive: true });
    // The portal's in-memory database starts again at state version 0 every time; the
    // sidecar refuses snapshots older than its disk copy, so that copy must not outlive it.
    rmSync(join(dataDir, 'authz-snapshot.json'), { force: true });
    sidecar = run('node', ['sidecar/bin/brom-sidecar.js'], {
      BROM_SIDECAR_PORTAL_URL: 'http://127.0.0.1:7007',
      BROM_SIDECAR_TOKEN: sidecarToken,
      BROM_SIDECAR_INSTANCE_ID: 'development',
      BROM_SIDECAR_AUTH_PORT: String(node.ports.auth),
      BROM_SIDECAR_ADMIN_PORT: '18090',
      BROM_SIDECAR_SNAPSHOT_PATH: join(dataDir, 'authz-snapshot.json'),
      BROM_SIDECAR_WAIT_SECONDS: '20',
    });
    Object.assign(env, {
      BROM_DEV_AMQP_PORT: String(node.ports.amqp),
      BROM_DEV_MANAGEMENT_PORT: String(node.ports.management),
      BROM_DEV_BROKER_USERNAME: node.admin.username,
      BROM_DEV_BROKER_PASSWORD: node.admin.password,
    });
    log(
      `RabbitMQ: amqp://127.0.0.1:${node.ports.amqp}, management ${node.managementUrl} ` +
        `(user ${node.admin.username}, password ${node.admin.password}); ` +
        `sidecar on 127.0.0.1:${node.ports.auth} (admin http://127.0.0.1:18090/readyz)`,
    );
  } else {
    log(
      `rabbitmq-server is not installed (${RABBITMQ_SERVER}): the portal runs, and its ` +
        'status pages say the broker is unreachable. apt-get install rabbitmq-server to get the whole loop.',
    );
    Object.assign(env, { BROM_DEV_BROKER_PASSWORD: 'no-broker-installed' });
  }

  portal = run('npx', ['backstage-cli', 'repo', 'start'], env);
  portal.on('exit', code => stopAll(code ?? 0));
  sidecar?.on('exit', code => {
    if (!stopping) log(`the sidecar exited (${code}); the broker now denies applications`);
  });
}

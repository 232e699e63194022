import { ChildProcess, execFileSync, fork, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { SidecarBuild } from '@internal/brom-sidecar';
import type { LoadJob, LoadResult } from './loadgen';

const TRANSFORM = require.resolve('@backstage/cli/config/nodeTransform.cjs');
const SIDECAR_DIR = dirname(
  require.resolve('@internal/brom-sidecar/package.json'),
);
const SIDECAR_BIN = join(SIDECAR_DIR, 'bin', 'brom-sidecar.js');
/** Where this workspace's packages are installed (for a sidecar command outside it). */
const WORKSPACE_NODE_MODULES = dirname(
  dirname(require.resolve('undici/package.json')),
);

/**
 * Compiles the sidecar (`npm run build` of @internal/brom-sidecar, i.e. sidecar/scripts/build.js)
 * so that its command runs dist/main.js, as a production sidecar does. Returns how long it took.
 */
export function buildSidecar(): number {
  const started = performance.now();
  execFileSync(process.execPath, [join(SIDECAR_DIR, 'scripts', 'build.js')], {
    cwd: SIDECAR_DIR,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  return performance.now() - started;
}

/** A child process that speaks TypeScript from source through Backstage's SWC transform. */
function forkTs(file: string, env?: NodeJS.ProcessEnv): ChildProcess {
  return fork(file, [], {
    execArgv: ['--require', TRANSFORM],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    ...(env ? { env: { ...process.env, ...env } } : {}),
  });
}

/** Resolves with the first IPC message of the given type (the transform sends others). */
function nextMessage<T extends { type: string }>(
  child: ChildProcess,
  types: string[],
  timeoutMs: number,
): Promise<T> {
  return new Promise((resolve, reject) => {
    let cleanup = () => {};
    const timer = setTimeout(() => {
      cleanup();
      reject(
        new Error(`No ${types.join('/')} from child within ${timeoutMs} ms`),
      );
    }, timeoutMs);
    const onMessage = (message: T) => {
      if (message && types.includes(message.type)) {
        cleanup();
        resolve(message);
      }
    };
    const onExit = (code: number | null) => {
      cleanup();
      reject(new Error(`Child exited (${code}) before ${types.join('/')}`));
    };
    cleanup = () => {
      clearTimeout(timer);
      child.off('message', onMessage);
      child.off('exit', onExit);
    };
    child.on('message', onMessage);
    child.on('exit', onExit);
  });
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) {
    return Promise.resolve();
  }
  return new Promise(resolve => child.once('exit', () => resolve()));
}

/** Stops a child we started: SIGTERM, then SIGKILL if it lingers. */
async function stopChild(child: ChildProcess, graceMs = 5_000): Promise<void> {
  const done = exited(child);
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await done;
  clearTimeout(timer);
}

export function clockTicksPerSecond(): number {
  try {
    return (
      Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100
    );
  } catch {
    return 100;
  }
}

/** Peak resident set size (VmHWM) of a live process, in kB. */
export function peakRssKb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'latin1');
  const match = /^VmHWM:\s+(\d+) kB/m.exec(status);
  return match ? Number(match[1]) : NaN;
}

export interface ServerUnderTest {
  name: string;
  pid: number;
  authPort: number;
  stop(): Promise<void>;
}

/**
 * The floor on `listenPort` (a RabbitMQ node's auth port), or on a free port; `batched` makes
 * it write its answers the way the sidecar does (see floorServer.ts).
 */
export async function startFloor(
  listenPort = 0,
  options: { batched?: boolean } = {},
): Promise<ServerUnderTest> {
  const child = forkTs(require.resolve('./floorServer'), {
    BROM_BENCH_FLOOR_PORT: String(listenPort),
    BROM_BENCH_FLOOR_BATCHED: options.batched ? '1' : '0',
  });
  const { port } = await nextMessage<{ type: string; port: number }>(
    child,
    ['listening'],
    30_000,
  );
  return {
    name: options.batched ? 'floor-batched' : 'floor',
    pid: child.pid!,
    authPort: port,
    stop: () => stopChild(child),
  };
}

export interface SidecarProcess extends ServerUnderTest {
  adminPort: number;
  /** performance.now() at spawn, at the "Sidecar started" log line and at the first ready /readyz. */
  spawnedAt: number;
  startedAt: number;
  readyAt: number;
}

function getStatus(port: number, path: string): Promise<number> {
  return new Promise(resolve => {
    const req = request(
      { host: '127.0.0.1', port, path, agent: false, timeout: 1_000 },
      res => {
        res.resume();
        resolve(res.statusCode ?? 0);
      },
    );
    req.on('error', () => resolve(0));
    req.on('timeout', () => req.destroy());
    req.end();
  });
}

/**
 * Spawns the real sidecar command (bin/brom-sidecar.js) against a portal, waits for its
 * "Sidecar started" line to learn its ports and which build it runs (refusing any other than
 * the one asked for), then polls /readyz every 2 ms until 200.
 */
export async function startSidecarProcess(options: {
  portalUrl: string;
  token: string;
  snapshotPath: string;
  /** `compiled` needs buildSidecar() first; `source` forces the SWC transform. */
  build: SidecarBuild;
  /**
   * Another sidecar command to run instead (an older checkout's `sidecar/bin/brom-sidecar.js`,
   * for before/after figures); it resolves packages from this workspace, and whatever build it
   * runs is accepted.
   */
  bin?: string;
  /** The auth port (a RabbitMQ node's); a free port when absent. */
  authPort?: number;
  readyTimeoutMs?: number;
}): Promise<SidecarProcess> {
  const spawnedAt = performance.now();
  const child = spawn(process.execPath, [options.bin ?? SIDECAR_BIN], {
    env: {
      PATH: process.env.PATH,
      ...(options.bin ? { NODE_PATH: WORKSPACE_NODE_MODULES } : {}),
      BROM_SIDECAR_PORTAL_URL: options.portalUrl,
      BROM_SIDECAR_TOKEN: options.token,
      BROM_SIDECAR_INSTANCE_ID: 'bench',
      BROM_SIDECAR_AUTH_PORT: String(options.authPort ?? 0),
      BROM_SIDECAR_ADMIN_PORT: '0',
      BROM_SIDECAR_SNAPSHOT_PATH: options.snapshotPath,
      BROM_SIDECAR_DRAIN_SECONDS: '0',
      BROM_SIDECAR_LOG_LEVEL: 'info',
      ...(options.build === 'source'
        ? { BROM_SIDECAR_RUN_FROM_SOURCE: '1' }
        : {}),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stderr!.on('data', chunk => (output += chunk));
  const started = await new Promise<{
    at: number;
    authPort: number;
    adminPort: number;
    build: unknown;
  }>((resolve, reject) => {
    let buffer = '';
    const timer = setTimeout(
      () => reject(new Error(`Sidecar did not start: ${output}`)),
      30_000,
    );
    child.stdout!.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      for (
        let newline = buffer.indexOf('\n');
        newline !== -1;
        newline = buffer.indexOf('\n')
      ) {
        const line = buffer.slice(0, newline);
        buffer = buffer.slice(newline + 1);
        output += `${line}\n`;
        try {
          const entry = JSON.parse(line);
          if (entry.msg === 'Sidecar started') {
            clearTimeout(timer);
            resolve({
              at: performance.now(),
              authPort: Number(String(entry.authAddress).split(':').pop()),
              adminPort: Number(String(entry.adminAddress).split(':').pop()),
              build: entry.build,
            });
          }
        } catch {
          // not a log line
        }
      }
    });
    child.once('exit', code => {
      clearTimeout(timer);
      reject(new Error(`Sidecar exited (${code}): ${output}`));
    });
  });
  if (!options.bin && started.build !== options.build) {
    await stopChild(child);
    throw new Error(
      `The sidecar ran its ${String(started.build)} build, not the ${
        options.build
      } one the benchmark asked for${
        options.build === 'compiled'
          ? ' (is sidecar/dist/main.js older than a source file?)'
          : ''
      }`,
    );
  }
  const deadline = performance.now() + (options.readyTimeoutMs ?? 30_000);
  for (;;) {
    if ((await getStatus(started.adminPort, '/readyz')) === 200) {
      break;
    }
    if (performance.now() > deadline) {
      await stopChild(child);
      throw new Error(`Sidecar never became ready: ${output}`);
    }
    await new Promise(resolve => setTimeout(resolve, 2));
  }
  const readyAt = performance.now();
  return {
    name: 'sidecar',
    pid: child.pid!,
    authPort: started.authPort,
    adminPort: started.adminPort,
    spawnedAt,
    startedAt: started.at,
    readyAt,
    stop: () => stopChild(child),
  };
}

/** The load generator child: one job at a time. */
export class LoadGenerator {
  readonly #child: ChildProcess;

  private constructor(child: ChildProcess) {
    this.#child = child;
  }

  static start(): LoadGenerator {
    return new LoadGenerator(forkTs(require.resolve('./loadgen')));
  }

  async run(job: Omit<LoadJob, 'type'>): Promise<LoadResult> {
    const reply = nextMessage<LoadResult | { type: 'error'; error: string }>(
      this.#child,
      ['result', 'error'],
      job.warmupMs + job.durationMs + 30_000,
    );
    this.#child.send({ type: 'run', ...job });
    const message = await reply;
    if (message.type === 'error') {
      throw new Error(`Load generator failed: ${message.error}`);
    }
    return message;
  }

  close(): Promise<void> {
    return stopChild(this.#child);
  }
}

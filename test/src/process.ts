import { ChildProcess, spawn, SpawnOptions } from 'node:child_process';
import { createServer, Socket } from 'node:net';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/*
 * Process plumbing for the harness: every long-lived process is spawned
 * detached, as the leader of its own process group, so that one signal to the
 * group also reaches what it forked (beam's erl_child_setup, inet_gethost, the
 * disk monitor shell). Live groups are tracked here and killed on process
 * exit; for deaths that skip the exit hook, see startWatchdog.
 */

const liveGroups = new Set<number>();
const dirsToRemove = new Set<string>();
let exitHookInstalled = false;

function installExitHook() {
  if (exitHookInstalled) {
    return;
  }
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const pgid of liveGroups) {
      signalGroup(pgid, 'SIGKILL');
    }
    for (const dir of dirsToRemove) {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

/** Removes `dir` when the process exits unless {@link forgetDirectory} was called first. */
export function removeDirectoryOnExit(dir: string) {
  installExitHook();
  dirsToRemove.add(dir);
}

export function forgetDirectory(dir: string) {
  dirsToRemove.delete(dir);
}

/** Sends `signal` to every process in the group; false if the group is gone. */
export function signalGroup(pgid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') {
      return false;
    }
    throw error;
  }
}

/** A detached process group whose leader we spawned. */
export class ProcessGroup {
  readonly pid: number;
  readonly #child: ChildProcess;
  readonly #exited: Promise<{ code: number | null; signal: string | null }>;
  readonly #closed: Promise<void>;
  readonly #recordFile: string | undefined;
  #exitStatus: { code: number | null; signal: string | null } | undefined;

  /**
   * With `recordDir`, the group's id is kept as a file in that directory
   * while the group lives, for a {@link startWatchdog} to find.
   */
  static async spawn(
    command: string,
    args: string[],
    options: Omit<SpawnOptions, 'detached'> & { recordDir?: string },
  ): Promise<ProcessGroup> {
    installExitHook();
    const { recordDir, ...spawnOptions } = options;
    const child = spawn(command, args, { ...spawnOptions, detached: true });
    // spawn reports a missing executable asynchronously: wait for either
    // outcome so callers get a clear error instead of an orphan handle.
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', resolve);
      child.once('error', error =>
        reject(new Error(`Could not start ${command}: ${error.message}`)),
      );
    });
    const recordFile = recordDir
      ? join(recordDir, String(child.pid))
      : undefined;
    if (recordFile) {
      writeFileSync(recordFile, String(child.pid));
    }
    return new ProcessGroup(child, recordFile);
  }

  private constructor(child: ChildProcess, recordFile: string | undefined) {
    this.#child = child;
    this.#recordFile = recordFile;
    this.pid = child.pid!;
    liveGroups.add(this.pid);
    this.#exited = new Promise(resolve => {
      child.once('exit', (code, signal) => {
        this.#exitStatus = { code, signal };
        resolve(this.#exitStatus);
      });
    });
    this.#closed = new Promise(resolve => child.once('close', () => resolve()));
    // The harness, not the event loop, decides how long these live.
    child.unref();
  }

  get stdout() {
    return this.#child.stdout;
  }

  get stderr() {
    return this.#child.stderr;
  }

  get exitStatus() {
    return this.#exitStatus;
  }

  get exited() {
    return this.#exited;
  }

  /** Resolves true if the leader exited within `timeoutMs`. */
  async waitForExit(timeoutMs: number): Promise<boolean> {
    if (this.#exitStatus) {
      return true;
    }
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<false>(resolve => {
      timer = setTimeout(() => resolve(false), timeoutMs);
    });
    try {
      return await Promise.race([this.#exited.then(() => true), timedOut]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Resolves once the leader exited and its stdio streams are closed, or after `timeoutMs`. */
  async waitForClose(timeoutMs: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      this.#closed,
      new Promise(resolve => {
        timer = setTimeout(resolve, timeoutMs);
      }),
    ]);
    clearTimeout(timer);
  }

  signalLeader(signal: NodeJS.Signals) {
    if (!this.#exitStatus) {
      this.#child.kill(signal);
    }
  }

  /**
   * Stops the whole group: `signal` to the leader, SIGKILL to the group if
   * the leader is still there after `graceMs`, and a final SIGKILL to the
   * group for anything the leader left behind.
   */
  async terminate(signal: NodeJS.Signals, graceMs: number): Promise<void> {
    this.signalLeader(signal);
    if (!(await this.waitForExit(graceMs))) {
      signalGroup(this.pid, 'SIGKILL');
      await this.waitForExit(10_000);
    }
    signalGroup(this.pid, 'SIGKILL');
    liveGroups.delete(this.pid);
    if (this.#recordFile) {
      rmSync(this.#recordFile, { force: true });
    }
  }
}

// dash's kill takes neither `--` nor `-KILL` before a negative pid: `-9 -PGID`.
// Polls once a second: the watchdog only matters when its owner died
// without cleaning up, where a second of delay is harmless.
const WATCHDOG_SCRIPT = `
owner=$1 dir=$2 groups=$3
while kill -0 "$owner" 2>/dev/null && [ -d "$dir" ]; do sleep 1; done
[ -d "$dir" ] || exit 0
for file in "$groups"/*; do
  pgid=$(cat "$file" 2>/dev/null) || continue
  case $pgid in ''|*[!0-9]*) continue ;; esac
  kill -9 "-$pgid" 2>/dev/null
done
rm -rf "$dir"
`;

/**
 * Starts a process that outlives this one to clean up after it: when this
 * process dies while `dir` still exists (a Jest worker killed on timeout,
 * Ctrl-C, SIGKILL, cases the 'exit' hook never sees), it kills every group
 * recorded in `groupsDir` (see {@link ProcessGroup.spawn}) and removes
 * `dir`. It exits by itself once `dir` is gone; terminate it to stop it sooner.
 */
export async function startWatchdog(
  dir: string,
  groupsDir: string,
): Promise<ProcessGroup> {
  return ProcessGroup.spawn(
    'sh',
    [
      '-c',
      WATCHDOG_SCRIPT,
      'brom-test-watchdog',
      String(process.pid),
      dir,
      groupsDir,
    ],
    { stdio: 'ignore' },
  );
}

export interface CommandResult {
  code: number | null;
  signal: string | null;
  output: string;
  timedOut: boolean;
}

/**
 * Runs a short-lived command to completion with a hard time bound. It runs
 * in its own group so that a timeout also kills what it started (rabbitmqctl
 * is a shell script around an Erlang VM).
 */
export async function runCommand(
  command: string,
  args: string[],
  options: { env: NodeJS.ProcessEnv; timeoutMs: number; recordDir?: string },
): Promise<CommandResult> {
  const group = await ProcessGroup.spawn(command, args, {
    env: options.env,
    stdio: ['ignore', 'pipe', 'pipe'],
    recordDir: options.recordDir,
  });
  return collect(group, options.timeoutMs);
}

async function collect(
  group: ProcessGroup,
  timeoutMs: number,
): Promise<CommandResult> {
  const chunks: Buffer[] = [];
  group.stdout?.on('data', (chunk: Buffer) => chunks.push(chunk));
  group.stderr?.on('data', (chunk: Buffer) => chunks.push(chunk));
  const finished = await group.waitForExit(timeoutMs);
  await group.terminate('SIGKILL', 5_000);
  // Output can still be in the pipes when the exit is reported.
  await group.waitForClose(2_000);
  const status = group.exitStatus;
  return {
    code: status?.code ?? null,
    signal: status?.signal ?? null,
    output: Buffer.concat(chunks).toString('utf8'),
    timedOut: !finished,
  };
}

/**
 * Finds `count` distinct free TCP ports on 127.0.0.1. All listeners stay open
 * until every port is chosen, so the same port is never returned twice.
 */
export async function findFreePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<ReturnType<typeof createServer>>((resolve, reject) => {
          const server = createServer();
          server.once('error', reject);
          server.listen(0, '127.0.0.1', () => resolve(server));
        }),
    ),
  );
  const ports = servers.map(server => {
    const address = server.address();
    if (!address || typeof address === 'string') {
      throw new Error('Could not determine a free port');
    }
    return address.port;
  });
  await Promise.all(
    servers.map(server => new Promise(resolve => server.close(resolve))),
  );
  return ports;
}

/** True when something accepts TCP connections on 127.0.0.1:`port`. */
export function isPortOpen(port: number): Promise<boolean> {
  return new Promise(resolve => {
    const socket = new Socket();
    const done = (open: boolean) => {
      socket.destroy();
      resolve(open);
    };
    socket.setTimeout(1_000, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
    socket.connect(port, '127.0.0.1');
  });
}

/**
 * Calls `check` until it returns a value other than undefined, or throws
 * once `timeoutMs` have passed, with `describe()` in the message.
 */
export async function pollUntil<T>(
  check: () => Promise<T | undefined>,
  options: { timeoutMs: number; intervalMs?: number; describe: () => string },
): Promise<T> {
  const deadline = Date.now() + options.timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) {
      return value;
    }
    if (Date.now() >= deadline) {
      throw new Error(
        `Timed out after ${options.timeoutMs} ms: ${options.describe()}`,
      );
    }
    await new Promise(resolve =>
      setTimeout(resolve, options.intervalMs ?? 200),
    );
  }
}

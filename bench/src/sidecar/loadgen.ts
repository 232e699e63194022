/*
 * The load generator, run in a child process of its own (fork) so that its CPU is neither the
 * server's nor the orchestrator's. It receives one job at a time over IPC and answers with the
 * figures; every job is bounded by a request count and by time, and stops by itself.
 */
import { readFileSync } from 'node:fs';
import { Socket, connect } from 'node:net';
import { performance } from 'node:perf_hooks';
import { Pool } from 'undici';
import { LatencySummary, summarizeLatencies } from '../stats';

export type LoadClient = 'raw' | 'undici';

export interface LoadJob {
  type: 'run';
  client: LoadClient;
  port: number;
  /** File with the RequestSet as JSON (path, bodies, allow). */
  requestsFile: string;
  connections: number;
  warmupMs: number;
  durationMs: number;
  /** Measured requests at most; the job ends at whichever bound comes first. */
  maxRequests: number;
  /** Compare every answer with the expected one (false for the allow-everything floor). */
  checkAnswers: boolean;
  /** Server process whose CPU time is read from /proc over the measured window. */
  serverPid: number;
  clockTicksPerSecond: number;
}

export interface LoadResult {
  type: 'result';
  requests: number;
  seconds: number;
  requestsPerSecond: number;
  /** Microseconds. */
  latency: LatencySummary;
  allow: number;
  deny: number;
  /** Answers that differ from the expected one, or are neither `allow` nor `deny`, or not 200. */
  wrong: number;
  errors: number;
  /** CPU used over the measured window, in % of one core. */
  loadGeneratorCpuPercent: number;
  serverCpuPercent: number;
}

interface RequestSet {
  path: string;
  bodies: string[];
  allow: boolean[];
}

const STALL_MS = 5_000;

function processCpuSeconds(pid: number, ticks: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    // Fields after the command name, which is in parentheses and may hold spaces.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / ticks;
  } catch {
    return NaN;
  }
}

/** Shared bookkeeping of one job: phases, samples, counters. */
class Run {
  readonly startedAt = performance.now();
  readonly measureFrom: number;
  readonly measureUntil: number;
  readonly latencies: Float64Array;
  measured = 0;
  allow = 0;
  deny = 0;
  wrong = 0;
  errors = 0;
  next = 0;
  stopping = false;
  firstMeasuredAt = NaN;
  lastMeasuredAt = NaN;
  cpuAtStart: NodeJS.CpuUsage | undefined;
  cpuAtEnd: NodeJS.CpuUsage | undefined;
  serverCpuAtStart = NaN;
  serverCpuAtEnd = NaN;

  constructor(readonly job: LoadJob, readonly set: RequestSet) {
    this.measureFrom = this.startedAt + job.warmupMs;
    this.measureUntil = this.measureFrom + job.durationMs;
    this.latencies = new Float64Array(job.maxRequests);
  }

  /** Index of the next request body, cycling through the set. */
  take(): number {
    const index = this.next;
    this.next = (index + 1) % this.set.bodies.length;
    return index;
  }

  /** Records a completed request; false once the job should send no more. */
  complete(
    index: number,
    sentAt: number,
    now: number,
    status: number,
    body: string,
  ): boolean {
    if (now >= this.measureUntil || this.measured >= this.job.maxRequests) {
      this.#finishWindow(now);
      return false;
    }
    if (sentAt >= this.measureFrom) {
      if (this.measured === 0) {
        this.firstMeasuredAt = sentAt;
        this.cpuAtStart = process.cpuUsage();
        this.serverCpuAtStart = processCpuSeconds(
          this.job.serverPid,
          this.job.clockTicksPerSecond,
        );
      }
      this.latencies[this.measured++] = (now - sentAt) * 1000;
      this.lastMeasuredAt = now;
      if (status !== 200) {
        this.wrong++;
      } else if (body === 'allow') {
        this.allow++;
        if (this.job.checkAnswers && !this.set.allow[index]) this.wrong++;
      } else if (body === 'deny') {
        this.deny++;
        if (this.job.checkAnswers && this.set.allow[index]) this.wrong++;
      } else {
        this.wrong++;
      }
    }
    return !this.stopping;
  }

  #finishWindow(now: number): void {
    if (this.cpuAtEnd === undefined) {
      this.stopping = true;
      this.cpuAtEnd = process.cpuUsage();
      this.serverCpuAtEnd = processCpuSeconds(
        this.job.serverPid,
        this.job.clockTicksPerSecond,
      );
      if (Number.isNaN(this.lastMeasuredAt)) {
        this.lastMeasuredAt = now;
      }
    }
  }

  result(): LoadResult {
    this.#finishWindow(performance.now());
    const seconds = (this.lastMeasuredAt - this.firstMeasuredAt) / 1000;
    const cpu =
      this.cpuAtStart && this.cpuAtEnd
        ? (this.cpuAtEnd.user -
            this.cpuAtStart.user +
            this.cpuAtEnd.system -
            this.cpuAtStart.system) /
          1e6
        : NaN;
    return {
      type: 'result',
      requests: this.measured,
      seconds,
      requestsPerSecond: seconds > 0 ? this.measured / seconds : 0,
      latency: summarizeLatencies(this.latencies.subarray(0, this.measured)),
      allow: this.allow,
      deny: this.deny,
      wrong: this.wrong,
      errors: this.errors,
      loadGeneratorCpuPercent: (cpu / seconds) * 100,
      serverCpuPercent:
        ((this.serverCpuAtEnd - this.serverCpuAtStart) / seconds) * 100,
    };
  }
}

const HEADER_END = Buffer.from('\r\n\r\n');
const CONTENT_LENGTH = /\r\ncontent-length: *(\d+)/i;
const CONNECTION_CLOSE = /\r\nconnection: *close/i;

/**
 * A minimal keep-alive HTTP/1.1 client on a raw socket, one request in flight: requests are
 * preformatted buffers and responses are parsed just enough (status, Content-Length, body), so
 * the generator spends far less CPU per request than the server under test. This is what
 * autocannon does; the broker's httpc is likewise one request at a time per connection.
 */
class WireConnection {
  #socket: Socket | undefined;
  #pending: Buffer = Buffer.alloc(0);
  #index = 0;
  #sentAt = 0;
  #closed = false;

  constructor(
    readonly run: Run,
    readonly requests: Buffer[],
    readonly port: number,
    readonly done: () => void,
  ) {}

  start(): void {
    this.#connect();
  }

  destroy(): void {
    this.#closed = true;
    this.#socket?.destroy();
  }

  #connect(): void {
    const socket = connect({
      host: '127.0.0.1',
      port: this.port,
      noDelay: true,
    });
    this.#socket = socket;
    this.#pending = Buffer.alloc(0);
    socket.on('connect', () => this.#send());
    socket.on('data', chunk => this.#onData(chunk));
    socket.on('error', () => {
      this.run.errors++;
    });
    socket.on('close', () => {
      if (this.#socket === socket && !this.#closed) {
        if (this.run.stopping) {
          this.#finish();
        } else {
          this.#connect();
        }
      }
    });
  }

  #send(): void {
    this.#index = this.run.take();
    this.#sentAt = performance.now();
    this.#socket!.write(this.requests[this.#index]);
  }

  #onData(chunk: Buffer): void {
    this.#pending =
      this.#pending.length === 0
        ? chunk
        : Buffer.concat([this.#pending, chunk]);
    const headerEnd = this.#pending.indexOf(HEADER_END);
    if (headerEnd === -1) {
      return;
    }
    const head = this.#pending.toString('latin1', 0, headerEnd);
    const length = Number(CONTENT_LENGTH.exec(head)?.[1] ?? 0);
    const total = headerEnd + 4 + length;
    if (this.#pending.length < total) {
      return;
    }
    const now = performance.now();
    const status = Number(head.slice(9, 12));
    const body = this.#pending.toString('latin1', headerEnd + 4, total);
    this.#pending = this.#pending.subarray(total);
    const more = this.run.complete(
      this.#index,
      this.#sentAt,
      now,
      status,
      body,
    );
    if (!more) {
      this.#finish();
    } else if (CONNECTION_CLOSE.test(head)) {
      this.#socket!.destroy();
      this.#connect();
    } else {
      this.#send();
    }
  }

  #finish(): void {
    if (!this.#closed) {
      this.#closed = true;
      this.#socket?.destroy();
      this.done();
    }
  }
}

function formatRequests(set: RequestSet, port: number): Buffer[] {
  return set.bodies.map(body =>
    Buffer.from(
      `POST ${set.path} HTTP/1.1\r\n` +
        `host: 127.0.0.1:${port}\r\n` +
        `content-type: application/x-www-form-urlencoded\r\n` +
        `content-length: ${Buffer.byteLength(body)}\r\n` +
        `\r\n${body}`,
      'latin1',
    ),
  );
}

async function runRaw(run: Run): Promise<void> {
  const requests = formatRequests(run.set, run.job.port);
  const connections: WireConnection[] = [];
  await new Promise<void>(resolve => {
    let open = run.job.connections;
    const done = () => {
      open--;
      if (open === 0) resolve();
    };
    for (let i = 0; i < run.job.connections; i++) {
      const connection = new WireConnection(run, requests, run.job.port, done);
      connections.push(connection);
      connection.start();
    }
    guard(run, () => {
      connections.forEach(c => c.destroy());
      resolve();
    });
  });
}

async function runUndici(run: Run): Promise<void> {
  const { job, set } = run;
  const pool = new Pool(`http://127.0.0.1:${job.port}`, {
    connections: job.connections,
    pipelining: 1,
    keepAliveTimeout: 60_000,
  });
  const headers = { 'content-type': 'application/x-www-form-urlencoded' };
  let abort: () => void = () => {};
  const aborted = new Promise<void>(resolve => (abort = resolve));
  guard(run, abort);
  const worker = async () => {
    for (;;) {
      const index = run.take();
      const sentAt = performance.now();
      try {
        const response = await pool.request({
          path: set.path,
          method: 'POST',
          headers,
          body: set.bodies[index],
        });
        const body = await response.body.text();
        if (
          !run.complete(
            index,
            sentAt,
            performance.now(),
            response.statusCode,
            body,
          )
        ) {
          return;
        }
      } catch {
        run.errors++;
        if (run.stopping || run.errors > 1000) return;
      }
    }
  };
  await Promise.race([
    Promise.all(Array.from({ length: job.connections }, worker)),
    aborted,
  ]);
  await pool.destroy();
}

/** Ends a job that stops getting answers instead of waiting forever. */
function guard(run: Run, abort: () => void): void {
  const deadline = run.measureUntil + STALL_MS;
  const timer = setInterval(() => {
    if (performance.now() > deadline) {
      clearInterval(timer);
      run.errors++;
      run.stopping = true;
      abort();
    } else if (run.stopping && run.cpuAtEnd !== undefined) {
      clearInterval(timer);
    }
  }, 250);
  timer.unref();
}

async function runJob(job: LoadJob): Promise<LoadResult> {
  const set = JSON.parse(readFileSync(job.requestsFile, 'utf8')) as RequestSet;
  const run = new Run(job, set);
  if (job.client === 'undici') {
    await runUndici(run);
  } else {
    await runRaw(run);
  }
  return run.result();
}

if (require.main === module) {
  process.on('message', (message: LoadJob | { type: 'exit' }) => {
    if (message.type === 'exit') {
      process.exit(0);
    }
    if (message.type === 'run') {
      runJob(message).then(
        result => process.send!(result),
        error =>
          process.send!({
            type: 'error',
            error: String(error?.stack ?? error),
          }),
      );
    }
  });
}

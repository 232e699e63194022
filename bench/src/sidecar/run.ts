/*
 * `npm run bench:sidecar`: the authz sidecar against a bare node:http `allow` server (the floor),
 * then the sidecar's startup on a large snapshot, then (when a RabbitMQ harness is available)
 * the broker's rates through each auth backend. Loopback only; every loop is bounded in count
 * and time. See bench/README.md for what is measured and the figures.
 *
 * Options: --rounds N (5), --warmup-ms N (1000), --duration-ms N (3000), --startup-rounds N (5),
 * --client raw|undici (raw), --parts 1,2,3 (all), --sidecar compiled|source (compiled: build
 * sidecar/dist first and run that, as production does), --sidecar-bin FILE (measure another
 * sidecar command, e.g. an older checkout's, for before/after figures), --quick (2 rounds of
 * short runs, for trying the harness), --json FILE.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join, resolve as resolvePath } from 'node:path';
import { median, spread, Spread } from '../stats';
import { BrokerResults, brokerReport, measureBroker, rotate } from './broker';
import type { SidecarBuild } from '@internal/brom-sidecar';
import type { LoadClient, LoadResult } from './loadgen';
import {
  LoadGenerator,
  ServerUnderTest,
  SidecarProcess,
  buildSidecar,
  clockTicksPerSecond,
  peakRssKb,
  startFloor,
  startSidecarProcess,
} from './processes';
import { SnapshotPortal } from './SnapshotPortal';
import {
  LARGE_SHAPE,
  REALISTIC_SHAPE,
  RequestSet,
  buildPolicy,
  buildRequests,
} from './workload';

interface Options {
  rounds: number;
  warmupMs: number;
  durationMs: number;
  startupRounds: number;
  client: LoadClient;
  /** Which parts run: 1 HTTP, 2 startup, 3 through a RabbitMQ node. */
  parts: Set<number>;
  /** Which build of the sidecar command runs: dist/main.js (built first) or the sources. */
  sidecarBuild: SidecarBuild;
  /** Another sidecar command to measure instead of this workspace's (before/after figures). */
  sidecarBin?: string;
  json?: string;
}

function parseOptions(argv: string[]): Options {
  const options: Options = {
    rounds: 5,
    warmupMs: 1_000,
    durationMs: 3_000,
    startupRounds: 5,
    client: 'raw',
    parts: new Set([1, 2, 3]),
    sidecarBuild: 'compiled',
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = () => {
      const next = argv[++i];
      if (next === undefined) throw new Error(`${arg} needs a value`);
      return next;
    };
    const count = (min: number, max: number) => {
      const n = Number(value());
      if (!Number.isInteger(n) || n < min || n > max) {
        throw new Error(`${arg} must be an integer from ${min} to ${max}`);
      }
      return n;
    };
    switch (arg) {
      case '--rounds':
        options.rounds = count(1, 20);
        break;
      case '--warmup-ms':
        options.warmupMs = count(0, 10_000);
        break;
      case '--duration-ms':
        options.durationMs = count(200, 20_000);
        break;
      case '--startup-rounds':
        options.startupRounds = count(1, 20);
        break;
      case '--client': {
        const client = value();
        if (client !== 'raw' && client !== 'undici') {
          throw new Error('--client must be raw or undici');
        }
        options.client = client;
        break;
      }
      case '--parts': {
        const parts = value().split(',').map(Number);
        if (!parts.length || parts.some(p => ![1, 2, 3].includes(p))) {
          throw new Error('--parts must list some of 1, 2, 3, e.g. 1,3');
        }
        options.parts = new Set(parts);
        break;
      }
      case '--sidecar': {
        const build = value();
        if (build !== 'compiled' && build !== 'source') {
          throw new Error('--sidecar must be compiled or source');
        }
        options.sidecarBuild = build;
        break;
      }
      case '--sidecar-bin':
        options.sidecarBin = resolvePath(value());
        break;
      case '--quick':
        Object.assign(options, {
          rounds: 2,
          warmupMs: 300,
          durationMs: 700,
          startupRounds: 2,
        });
        break;
      case '--json':
        options.json = value();
        break;
      default:
        throw new Error(`Unknown option ${arg}`);
    }
  }
  return options;
}

const ENDPOINTS = ['resource', 'topic'] as const;
const CONNECTIONS = [1, 64] as const;
/**
 * `floorBatched` is the floor writing its answers the way the sidecar does; it is informative
 * (how much of the sidecar's figure that choice alone explains) and runs at 64 connections only.
 */
const VARIANTS = ['sidecar', 'floor', 'floorBatched'] as const;
type Variant = (typeof VARIANTS)[number];
type ScenarioKey =
  `${(typeof ENDPOINTS)[number]}@${(typeof CONNECTIONS)[number]}`;

/** Measured requests per job at most; far above what 3 s can reach here, a bound not a target. */
const MAX_REQUESTS_PER_JOB = 2_000_000;
const REQUESTS_PER_SET = 4_096;
const STARTUP_TARGET_MS = 1_000;
const RSS_TARGET_MB = 200;
const RATIO_TARGET = 0.8;

const log = (line: string) => process.stdout.write(`${line}\n`);

function int(n: number): string {
  return Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : 'n/a';
}

function fmt(s: Spread, digits = 0): string {
  const f = (n: number) => {
    if (digits === 0 || !Number.isFinite(n)) return int(n);
    return n.toFixed(digits);
  };
  return `${f(s.median)} (${f(s.min)}–${f(s.max)})`;
}

async function measureHttp(
  options: Options,
  dir: string,
  ticks: number,
): Promise<{
  results: Record<Variant, Record<ScenarioKey, LoadResult[]>>;
  allowShare: Record<string, number>;
  /** The sidecars of these rounds: ready time on the realistic snapshot, peak RSS after load. */
  sidecars: StartupRound[];
}> {
  const token = randomBytes(16).toString('hex');
  const policy = buildPolicy(REALISTIC_SHAPE);
  const requests = buildRequests(policy, REQUESTS_PER_SET, 7);
  const files: Record<string, string> = {};
  const allowShare: Record<string, number> = {};
  for (const endpoint of ENDPOINTS) {
    const set: RequestSet = requests[endpoint];
    files[endpoint] = join(dir, `${endpoint}.json`);
    await writeFile(files[endpoint], JSON.stringify(set));
    allowShare[endpoint] = set.allow.filter(Boolean).length / set.allow.length;
  }
  log(
    `Snapshot: ${policy.snapshot.applications.length} applications, ${
      policy.snapshot.credentials.length
    } credentials, ${policy.producers.length} producers, ${
      policy.consumers.length
    } consumers, ${
      REALISTIC_SHAPE.subscriptions
    } routing-key patterns; requests: ${REQUESTS_PER_SET} per endpoint, allow share resource ${(
      allowShare.resource * 100
    ).toFixed(0)}% / topic ${(allowShare.topic * 100).toFixed(0)}%`,
  );

  const portal = await SnapshotPortal.start(token);
  portal.serve(policy.snapshot.version, JSON.stringify(policy.snapshot));
  const loadgen = LoadGenerator.start();
  const results = {
    sidecar: {},
    floor: {},
    floorBatched: {},
  } as Record<Variant, Record<ScenarioKey, LoadResult[]>>;
  const sidecars: StartupRound[] = [];
  try {
    for (let round = 1; round <= options.rounds; round++) {
      // Each round starts with the next variant: none always runs first.
      for (const variant of rotate(VARIANTS, round - 1)) {
        const sidecar: SidecarProcess | undefined =
          variant === 'sidecar'
            ? await startSidecarProcess({
                portalUrl: portal.url,
                token,
                snapshotPath: join(dir, `sidecar-${round}`, 'snapshot.json'),
                build: options.sidecarBuild,
                bin: options.sidecarBin,
              })
            : undefined;
        const server: ServerUnderTest =
          sidecar ??
          (await startFloor(0, { batched: variant === 'floorBatched' }));
        try {
          for (const endpoint of ENDPOINTS) {
            for (const connections of CONNECTIONS) {
              if (variant === 'floorBatched' && connections !== 64) {
                continue;
              }
              const key: ScenarioKey = `${endpoint}@${connections}`;
              const result = await loadgen.run({
                client: options.client,
                port: server.authPort,
                requestsFile: files[endpoint],
                connections,
                warmupMs: options.warmupMs,
                durationMs: options.durationMs,
                maxRequests: MAX_REQUESTS_PER_JOB,
                checkAnswers: variant === 'sidecar',
                serverPid: server.pid,
                clockTicksPerSecond: ticks,
              });
              (results[variant][key] ??= []).push(result);
              log(
                `round ${round} ${variant.padEnd(12)} /auth/${endpoint.padEnd(
                  8,
                )} ${String(connections).padStart(2)} conn: ${int(
                  result.requestsPerSecond,
                ).padStart(7)} req/s  p50 ${int(
                  result.latency.p50,
                )} µs  p99 ${int(result.latency.p99)} µs  p99.9 ${int(
                  result.latency.p999,
                )} µs  server CPU ${int(
                  result.serverCpuPercent,
                )}%  loadgen CPU ${int(result.loadGeneratorCpuPercent)}%${
                  result.wrong || result.errors
                    ? `  WRONG ${result.wrong} ERRORS ${result.errors}`
                    : ''
                }`,
              );
            }
          }
          if (sidecar) {
            sidecars.push({
              readyMs: sidecar.readyAt - sidecar.spawnedAt,
              startedLogMs: sidecar.startedAt - sidecar.spawnedAt,
              peakRssMb: peakRssKb(sidecar.pid) / 1024,
            });
          }
        } finally {
          await server.stop();
        }
      }
    }
  } finally {
    await loadgen.close();
    await portal.close();
  }
  return { results, allowShare, sidecars };
}

interface StartupRound {
  readyMs: number;
  startedLogMs: number;
  peakRssMb: number;
}

async function measureStartup(
  options: Options,
  dir: string,
): Promise<{ rounds: StartupRound[]; snapshotBytes: number; shape: string }> {
  const token = randomBytes(16).toString('hex');
  const policy = buildPolicy(LARGE_SHAPE, { version: 2 });
  const text = JSON.stringify(policy.snapshot);
  const shape = `${policy.snapshot.applications.length} applications, ${
    policy.snapshot.credentials.length
  } credentials, ${LARGE_SHAPE.subscriptions} routing-key patterns, ${(
    Buffer.byteLength(text) / 1e6
  ).toFixed(1)} MB of JSON`;
  log(`Startup snapshot: ${shape}`);
  const portal = await SnapshotPortal.start(token);
  portal.serve(policy.snapshot.version, text);
  const rounds: StartupRound[] = [];
  try {
    for (let round = 1; round <= options.startupRounds; round++) {
      const sidecar = await startSidecarProcess({
        portalUrl: portal.url,
        token,
        // A fresh path each round: the snapshot comes from the portal, not a disk copy.
        snapshotPath: join(dir, `startup-${round}`, 'snapshot.json'),
        build: options.sidecarBuild,
        bin: options.sidecarBin,
      });
      try {
        // Let the disk write and any collection after install happen; VmHWM keeps the peak.
        await new Promise(resolve => setTimeout(resolve, 1_000));
        const result = {
          readyMs: sidecar.readyAt - sidecar.spawnedAt,
          startedLogMs: sidecar.startedAt - sidecar.spawnedAt,
          peakRssMb: peakRssKb(sidecar.pid) / 1024,
        };
        rounds.push(result);
        log(
          `startup round ${round}: ports open ${int(
            result.startedLogMs,
          )} ms, ready ${int(
            result.readyMs,
          )} ms after spawn, peak RSS ${result.peakRssMb.toFixed(1)} MB`,
        );
      } finally {
        await sidecar.stop();
      }
    }
  } finally {
    await portal.close();
  }
  return { rounds, snapshotBytes: Buffer.byteLength(text), shape };
}

function describeSidecar(options: Options): string {
  if (options.sidecarBin) {
    return `the command ${options.sidecarBin} (--sidecar-bin)`;
  }
  return options.sidecarBuild === 'compiled'
    ? 'compiled build (sidecar/dist/main.js)'
    : 'TypeScript sources through the SWC transform';
}

function pass(ok: boolean): string {
  return ok ? 'PASS' : 'FAIL';
}

async function main(): Promise<void> {
  // npm eats options after the root script's name, so they may also come from the environment.
  const options = parseOptions([
    ...(process.env.BENCH_SIDECAR_ARGS ?? '').split(/\s+/).filter(Boolean),
    ...process.argv.slice(2),
  ]);
  const ticks = clockTicksPerSecond();
  const cpu = cpus();
  const began = Date.now();
  log(
    `BROM sidecar benchmark — ${new Date(began).toISOString()}; ${
      cpu.length
    } CPU(s) ${cpu[0]?.model ?? ''}, ${(totalmem() / 2 ** 30).toFixed(
      0,
    )} GiB, Node ${process.version}, load average ${loadavg()
      .map(n => n.toFixed(2))
      .join(' ')}; load generator: ${options.client}, ${
      options.rounds
    } rounds × ${options.warmupMs} ms warm-up + ${
      options.durationMs
    } ms measured; sidecar: ${describeSidecar(options)}`,
  );
  if (options.sidecarBuild === 'compiled' && !options.sidecarBin) {
    log(
      `Compiled the sidecar (sidecar/scripts/build.js) in ${int(
        buildSidecar(),
      )} ms`,
    );
  }
  const dir = await mkdtemp(join(tmpdir(), 'brom-bench-sidecar-'));
  try {
    const http = options.parts.has(1)
      ? await measureHttp(options, dir, ticks)
      : undefined;
    const startup = options.parts.has(2)
      ? await measureStartup(options, dir)
      : undefined;
    let broker: BrokerResults | string = 'not selected (--parts)';
    if (options.parts.has(3)) {
      try {
        broker = await measureBroker(options, dir, log);
      } catch (error) {
        // RabbitMQ not installed (or the node would not boot): report the part as not run.
        broker = `not run: ${(error as Error).message.split('\n')[0]}`;
        log(`Part 3 (through a RabbitMQ node) ${broker}`);
      }
    }
    log('');
    report(options, http, startup, broker, began);
    if (options.json) {
      await writeFile(
        options.json,
        JSON.stringify(
          {
            options: { ...options, parts: [...options.parts] },
            http,
            startup,
            broker,
          },
          null,
          2,
        ),
      );
      log(`Raw figures written to ${options.json}`);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function report(
  options: Options,
  http: Awaited<ReturnType<typeof measureHttp>> | undefined,
  startup: Awaited<ReturnType<typeof measureStartup>> | undefined,
  broker: BrokerResults | string,
  began: number,
): void {
  const rows: string[][] = [
    ['metric', 'sidecar', 'floor (bare node:http allow)', 'sidecar / floor'],
  ];
  const targets: string[][] = [['target', 'measured', 'result']];
  if (http) {
    httpFigures(http.results, http.sidecars, rows, targets);
  }
  if (startup) {
    startupFigures(startup, rows, targets);
  }
  let brokerRows: string[][] | undefined;
  if (typeof broker === 'string') {
    targets.push([
      'broker publish and connect rates via sidecar not below the bare allow server beyond noise',
      broker,
      'n/a',
    ]);
  } else {
    const part3 = brokerReport(broker, fmt);
    brokerRows = [
      [
        'through a RabbitMQ node (one channel / one connection at a time)',
        'sidecar (live mode)',
        'native mode (sidecar authenticates)',
        'native, 1 pattern',
        'floor (bare allow server)',
        'internal backend',
        'internal, same permissions',
        'sidecar / floor',
      ],
      ...part3.rows,
    ];
    targets.push(...part3.targets);
  }

  log(
    `Figures: median (min–max) over ${options.rounds} interleaved rounds${
      startup ? ` (startup: ${startup.rounds.length} rounds)` : ''
    }; sidecar: ${describeSidecar(options)}; took ${(
      (Date.now() - began) /
      1000
    ).toFixed(0)} s`,
  );
  if (rows.length > 1) {
    log(table(rows));
    log('');
  }
  if (brokerRows) {
    log(table(brokerRows));
    log('');
  }
  log(table(targets));
}

function httpFigures(
  results: Record<Variant, Record<ScenarioKey, LoadResult[]>>,
  realistic: StartupRound[],
  rows: string[][],
  targets: string[][],
): void {
  let wrong = 0;
  let errors = 0;
  for (const endpoint of ENDPOINTS) {
    for (const connections of CONNECTIONS) {
      const key: ScenarioKey = `${endpoint}@${connections}`;
      const s = results.sidecar[key] ?? [];
      const f = results.floor[key] ?? [];
      for (const r of [...s, ...f, ...(results.floorBatched[key] ?? [])]) {
        wrong += r.wrong;
        errors += r.errors;
      }
      const label = `/auth/${endpoint} ${connections} conn`;
      const rps = (rs: LoadResult[]) =>
        spread(rs.map(r => r.requestsPerSecond));
      // Rounds are interleaved, so round i of the sidecar pairs with round i of the floor.
      const ratios = spread(
        s.map((r, i) => r.requestsPerSecond / (f[i]?.requestsPerSecond ?? NaN)),
      );
      rows.push([
        `${label}: req/s`,
        fmt(rps(s)),
        fmt(rps(f)),
        `${fmt(ratios, 2)}`,
      ]);
      for (const [name, pick] of [
        ['p50 µs', (r: LoadResult) => r.latency.p50],
        ['p99 µs', (r: LoadResult) => r.latency.p99],
        ['p99.9 µs', (r: LoadResult) => r.latency.p999],
      ] as const) {
        rows.push([
          `${label}: ${name}`,
          fmt(spread(s.map(pick))),
          fmt(spread(f.map(pick))),
          '',
        ]);
      }
      const cpuPerRequest = (rs: LoadResult[]) =>
        spread(rs.map(r => (r.serverCpuPercent * 1e4) / r.requestsPerSecond));
      rows.push([
        `${label}: server CPU µs per request`,
        fmt(cpuPerRequest(s), 1),
        fmt(cpuPerRequest(f), 1),
        '',
      ]);
      rows.push([
        `${label}: server CPU % / loadgen CPU %`,
        `${int(median(s.map(r => r.serverCpuPercent)))} / ${int(
          median(s.map(r => r.loadGeneratorCpuPercent)),
        )}`,
        `${int(median(f.map(r => r.serverCpuPercent)))} / ${int(
          median(f.map(r => r.loadGeneratorCpuPercent)),
        )}`,
        '',
      ]);
      if (connections === 64) {
        const b = results.floorBatched[key] ?? [];
        rows.push([
          `${label}: req/s of a floor writing in batches like the sidecar`,
          '',
          fmt(rps(b)),
          fmt(
            spread(
              s.map(
                (r, i) =>
                  r.requestsPerSecond / (b[i]?.requestsPerSecond ?? NaN),
              ),
            ),
            2,
          ),
        ]);
        rows.push([
          `${label}: server CPU µs per request of that floor`,
          '',
          fmt(cpuPerRequest(b), 1),
          '',
        ]);
        // Informative: on a shared machine the share of CPU each process gets moves req/s far
        // more than the code does, while CPU time per request barely moves.
        const efficiency = spread(
          s.map(
            (r, i) =>
              (f[i] ? f[i].serverCpuPercent / f[i].requestsPerSecond : NaN) /
              (r.serverCpuPercent / r.requestsPerSecond),
          ),
        );
        targets.push([
          `(info) /auth/${endpoint}: floor's CPU per request ÷ sidecar's, 64 connections`,
          `${(efficiency.median * 100).toFixed(0)}% (rounds ${(
            efficiency.min * 100
          ).toFixed(0)}–${(efficiency.max * 100).toFixed(0)}%)`,
          '',
        ]);
        targets.push([
          `/auth/${endpoint}: sidecar ≥ ${
            RATIO_TARGET * 100
          }% of the floor's req/s at 64 connections`,
          `${(ratios.median * 100).toFixed(0)}% (rounds ${(
            ratios.min * 100
          ).toFixed(0)}–${(ratios.max * 100).toFixed(0)}%)`,
          pass(ratios.median >= RATIO_TARGET),
        ]);
      }
    }
  }
  rows.push([
    'realistic snapshot: spawn → /readyz 200, ms',
    fmt(spread(realistic.map(r => r.readyMs))),
    '',
    '',
  ]);
  rows.push([
    'realistic snapshot: peak RSS after the load runs, MB',
    fmt(spread(realistic.map(r => r.peakRssMb)), 1),
    '',
    '',
  ]);
  targets.push([
    'every sidecar answer as expected, no transport errors',
    `${wrong} wrong, ${errors} errors`,
    pass(wrong === 0 && errors === 0),
  ]);
}

function startupFigures(
  startup: { rounds: StartupRound[]; shape: string },
  rows: string[][],
  targets: string[][],
): void {
  const ready = spread(startup.rounds.map(r => r.readyMs));
  const portsOpen = spread(startup.rounds.map(r => r.startedLogMs));
  const rss = spread(startup.rounds.map(r => r.peakRssMb));
  rows.push(['startup: spawn → ports open, ms', fmt(portsOpen), '', '']);
  rows.push(['startup: spawn → /readyz 200, ms', fmt(ready), '', '']);
  rows.push(['startup: peak RSS (VmHWM), MB', fmt(rss, 1), '', '']);
  targets.push([
    `startup < ${STARTUP_TARGET_MS} ms (${startup.shape})`,
    `${fmt(ready)} ms`,
    pass(ready.median < STARTUP_TARGET_MS),
  ]);
  targets.push([
    `peak RSS < ${RSS_TARGET_MB} MB`,
    `${fmt(rss, 1)} MB`,
    pass(rss.median < RSS_TARGET_MB),
  ]);
}

function table(rows: string[][]): string {
  const widths = rows[0].map((_, c) =>
    Math.max(...rows.map(r => (r[c] ?? '').length)),
  );
  const line = (r: string[]) =>
    `| ${r.map((cell, c) => (cell ?? '').padEnd(widths[c])).join(' | ')} |`;
  return [
    line(rows[0]),
    `|${widths.map(w => '-'.repeat(w + 2)).join('|')}|`,
    ...rows.slice(1).map(line),
  ].join('\n');
}

main().catch(error => {
  process.stderr.write(`${error?.stack ?? error}\n`);
  process.exit(1);
});

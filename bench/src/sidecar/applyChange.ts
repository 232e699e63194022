/*
 * The sidecar applying one approval-sized change (issue #20, item 2): updating the index the
 * delta applies to (`AuthzIndex.apply`) against compiling the resulting snapshot whole
 * (`AuthzIndex.compile`), at the benchmark's policy shape. Beside them what the feed does with a
 * delta before the index sees it: now (`AuthzSnapshotHolder.prepare`: validate the entries the
 * delta puts against the held snapshot; then serialise the result for the disk copy) and before
 * (parse the held snapshot's bytes, apply the delta and validate the result whole, serialise);
 * and what a whole snapshot costs (parse its bytes and compile it).
 *
 * In-process, no servers. Rounds are interleaved, each starting with the next variant; a
 * round's figure is the median time of its operations, and the figures are the median of the
 * rounds with min–max (src/stats.ts).
 *
 *   cd bench && node --expose-gc --require @backstage/cli/config/nodeTransform.cjs src/sidecar/applyChange.ts
 *
 * (--expose-gc lets it collect before each batch of operations, so no batch pays for the garbage
 * of the one before it; without it the figures carry that noise.)
 *
 * Options: --rounds N (7), --shape realistic|large (realistic: 1,000 applications; large:
 * 10,000), --changes N (distinct approvals applied in turn, 40), --json FILE.
 */
import { writeFile } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import {
  AuthzSnapshot,
  AuthzSnapshotChange,
  AuthzSnapshotHolder,
  applyAuthzSnapshotDeltaWithChange,
  authzSnapshotDeltaBody,
  authzSnapshotEntries,
  parseAuthzSnapshot,
} from '@internal/brom-authz-snapshot';
import { AuthzDecider, AuthzIndex, JsonLogger } from '@internal/brom-sidecar';
import { seeded } from '@internal/brom-sidecar/testUtils';
import { spread, Spread } from '../stats';
import {
  BENCH_VHOST,
  LARGE_SHAPE,
  REALISTIC_SHAPE,
  SnapshotShape,
  buildPolicy,
} from './workload';

interface Options {
  rounds: number;
  shape: 'realistic' | 'large';
  changes: number;
  json?: string;
}

function parseOptions(argv: string[]): Options {
  const options: Options = { rounds: 7, shape: 'realistic', changes: 40 };
  for (let i = 0; i < argv.length; i++) {
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${argv[i - 1]} needs a value`);
      return v;
    };
    switch (argv[i]) {
      case '--rounds':
        options.rounds = Number(value());
        break;
      case '--shape': {
        const shape = value();
        if (shape !== 'realistic' && shape !== 'large') {
          throw new Error(`--shape is realistic or large, got ${shape}`);
        }
        options.shape = shape;
        break;
      }
      case '--changes':
        options.changes = Number(value());
        break;
      case '--json':
        options.json = value();
        break;
      default:
        throw new Error(`Unknown option ${argv[i]}`);
    }
  }
  if (!(options.rounds >= 1) || !(options.changes >= 1)) {
    throw new Error('--rounds and --changes must be at least 1');
  }
  return options;
}

const log = (line: string) => process.stdout.write(`${line}\n`);

/**
 * One approval as the portal's snapshot shows it: the producer may publish one more routing
 * key on its exchange, and the consumer (an application that consumed nothing yet) gets its
 * queue and dead-letter queue. Two applications change; no credential does.
 */
function approve(
  held: AuthzSnapshot,
  random: () => number,
  n: number,
): AuthzSnapshot {
  const producers = held.applications.filter(a => a.topicWrite.length > 0);
  const producer = producers[Math.floor(random() * producers.length)];
  const idle = held.applications.filter(
    a => a.read.length === 0 && a !== producer,
  );
  const consumer = idle[Math.floor(random() * idle.length)];
  return {
    ...held,
    version: held.version + 1,
    generatedAt: new Date(Date.parse(held.generatedAt) + 1_000).toISOString(),
    applications: held.applications.map(a => {
      if (a === producer) {
        const [topic] = a.topicWrite;
        return {
          ...a,
          topicWrite: [
            {
              ...topic,
              routingKeyPatterns: [
                ...topic.routingKeyPatterns,
                `approved-${n}.*.created`,
              ],
            },
          ],
        };
      }
      if (a === consumer) {
        return { ...a, read: [`brom.${a.name}`, `brom.${a.name}.dlq`] };
      }
      return a;
    }),
  };
}

interface Prepared {
  snapshot: AuthzSnapshot;
  change: AuthzSnapshotChange;
  /** The delta as the portal sends it. */
  body: string;
  /** The probe the delta grants: the producer's username, exchange and a new key. */
  probe: [string, string, string];
}

/** The JSON of a snapshot or change with its entries in name order (the holder keeps its own order). */
function canonical(value: {
  applications:
    | AuthzSnapshot['applications']
    | AuthzSnapshotChange['applications'];
  credentials:
    | AuthzSnapshot['credentials']
    | AuthzSnapshotChange['credentials'];
}): string {
  const key = (entry: object) =>
    'name' in entry
      ? String(entry.name)
      : String((entry as { username: string }).username);
  const sorted = <T extends object>(entries: T[]) =>
    [...entries].sort((a, b) =>
      key(a) < key(b) ? -1 : Number(key(a) > key(b)),
    );
  const part = (p: unknown) =>
    Array.isArray(p)
      ? sorted(p)
      : {
          put: sorted((p as { put: object[] }).put),
          remove: [...(p as { remove: string[] }).remove].sort(),
        };
  return JSON.stringify({
    ...value,
    applications: part(value.applications),
    credentials: part(value.credentials),
  });
}

function timeOne(run: () => unknown): number {
  const start = process.hrtime.bigint();
  run();
  return Number(process.hrtime.bigint() - start) / 1e6;
}

function fmt(s: Spread): string {
  const f = (n: number) => (n >= 10 ? n.toFixed(1) : n.toFixed(3));
  return `${f(s.median)} ms (${f(s.min)}–${f(s.max)})`;
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const collect = (globalThis as { gc?: () => void }).gc;
  const shape: SnapshotShape =
    options.shape === 'large' ? LARGE_SHAPE : REALISTIC_SHAPE;
  const policy = buildPolicy(shape, { version: 1 });
  // The snapshot as a sidecar holds it: validated, with the epoch a portal sends.
  const held = parseAuthzSnapshot({ ...policy.snapshot, epoch: 'bench' });
  const heldBytes = Buffer.from(JSON.stringify(held));
  const heldEntries = authzSnapshotEntries(held);
  const heldIndex = AuthzIndex.compile({ snapshot: held });
  // The feed's held snapshot; each delta is prepared against it and never committed, so every
  // change applies to the same held version.
  const holder = AuthzSnapshotHolder.hold(held);

  const random = seeded(shape.seed + 1);
  const prepared: Prepared[] = [];
  for (let n = 0; n < options.changes; n++) {
    const next = approve(held, random, n);
    const body = authzSnapshotDeltaBody(heldEntries, {
      snapshot: next,
      entries: authzSnapshotEntries(next),
    });
    const { snapshot, change } = applyAuthzSnapshotDeltaWithChange(
      held,
      JSON.parse(body),
    );
    const producer = change.applications.put.find(a =>
      a.topicWrite[0]?.routingKeyPatterns.includes(`approved-${n}.*.created`),
    )!;
    prepared.push({
      snapshot,
      change,
      body,
      probe: [
        policy.applications.find(a => a.name === producer.name)!.usernames[0],
        producer.topicWrite[0].exchange,
        `approved-${n}.42.created`,
      ],
    });
  }

  // What is measured must be right: the updated index grants each approval, as a whole
  // compile of its snapshot does, and the index it was made from does not.
  const decider = AuthzDecider.create({
    logger: JsonLogger.create({ level: 'error', sink: () => {} }),
  });
  const granted = (index: AuthzIndex, [user, exchange, key]: string[]) => {
    decider.swap(index);
    return decider.topic(user, BENCH_VHOST, 'topic', exchange, 'write', key);
  };
  for (const p of prepared) {
    const viaHolder = holder.prepare(JSON.parse(p.body));
    if (
      canonical(viaHolder.snapshot()) !== canonical(p.snapshot) ||
      canonical(viaHolder.change) !== canonical(p.change)
    ) {
      throw new Error('Benchmark bug: the holder and the whole path differ');
    }
    const updated = heldIndex.apply(p);
    if (
      !granted(updated, p.probe) ||
      !granted(AuthzIndex.compile({ snapshot: p.snapshot }), p.probe) ||
      granted(heldIndex, p.probe) ||
      updated.credentials.size !== heldIndex.credentials.size ||
      updated.changesSinceCompile !== 1
    ) {
      throw new Error(
        `Benchmark bug: approval ${p.probe.join(' ')} not applied`,
      );
    }
  }

  const deltaBytes =
    prepared.reduce((sum, p) => sum + Buffer.byteLength(p.body), 0) /
    prepared.length;
  log(
    `Sidecar: applying a change — ${held.applications.length} applications, ${
      held.credentials.length
    } credentials, ${shape.subscriptions} routing-key patterns, snapshot ${(
      heldBytes.length / 1e6
    ).toFixed(2)} MB; an approval's delta ${Math.round(
      deltaBytes,
    )} bytes (2 applications put); ${options.rounds} rounds × ${
      options.changes
    } changes${collect ? ', collected before each batch' : ''}; Node ${
      process.version
    }, ${cpus().length} CPUs, load average ${loadavg()
      .map(l => l.toFixed(2))
      .join(' / ')}`,
  );

  const variants: Array<{ name: string; run: (p: Prepared) => unknown }> = [
    {
      name: 'index: apply the change',
      run: p => heldIndex.apply(p),
    },
    {
      name: 'index: compile the snapshot whole',
      run: p => AuthzIndex.compile({ snapshot: p.snapshot }),
    },
    {
      name: 'feed: apply the delta to the held snapshot',
      run: p => holder.prepare(JSON.parse(p.body)),
    },
    {
      name: 'feed: apply the delta, serialise the result for the disk copy',
      run: p =>
        Buffer.from(
          JSON.stringify(holder.prepare(JSON.parse(p.body)).snapshot()),
        ),
    },
    {
      name: 'feed before: parse held bytes, apply and validate whole, serialise',
      run: p => {
        const base = parseAuthzSnapshot(JSON.parse(heldBytes.toString('utf8')));
        const { snapshot } = applyAuthzSnapshotDeltaWithChange(
          base,
          JSON.parse(p.body),
        );
        return Buffer.from(JSON.stringify(snapshot));
      },
    },
    {
      // The held snapshot's bytes: the same size as any approval's.
      name: 'whole snapshot: parse its bytes and compile',
      run: () =>
        AuthzIndex.compile({
          snapshot: parseAuthzSnapshot(JSON.parse(heldBytes.toString('utf8'))),
        }),
    },
  ];
  const perRound = new Map(variants.map(v => [v.name, [] as number[]]));
  for (let round = 0; round < options.rounds; round++) {
    for (let k = 0; k < variants.length; k++) {
      const variant = variants[(round + k) % variants.length];
      // With --expose-gc, no batch pays for the garbage of the one before it; its own counts.
      collect?.();
      const times = prepared.map(p => timeOne(() => variant.run(p)));
      perRound.get(variant.name)!.push(spread(times).median);
    }
    log(
      `round ${round + 1}: ${variants
        .map(v => `${v.name} ${perRound.get(v.name)!.at(-1)!.toFixed(3)} ms`)
        .join('; ')}`,
    );
  }

  const figures = variants.map(v => ({
    name: v.name,
    ms: spread(perRound.get(v.name)!),
  }));
  log('');
  log('| per change (median of rounds, min–max) | time |');
  log('| --- | --- |');
  for (const f of figures) {
    log(`| ${f.name} | ${fmt(f.ms)} |`);
  }
  const apply = figures[0].ms;
  const compile = figures[1].ms;
  log('');
  log(
    `Applying the change takes ${(compile.median / apply.median).toFixed(
      0,
    )}× less time than a full compile (medians); per-round ratios ${perRound
      .get(variants[1].name)!
      .map((c, i) => (c / perRound.get(variants[0].name)![i]).toFixed(0))
      .join(', ')}.`,
  );
  if (options.json) {
    await writeFile(
      options.json,
      JSON.stringify(
        { options, figures, perRound: Object.fromEntries(perRound) },
        null,
        2,
      ),
    );
  }
}

main().catch(error => {
  process.stderr.write(`${error instanceof Error ? error.stack : error}\n`);
  process.exitCode = 1;
});

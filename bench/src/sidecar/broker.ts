/*
 * Part 3 of `npm run bench:sidecar`: the broker's own rates through each way of authorising —
 * a private RabbitMQ node (the harness of @internal/brom-test) whose HTTP auth backend calls the
 * real sidecar command (live mode); the same sidecar in the native mode, where the node only
 * authenticates through it and authorises from the broker user and permissions the reconciler
 * would write; the bare allow server (the floor) on the same port; then nobody, with a user of
 * the broker's internal backend, first with a user that may publish any key to the exchange, then
 * with a user holding the same permissions as the native mode's broker user (so the broker
 * authorises exactly the same rules and only authentication differs). Rounds are interleaved,
 * each starting with the next variant (sidecar, native, native1, floor, internal, internalSame;
 * native, native1, floor, internal, internalSame, sidecar; …) after an unmeasured warm-up of the
 * node, and each HTTP variant runs in a fresh process on the node's auth port.
 * The node's `auth_backends` change at runtime between variants (`rabbitmqctl eval`), as the
 * documented mode switch does.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import {
  applicationObjectNames,
  nativePermissions,
} from '@internal/plugin-brom-backend/testUtils';
import { RabbitNode } from '@internal/brom-test';
import type { SidecarBuild } from '@internal/brom-sidecar';
import amqp, { ChannelModel, ConfirmChannel } from 'amqplib';
import { Spread, clearlyBelow, spread } from '../stats';
import { ServerUnderTest, startFloor, startSidecarProcess } from './processes';
import { SnapshotPortal } from './SnapshotPortal';
import { BENCH_VHOST, PREFIX, REALISTIC_SHAPE, buildPolicy } from './workload';

export const BROKER_VARIANTS = [
  'sidecar',
  'native',
  'native1',
  'floor',
  'internal',
  'internalSame',
] as const;

/** `auth_backends` of the node in each mode (docs/operations.md has the `rabbitmq.conf` lines). */
const AUTH_BACKENDS = {
  live: '[rabbit_auth_backend_internal, rabbit_auth_backend_http]',
  native:
    '[rabbit_auth_backend_internal, {rabbit_auth_backend_http, rabbit_auth_backend_internal}]',
};
export type BrokerVariant = (typeof BROKER_VARIANTS)[number];

export interface BrokerOptions {
  rounds: number;
  warmupMs: number;
  durationMs: number;
  sidecarBuild: SidecarBuild;
  /** Another sidecar command to measure (see startSidecarProcess). */
  sidecarBin?: string;
}

export interface BrokerRound {
  /** Confirmed publishes per second, one channel, a routing key never used before each time. */
  publishesPerSecond: number;
  /** Connection open + close per second, one at a time. */
  connectionsPerSecond: number;
  /** Publishes the broker refused or did not confirm (must be 0). */
  failures: number;
}

export interface BrokerResults {
  rounds: Record<BrokerVariant, BrokerRound[]>;
  /** Per-round sidecar ÷ floor ratios. */
  publishRatio: Spread;
  connectRatio: Spread;
  /** Per-round native ÷ internal publishes/s (target ≥ 0.9). */
  nativePublishRatio: Spread;
  /** The same with the producer's topic permission cut down to the one pattern it publishes to. */
  native1PublishRatio: Spread;
  /**
   * Per-round native ÷ internal backend with the same permissions: what the native mode costs
   * beyond the broker's own check of the same rules.
   */
  nativeSamePublishRatio: Spread;
  /** Patterns of the producer (the native variant's topic permission). */
  patternCount: number;
  /** Per-round native ÷ live connection opens/s. */
  nativeConnectRatio: Spread;
  /**
   * The sidecar (live) and the broker (native, and the internal backend with the same
   * permissions) refused a key outside the producer's patterns in every round (proof that they
   * decided).
   */
  sidecarRefusedForeignKey: boolean;
  description: string;
}

/** Unconfirmed publishes in flight on the channel; enough to keep the broker's channel busy. */
const PUBLISH_WINDOW = 512;
/** Bound on waiting for the confirms still outstanding when a window ends. */
const DRAIN_TIMEOUT_MS = 15_000;
/** Bound on a variant becoming usable after its server starts (the broker reconnects to it). */
const PROBE_TIMEOUT_MS = 15_000;

interface Publisher {
  username: string;
  password: string;
  exchange: string;
  /** The n-th routing key: unique, and matching the producer's pattern. */
  key: (n: number) => string;
  /** A key outside the producer's patterns. */
  foreignKey: string;
}

/**
 * Publishes for warm-up + measured window with a sliding window of unconfirmed messages; counts
 * the confirms that arrive within the measured window.
 */
async function measurePublishes(
  url: string,
  publisher: Publisher,
  options: BrokerOptions,
  keyOffset: number,
): Promise<{ perSecond: number; failures: number }> {
  const connection = await amqp.connect(url, { noDelay: true });
  try {
    const channel = await connection.createConfirmChannel();
    let channelError: Error | undefined;
    channel.on('error', error => {
      channelError = error;
    });
    const result = await publishWindow(
      channel,
      () => channelError,
      publisher,
      options,
      keyOffset,
    );
    if (channelError) {
      throw new Error(
        `The broker closed the channel: ${(channelError as Error).message}`,
      );
    }
    await channel.close();
    return result;
  } finally {
    await connection.close().catch(() => {});
  }
}

async function publishWindow(
  channel: ConfirmChannel,
  channelError: () => Error | undefined,
  publisher: Publisher,
  options: BrokerOptions,
  keyOffset: number,
): Promise<{ perSecond: number; failures: number }> {
  const body = Buffer.from('bench');
  let sequence = keyOffset;
  let inFlight = 0;
  let measuring = false;
  let stopping = false;
  let confirmed = 0;
  let failures = 0;
  let drained: () => void = () => {};
  const allDrained = new Promise<void>(resolve => {
    drained = resolve;
  });

  function pump() {
    while (!stopping && !channelError() && inFlight < PUBLISH_WINDOW) {
      inFlight++;
      channel.publish(
        publisher.exchange,
        publisher.key(sequence++),
        body,
        {},
        onConfirm,
      );
    }
  }
  function onConfirm(error: unknown) {
    inFlight--;
    if (error) {
      failures++;
    } else if (measuring) {
      confirmed++;
    }
    if (stopping || channelError()) {
      if (inFlight === 0) drained();
      return;
    }
    pump();
  }

  pump();
  await sleep(options.warmupMs);
  measuring = true;
  const start = performance.now();
  await sleep(options.durationMs);
  measuring = false;
  const elapsedMs = performance.now() - start;
  stopping = true;
  if (inFlight > 0) {
    await Promise.race([allDrained, sleep(DRAIN_TIMEOUT_MS)]);
  }
  return {
    perSecond: (confirmed * 1000) / elapsedMs,
    failures: failures + inFlight,
  };
}

/** Opens and closes connections one after another; counts those completed in the window. */
async function measureConnections(
  url: string,
  options: BrokerOptions,
): Promise<number> {
  const cycle = async () => {
    // Without TCP_NODELAY the handshake's small frames wait on delayed ACKs (~40 ms each).
    const connection = await amqp.connect(url, { noDelay: true });
    await connection.close();
  };
  const warmupEnd = performance.now() + Math.min(options.warmupMs, 500);
  while (performance.now() < warmupEnd) {
    await cycle();
  }
  const start = performance.now();
  const end = start + options.durationMs;
  let count = 0;
  while (performance.now() < end) {
    await cycle();
    count++;
  }
  return (count * 1000) / (performance.now() - start);
}

/**
 * Waits until the variant lets the publisher in and confirms one publish: the broker's HTTP
 * client may first meet the connection the previous server closed. With the sidecar, also
 * checks that a key outside the producer's patterns is refused.
 */
async function probe(
  url: string,
  publisher: Publisher,
  checkForeignKey: boolean,
): Promise<boolean> {
  const deadline = performance.now() + PROBE_TIMEOUT_MS;
  let lastError = '';
  for (;;) {
    let connection: ChannelModel | undefined;
    try {
      connection = await amqp.connect(url);
      const channel = await connection.createConfirmChannel();
      channel.publish(
        publisher.exchange,
        publisher.key(-1),
        Buffer.from('probe'),
      );
      await channel.waitForConfirms();
      await channel.close();
      if (!checkForeignKey) {
        return false;
      }
      return (
        await publishOutcome(
          connection,
          publisher.exchange,
          publisher.foreignKey,
        )
      ).includes('ACCESS_REFUSED');
    } catch (error) {
      lastError = (error as Error).message;
      if (performance.now() > deadline) {
        throw new Error(`The broker did not admit the publisher: ${lastError}`);
      }
      await sleep(100);
    } finally {
      await connection?.close().catch(() => {});
    }
  }
}

async function publishOutcome(
  connection: ChannelModel,
  exchange: string,
  key: string,
): Promise<string> {
  const channel: ConfirmChannel = await connection.createConfirmChannel();
  let channelError: Error | undefined;
  channel.on('error', error => {
    channelError = error;
  });
  const closed = new Promise(resolve => channel.once('close', resolve));
  try {
    channel.publish(exchange, key, Buffer.from('foreign'));
    await channel.waitForConfirms();
    await channel.close();
    return 'confirmed';
  } catch (error) {
    await Promise.race([closed, sleep(5_000)]);
    return (channelError ?? (error as Error)).message;
  }
}

/** The items starting at position `by` (modulo their number), wrapping around. */
export function rotate<T>(items: readonly T[], by: number): T[] {
  const start = by % items.length;
  return [...items.slice(start), ...items.slice(0, start)];
}

async function setAuthBackends(
  node: RabbitNode,
  mode: 'live' | 'native',
): Promise<void> {
  await node.rabbitmqctl([
    'eval',
    `application:set_env(rabbit, auth_backends, ${AUTH_BACKENDS[mode]}).`,
  ]);
}

function sleep(ms: number): Promise<void> {
  return new Promise(resolve => setTimeout(resolve, ms));
}

type Management = ReturnType<RabbitNode['managementClient']>;

/**
 * The vhost and topic permissions the reconciler writes in the native mode for the credential
 * of `producer` (an application that only publishes), with `patterns` as its routing keys.
 */
function producerPermissions(producer: string, patterns: readonly string[]) {
  return nativePermissions(
    applicationObjectNames(PREFIX, producer),
    [...patterns],
    false,
  );
}

/** The producer's topic permission, as the reconciler writes it in the native mode. */
async function putTopicWrite(
  management: Management,
  username: string,
  producer: string,
  patterns: readonly string[],
): Promise<void> {
  for (const topic of producerPermissions(producer, patterns).topic) {
    await management.putTopicPermissions(BENCH_VHOST, username, topic);
  }
}

async function withManagement(
  node: RabbitNode,
  use: (management: Management) => Promise<void>,
): Promise<void> {
  const management = node.managementClient();
  try {
    await use(management);
  } finally {
    await management.close();
  }
}

/**
 * Runs part 3. Throws when the node cannot start (RabbitMQ not installed); the caller reports
 * the part as not run.
 */
export async function measureBroker(
  options: BrokerOptions,
  dir: string,
  log: (line: string) => void,
): Promise<BrokerResults> {
  const token = randomBytes(16).toString('hex');
  const policy = buildPolicy(REALISTIC_SHAPE);
  // A producer with a `<entity>.*.<event>` pattern: an id in place of `*` makes every key new.
  const producer = policy.producers.find(p =>
    p.patterns.some(pattern => /^[^.*#]+\.\*\.[^.*#]+$/.test(pattern)),
  );
  if (!producer?.exchange) {
    throw new Error('The policy has no producer with an `a.*.b` pattern');
  }
  const pattern = producer.patterns.find(p =>
    /^[^.*#]+\.\*\.[^.*#]+$/.test(p),
  )!;
  const [head, , tail] = pattern.split('.');
  const username = producer.usernames[0];
  const publisher: Publisher = {
    username,
    password: policy.secrets.get(username)!,
    exchange: producer.exchange,
    key: n => `${head}.${n < 0 ? 'probe' : n.toString(36)}.${tail}`,
    foreignKey: `${head}.1.${tail}-not-declared`,
  };
  const internalUser = {
    username: 'bench-internal',
    password: randomBytes(24).toString('base64url'),
  };
  // The internal backend's user with the native mode's permissions (vhost and topic).
  const internalSameUser = {
    username: 'bench-internal-same',
    password: randomBytes(24).toString('base64url'),
  };
  const internalUsers: Partial<
    Record<BrokerVariant, { username: string; password: string }>
  > = { internal: internalUser, internalSame: internalSameUser };
  const description = `${producer.exchange} (topic), keys ${head}.<n>.${tail} against the pattern ${pattern} among ${producer.patterns.length} of the producer's; snapshot of ${policy.snapshot.applications.length} applications`;
  log(`Broker: ${description}`);

  const portal = await SnapshotPortal.start(token);
  portal.serve(policy.snapshot.version, JSON.stringify(policy.snapshot));
  const node = await RabbitNode.start({ authRequestTimeoutMs: 5_000 });
  const rounds = {
    sidecar: [],
    native: [],
    native1: [],
    floor: [],
    internal: [],
    internalSame: [],
  } as Record<BrokerVariant, BrokerRound[]>;
  let sidecarRefusedForeignKey = true;
  try {
    const management = node.managementClient();
    try {
      await management.putVhost(BENCH_VHOST);
      await management.putPermissions(BENCH_VHOST, node.admin.username, {
        configure: '.*',
        write: '.*',
        read: '.*',
      });
      await management.putExchange(BENCH_VHOST, publisher.exchange, {
        type: 'topic',
        durable: true,
      });
      await management.putUser(internalUser.username, {
        password: internalUser.password,
      });
      await management.putPermissions(BENCH_VHOST, internalUser.username, {
        configure: '',
        write: '.*',
        read: '',
      });
      // What the reconciler writes for the producer's credential in the native mode (its own
      // nativePermissions, below). The internal backend refuses every password of the user,
      // so in the live variants the sidecar still decides.
      await management.putUser(publisher.username, {
        password_hash: '',
        tags: '',
      });
      await management.putUser(internalSameUser.username, {
        password: internalSameUser.password,
      });
      // The topic permission first, as the reconciler orders them (decision 0017).
      const { configure, write, read } = producerPermissions(
        producer.name,
        producer.patterns,
      );
      for (const user of [publisher.username, internalSameUser.username]) {
        await putTopicWrite(management, user, producer.name, producer.patterns);
        await management.putPermissions(BENCH_VHOST, user, {
          configure,
          write,
          read,
        });
      }
    } finally {
      await management.close();
    }
    log(
      `Broker: RabbitMQ node ${node.nodeName}, AMQP 127.0.0.1:${node.ports.amqp}, auth backend calls 127.0.0.1:${node.ports.auth}`,
    );

    // A node that has just booted is slower for its first seconds of work, which would count
    // against whichever variant came first: warm it up through the internal backend, unmeasured.
    {
      const url = node.amqpUrl(
        BENCH_VHOST,
        internalUser.username,
        internalUser.password,
      );
      await probe(url, publisher, false);
      const warmup = { ...options, warmupMs: 0, durationMs: 1_000 };
      await measurePublishes(url, publisher, warmup, -50_000_000);
      await measureConnections(url, warmup);
    }

    let keyOffset = 0;
    for (let round = 1; round <= options.rounds; round++) {
      // Each round starts with another variant, so that none always runs first.
      const order = rotate(BROKER_VARIANTS, round - 1);
      for (const variant of order) {
        let server: ServerUnderTest | undefined;
        const native = variant === 'native' || variant === 'native1';
        if (native) {
          await setAuthBackends(node, 'native');
        }
        if (variant === 'native1') {
          // RabbitMQ compiles the topic permission's regex for every key its channel has not
          // seen, so its cost grows with the producer's patterns: this variant shows the floor
          // of the native mode, a producer with only the one pattern it publishes to.
          await withManagement(node, m =>
            putTopicWrite(m, publisher.username, producer.name, [pattern]),
          );
        }
        if (variant === 'sidecar' || native) {
          server = await startSidecarProcess({
            portalUrl: portal.url,
            token,
            authPort: node.ports.auth,
            build: options.sidecarBuild,
            bin: options.sidecarBin,
            snapshotPath: join(
              dir,
              `broker-${variant}-${round}`,
              'snapshot.json',
            ),
          });
        } else if (variant === 'floor') {
          server = await startFloor(node.ports.auth);
        }
        try {
          const credentials = internalUsers[variant] ?? publisher;
          const url = node.amqpUrl(
            BENCH_VHOST,
            credentials.username,
            credentials.password,
          );
          const decides =
            variant === 'sidecar' || native || variant === 'internalSame';
          const refused = await probe(url, publisher, decides);
          if (decides && !refused) {
            sidecarRefusedForeignKey = false;
          }
          const publishes = await measurePublishes(
            url,
            publisher,
            options,
            keyOffset,
          );
          // Keys stay unique across rounds and variants, so no cache anywhere helps.
          keyOffset += 50_000_000;
          const connectionsPerSecond = await measureConnections(url, options);
          rounds[variant].push({
            publishesPerSecond: publishes.perSecond,
            connectionsPerSecond,
            failures: publishes.failures,
          });
          log(
            `broker round ${round} ${variant.padEnd(8)}: ${Math.round(
              publishes.perSecond,
            )
              .toLocaleString('en-US')
              .padStart(7)} publishes/s (unique keys, confirmed)  ${Math.round(
              connectionsPerSecond,
            ).toLocaleString('en-US')} connection opens/s${
              publishes.failures ? `  FAILED ${publishes.failures}` : ''
            }`,
          );
        } finally {
          await server?.stop();
          if (native) {
            await setAuthBackends(node, 'live');
          }
          if (variant === 'native1') {
            await withManagement(node, m =>
              putTopicWrite(
                m,
                publisher.username,
                producer.name,
                producer.patterns,
              ),
            );
          }
        }
      }
    }
  } finally {
    await node.stop();
    await portal.close();
  }

  const ratio = (
    a: BrokerVariant,
    b: BrokerVariant,
    pick: (r: BrokerRound) => number,
  ) => spread(rounds[a].map((r, i) => pick(r) / pick(rounds[b][i] ?? r)));
  const publishes = (r: BrokerRound) => r.publishesPerSecond;
  const opens = (r: BrokerRound) => r.connectionsPerSecond;
  return {
    rounds,
    publishRatio: ratio('sidecar', 'floor', publishes),
    connectRatio: ratio('sidecar', 'floor', opens),
    nativePublishRatio: ratio('native', 'internal', publishes),
    native1PublishRatio: ratio('native1', 'internal', publishes),
    nativeSamePublishRatio: ratio('native', 'internalSame', publishes),
    patternCount: producer.patterns.length,
    nativeConnectRatio: ratio('native', 'sidecar', opens),
    sidecarRefusedForeignKey,
    description,
  };
}

/** Rows for the figures table and the target lines of part 3. */
export function brokerReport(
  results: BrokerResults,
  fmt: (s: Spread, digits?: number) => string,
): { rows: string[][]; targets: string[][] } {
  const of = (variant: BrokerVariant, pick: (r: BrokerRound) => number) =>
    spread(results.rounds[variant].map(pick));
  const rows: string[][] = [];
  const targets: string[][] = [];
  for (const [label, pick, ratio] of [
    [
      'publishes/s, unique routing keys',
      (r: BrokerRound) => r.publishesPerSecond,
      results.publishRatio,
    ],
    [
      'connection opens/s',
      (r: BrokerRound) => r.connectionsPerSecond,
      results.connectRatio,
    ],
  ] as const) {
    const sidecar = of('sidecar', pick);
    const floor = of('floor', pick);
    rows.push([
      `broker ${label}`,
      fmt(sidecar),
      fmt(of('native', pick)),
      fmt(of('native1', pick)),
      fmt(floor),
      fmt(of('internal', pick)),
      fmt(of('internalSame', pick)),
      fmt(ratio, 2),
    ]);
    targets.push([
      `broker ${label}: via sidecar not below the bare allow server beyond noise`,
      `${fmt(sidecar)} vs ${fmt(floor)}`,
      clearlyBelow(sidecar, floor) ? 'FAIL' : 'PASS',
    ]);
  }
  targets.push([
    `broker publishes/s, unique routing keys: native ≥ 90% of the internal backend (per-round ratio, median), producer with ${results.patternCount} patterns`,
    `${fmt(results.nativePublishRatio, 2)}`,
    results.nativePublishRatio.median >= 0.9 ? 'PASS' : 'FAIL',
  ]);
  targets.push([
    'broker publishes/s, unique routing keys: native ≥ 90% of the internal backend, producer with 1 pattern',
    `${fmt(results.native1PublishRatio, 2)}`,
    results.native1PublishRatio.median >= 0.9 ? 'PASS' : 'FAIL',
  ]);
  targets.push([
    `reference, no target: native ÷ the internal backend with the same permissions (per-round ratio, median), producer with ${results.patternCount} patterns`,
    `${fmt(results.nativeSamePublishRatio, 2)}`,
    'info',
  ]);
  const nativeOpens = of('native', r => r.connectionsPerSecond);
  const liveOpens = of('sidecar', r => r.connectionsPerSecond);
  targets.push([
    'broker connection opens/s: native not below live beyond noise',
    `${fmt(nativeOpens)} vs ${fmt(liveOpens)} (native / live ${fmt(
      results.nativeConnectRatio,
      2,
    )})`,
    clearlyBelow(nativeOpens, liveOpens) ? 'FAIL' : 'PASS',
  ]);
  const failures = BROKER_VARIANTS.reduce(
    (n, v) => n + results.rounds[v].reduce((m, r) => m + r.failures, 0),
    0,
  );
  targets.push([
    'broker: every publish confirmed; an undeclared key was refused each round (live: by the sidecar, native: by the broker)',
    `${failures} unconfirmed; ${
      results.sidecarRefusedForeignKey ? 'refused' : 'NOT refused'
    }`,
    failures === 0 && results.sidecarRefusedForeignKey ? 'PASS' : 'FAIL',
  ]);
  return { rows, targets };
}

/*
 * bench:health — the queue health API at full bench scale (issue "People are told…", item 4).
 *
 * A dedicated RabbitMQ node holds the bench topology's queues in one vhost: 2,000 consumers'
 * queues and dead-letter queues (4,000 quorum queues) and 1,000 producers' exchanges; a BROM
 * backend (the plugin in this process, PostgreSQL, reconciler off) reads their statistics for
 * `GET /api/brom/applications/:name/health`. Rounds, interleaved:
 *   - steady: requests one after another for --steady-ms over 10 applications, as owners'
 *     pages refreshing would; the 5 s cache refreshes a few times in each round;
 *   - expired: --cold requests each made after the 5 s cache has expired (waits 5.1 s first):
 *     each is answered from the old snapshot while it starts the refresh (the management
 *     requests for all 4,000 queues and 1,000 exchanges) behind it;
 *   - the management request alone (`GET /api/queues/<vhost>?columns=…`) on the 4,000-queue
 *     vhost and on a 4-queue vhost.
 * Figures: per-round p50/p95 in ms, then the median of the rounds with min–max.
 */
import { mockCredentials } from '@backstage/backend-test-utils';
import {
  RabbitNode,
  TestDatabase,
  createTestDatabase,
} from '@internal/brom-test';
import {
  BOB,
  QUEUE_HEALTH_COLUMNS,
  TEAM_B,
  managementStatsSource,
  startBromTestBackend,
} from '@internal/plugin-brom-backend/testUtils';
import { ManagementClient } from '@internal/rabbitmq-management';
import knexFactory, { Knex } from 'knex';
import { AddressInfo } from 'node:net';
import { writeFile } from 'node:fs/promises';
import { cpus, totalmem } from 'node:os';
import { percentile, spread } from '../stats';

interface Options {
  rounds: number;
  steadyMs: number;
  cold: number;
  consumers: number;
  producers: number;
  queueType: 'quorum' | 'classic';
  json?: string;
}

function parseOptions(argv: string[]): Options {
  const options: Options = {
    rounds: 3,
    steadyMs: 15_000,
    cold: 5,
    consumers: 2000,
    producers: 1000,
    queueType: 'quorum',
  };
  for (let i = 0; i < argv.length; i++) {
    const value = () => argv[++i];
    switch (argv[i]) {
      case '--rounds':
        options.rounds = Number(value());
        break;
      case '--steady-ms':
        options.steadyMs = Number(value());
        break;
      case '--cold':
        options.cold = Number(value());
        break;
      case '--scale': {
        const scale = Number(value());
        options.consumers = Math.round(2000 * scale);
        options.producers = Math.round(1000 * scale);
        break;
      }
      case '--queue-type':
        options.queueType = value() as Options['queueType'];
        break;
      case '--json':
        options.json = value();
        break;
      case '--quick':
        options.rounds = 2;
        options.steadyMs = 3000;
        options.cold = 2;
        break;
      default:
        throw new Error(`Unknown option ${argv[i]}`);
    }
  }
  return options;
}

const log = (line: string) => process.stdout.write(`[bench:health] ${line}\n`);
const ms = (n: number) => `${n.toFixed(1)} ms`;
const sleep = (n: number) => new Promise(resolve => setTimeout(resolve, n));

async function main() {
  const options = parseOptions([
    ...process.argv.slice(2),
    ...(process.env.BENCH_HEALTH_ARGS?.split(' ').filter(Boolean) ?? []),
  ]);
  log(
    `${cpus().length} CPUs (${cpus()[0]?.model}), ${Math.round(
      totalmem() / 2 ** 30,
    )} GiB, node ${process.version}; ${JSON.stringify(options)}`,
  );
  const node = await RabbitNode.start({
    config: {
      'management.tcp.idle_timeout': '1800000',
      'management.tcp.inactivity_timeout': '1800000',
      'management.tcp.request_timeout': '1800000',
    },
  });
  let database: TestDatabase | undefined;
  let knex: Knex | undefined;
  const closers: Array<() => Promise<unknown>> = [];
  try {
    const admin = ManagementClient.create({
      baseUrl: node.managementUrl,
      ...node.admin,
      headersTimeoutMs: 900_000,
      bodyTimeoutMs: 900_000,
    });
    closers.push(() => admin.close());
    const vhost = 'brom-bench';
    const small = 'brom-small';
    for (const name of [vhost, small]) {
      await admin.putVhost(name);
      await admin.putPermissions(name, node.admin.username, {
        configure: '.*',
        write: '.*',
        read: '.*',
      });
    }
    const queue = (name: string, where: string) => ({
      name,
      vhost: where,
      durable: true,
      auto_delete: false,
      arguments: { 'x-queue-type': options.queueType },
    });
    const queues = [];
    for (let i = 0; i < options.consumers; i++) {
      queues.push(queue(`brom.app-${i}`, vhost), queue(`brom.app-${i}.dlq`, vhost));
    }
    const exchanges = [];
    for (let i = 0; i < options.producers; i++) {
      exchanges.push({
        name: `brom.app-${i}`,
        vhost,
        type: 'topic',
        durable: true,
        auto_delete: false,
        internal: false,
        arguments: {},
      });
    }
    const started = Date.now();
    await admin.postDefinitions({ queues, exchanges } as any, vhost);
    await admin.postDefinitions(
      {
        queues: [0, 1].flatMap(i => [
          queue(`brom.app-${i}`, small),
          queue(`brom.app-${i}.dlq`, small),
        ]),
      } as any,
      small,
    );
    log(
      `topology: ${queues.length} ${options.queueType} queues, ${exchanges.length} exchanges in ${vhost} (${(
        (Date.now() - started) /
        1000
      ).toFixed(1)} s); 4 queues in ${small}`,
    );

    database = await createTestDatabase();
    knex = knexFactory({
      client: 'pg',
      connection: database.connection,
      pool: { min: 0, max: 10 },
    });
    const backend = await startBromTestBackend(knex, {
      brom: {
        broker: {
          managementUrl: node.managementUrl,
          username: node.admin.username,
          password: node.admin.password,
          vhost,
          prefix: 'brom.',
          requestTimeoutMs: 30_000,
        },
        reconciler: { enabled: false },
      },
    });
    closers.push(() => backend.stop());
    const { port } = backend.server.address() as AddressInfo;
    const base = `http://127.0.0.1:${port}/api/brom`;
    const headers = { Authorization: mockCredentials.user.header(BOB) };
    const probed = Array.from({ length: 10 }, (_, i) => `app-${i}`);
    for (const name of probed) {
      const res = await fetch(`${base}/applications`, {
        method: 'POST',
        headers: { ...headers, 'Content-Type': 'application/json' },
        body: JSON.stringify({ name, owner: TEAM_B }),
      });
      if (res.status !== 201) throw new Error(`create ${name}: ${res.status} ${await res.text()}`);
    }
    let n = 0;
    const healthRequest = async (): Promise<number> => {
      const name = probed[n++ % probed.length];
      const t0 = performance.now();
      const res = await fetch(`${base}/applications/${name}/health`, { headers });
      const body = await res.text();
      const elapsed = performance.now() - t0;
      if (res.status !== 200) throw new Error(`health ${name}: ${res.status} ${body}`);
      const parsed = JSON.parse(body);
      if (parsed.queue?.name !== `brom.${name}`) throw new Error(`health ${name}: ${body}`);
      return elapsed;
    };
    // BROM's own request (columns and the 5 s rate window) and, for comparison, the same columns
    // with the broker's rates as of the request (what BROM asked before the window).
    const managementRequest = async (
      where: string,
      withWindow = true,
    ): Promise<number> => {
      const t0 = performance.now();
      const listed = withWindow
        ? await managementStatsSource(admin, where).listQueues()
        : await admin.listQueues(where, { columns: QUEUE_HEALTH_COLUMNS });
      const elapsed = performance.now() - t0;
      if (listed.length === 0) throw new Error(`no queues listed in ${where}`);
      return elapsed;
    };
    // The broker's statistics for new queues take a few seconds; warm up once.
    await healthRequest();

    const rounds: Array<Record<string, number>> = [];
    for (let round = 0; round < options.rounds; round++) {
      const steady: number[] = [];
      const until = Date.now() + options.steadyMs;
      while (Date.now() < until) steady.push(await healthRequest());
      const cold: number[] = [];
      for (let i = 0; i < options.cold; i++) {
        await sleep(5100);
        cold.push(await healthRequest());
      }
      const big: number[] = [];
      const bigNoWindow: number[] = [];
      const tiny: number[] = [];
      for (let i = 0; i < 5; i++) {
        // Alternate which goes first.
        if ((round + i) % 2 === 0) {
          big.push(await managementRequest(vhost));
          bigNoWindow.push(await managementRequest(vhost, false));
          tiny.push(await managementRequest(small));
        } else {
          tiny.push(await managementRequest(small));
          bigNoWindow.push(await managementRequest(vhost, false));
          big.push(await managementRequest(vhost));
        }
      }
      const figures = {
        steadyRequests: steady.length,
        steadyP50: percentile(steady, 50),
        steadyP95: percentile(steady, 95),
        steadyP99: percentile(steady, 99),
        steadyMax: Math.max(...steady),
        coldP50: percentile(cold, 50),
        coldMax: Math.max(...cold),
        management4000: percentile(big, 50),
        management4000NoWindow: percentile(bigNoWindow, 50),
        management4: percentile(tiny, 50),
      };
      rounds.push(figures);
      log(
        `round ${round + 1}: steady ${steady.length} requests p50 ${ms(figures.steadyP50)} p95 ${ms(
          figures.steadyP95,
        )} p99 ${ms(figures.steadyP99)} max ${ms(figures.steadyMax)}; after expiry p50 ${ms(
          figures.coldP50,
        )} max ${ms(figures.coldMax)}; management request median ${ms(
          figures.management4000,
        )} (${queues.length} queues; ${ms(
          figures.management4000NoWindow,
        )} without the rate window) vs ${ms(figures.management4)} (4 queues)`,
      );
    }
    const summary = (key: string) => {
      const s = spread(rounds.map(r => r[key]));
      return `${ms(s.median)} (${s.min.toFixed(1)}–${s.max.toFixed(1)}, ${s.n} rounds)`;
    };
    log(`steady p95: ${summary('steadyP95')} — target ≤ 200 ms`);
    log(`steady p99: ${summary('steadyP99')}`);
    log(`after expiry (refresh started) p50: ${summary('coldP50')}; max ${summary('coldMax')}`);
    log(
      `management request: ${summary('management4000')} for ${queues.length} queues (${summary(
        'management4000NoWindow',
      )} without the rate window), ${summary('management4')} for 4`,
    );
    if (options.json) await writeFile(options.json, JSON.stringify({ options, rounds }, null, 2));
  } finally {
    for (const close of closers.reverse()) await close().catch(() => undefined);
    await knex?.destroy().catch(() => undefined);
    await database?.drop().catch(() => undefined);
    await node.stop();
  }
}

main().catch(error => {
  process.stderr.write(`${error?.stack ?? error}\n`);
  process.exit(1);
});

import { mockCredentials } from '@backstage/backend-test-utils';
import { ALICE, BOB, TEAM_A } from '@internal/plugin-brom-backend/testUtils';
import {
  ConnectionBroker,
  ConnectionSnippetLanguage,
  connectionEnvironment,
  connectionGuide,
} from '@internal/plugin-brom-common';
import amqp from 'amqplib';
import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pollUntil } from '../process';
import { useDedicatedRabbitNode } from '../rabbitmq/testRabbit';
import {
  ReconcilerTestBackend,
  startReconcilerBackend,
} from '../reconciler/__utils__/bromBackend';
import { SidecarProcess } from '../sidecar/SidecarProcess';

/*
 * The connection card's client code, run as written in Node.js (amqplib), Python (pika) and
 * Java (amqp-client), for a producer-only, a consumer-only and a both application: a real
 * BROM backend reconciling a dedicated RabbitMQ node whose HTTP auth backend asks the real
 * sidecar, and the applications' own credentials. The code is what `connectionGuide` gives
 * the card, from the same facts the card reads from the API; only the `AMQP_URL` line comes
 * from the secret dialog's `connectionEnvironment`.
 *
 * Python and Java come from Debian (python3-pika 1.2 for /usr/bin/python3; OpenJDK 17 with
 * librabbitmq-client-java 5.0 and SLF4J from /usr/share/java), which .ci/run installs; when
 * one is missing its test fails and says what to install. The .NET code is not run here: no
 * .NET SDK is installable on this machine, and Mono's RabbitMQ.Client 3.x has another API.
 */

const VHOST = 'brom';
const PROPAGATION_MS = 60_000;
/** A program's start includes compiling it (Java) on a loaded machine. */
const SNIPPET_MS = 120_000;
const SIDECAR_TOKEN = mockCredentials.service.token({
  onBehalfOf: mockCredentials.service('brom-sidecar'),
  targetPluginId: 'brom',
});
/** Where `require('amqplib')` in a snippet finds the package. */
const NODE_PATH = dirname(dirname(require.resolve('amqplib/package.json')));
const PYTHON = '/usr/bin/python3';
const JAVA = '/usr/bin/java';
const JARS = ['amqp-client', 'slf4j-api', 'slf4j-nop'].map(
  jar => `/usr/share/java/${jar}.jar`,
);

interface Credential {
  username: string;
  secret: string;
}

/** How this test runs one language's snippet. */
interface Runtime {
  language: ConnectionSnippetLanguage;
  /** Where the program of `application` goes, relative to the test's directory. */
  file(application: string): string;
  command(file: string): {
    command: string;
    args: string[];
    env?: Record<string, string>;
  };
  /** What is missing to run it here, or undefined. */
  missing(): string | undefined;
  /** The exit code of a consumer stopped with SIGTERM. */
  stoppedWith: number;
}

const RUNTIMES: Runtime[] = [
  {
    language: 'node',
    file: application => `${application}.js`,
    command: file => ({
      command: process.execPath,
      args: [file],
      env: { NODE_PATH },
    }),
    missing: () => undefined,
    stoppedWith: 0,
  },
  {
    language: 'python',
    file: application => `${application}.py`,
    command: file => ({ command: PYTHON, args: [file] }),
    missing() {
      const check = spawnSync(PYTHON, ['-c', 'import pika'], {
        encoding: 'utf8',
      });
      return check.status === 0
        ? undefined
        : `${PYTHON} cannot import pika (${
            check.error?.message ?? (check.stderr ?? '').trim()
          }): apt-get install -y python3-pika (as .ci/run does)`;
    },
    // The snippet turns SIGTERM into KeyboardInterrupt, stops consuming and closes.
    stoppedWith: 0,
  },
  {
    language: 'java',
    // `java Brom.java` runs the file's class whatever the file is called; the card says Brom.java.
    file: application => join(`java-${application}`, 'Brom.java'),
    command: file => ({ command: JAVA, args: ['-cp', JARS.join(':'), file] }),
    missing() {
      const absent = [JAVA, ...JARS].filter(path => !existsSync(path));
      return absent.length === 0
        ? undefined
        : `${absent.join(
            ', ',
          )} missing: apt-get install -y openjdk-17-jdk-headless librabbitmq-client-java libslf4j-java (as .ci/run does)`;
    },
    // The JVM runs the snippet's shutdown hook (closing the connection) and exits with 128 + 15.
    stoppedWith: 143,
  },
];

/** A snippet running as a child process, with what it printed. */
class Snippet {
  readonly output: string[] = [];
  readonly exited: Promise<number | null>;
  readonly #child: ChildProcess;

  constructor(
    run: { command: string; args: string[]; env?: Record<string, string> },
    environment: string,
  ) {
    const [name, value] = [
      environment.slice(0, environment.indexOf('=')),
      environment.slice(environment.indexOf('=') + 1),
    ];
    this.#child = spawn(run.command, run.args, {
      env: { PATH: process.env.PATH, ...run.env, [name]: value },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const collect = (chunk: Buffer) =>
      this.output.push(...chunk.toString().split('\n').filter(Boolean));
    this.#child.stdout!.on('data', collect);
    this.#child.stderr!.on('data', collect);
    this.exited = new Promise(resolve => {
      this.#child.once('error', error => {
        this.output.push(`could not start ${run.command}: ${error.message}`);
        resolve(null);
      });
      this.#child.once('exit', code => resolve(code));
    });
  }

  waitFor(line: RegExp, what: string): Promise<string> {
    return pollUntil(async () => this.output.find(l => line.test(l)), {
      timeoutMs: SNIPPET_MS,
      describe: () => `${what}; it printed:\n${this.output.join('\n')}`,
    });
  }

  stop(): Promise<number | null> {
    if (this.#child.exitCode === null && this.#child.signalCode === null) {
      this.#child.kill('SIGTERM');
    }
    return this.exited;
  }
}

describe('the connection card’s client code, run as written', () => {
  const node = useDedicatedRabbitNode({ authRequestTimeoutMs: 2_000 });
  let backend: ReconcilerTestBackend | undefined;
  let sidecar: SidecarProcess | undefined;
  let dir: string;
  const snippets: Snippet[] = [];
  const credentials: Record<string, Credential> = {};
  let broker: ConnectionBroker;

  /** The guide the card shows for `application`, from what the card reads. */
  async function guideFor(application: string) {
    const types = await backend!.api.get(ALICE, '/notification-types', {
      query: { application, limit: 100 },
      expect: 200,
    });
    const subscriptions = await backend!.api.get(ALICE, '/subscriptions', {
      query: { consumer: application, limit: 1 },
      expect: 200,
    });
    return connectionGuide({
      broker,
      application,
      routingKeyPatterns: types.body.items.map(
        (t: { routingKeyPattern: string }) => t.routingKeyPattern,
      ),
      consumer: subscriptions.body.totalCount > 0,
    });
  }

  async function run(runtime: Runtime, application: string): Promise<Snippet> {
    const guide = await guideFor(application);
    const code = guide.snippets.find(
      s => s.language === runtime.language,
    )!.code;
    const file = join(dir, runtime.file(application));
    await mkdir(dirname(file), { recursive: true });
    await writeFile(file, code);
    const { username, secret } = credentials[application];
    const snippet = new Snippet(
      runtime.command(file),
      connectionEnvironment(broker, username, secret),
    );
    snippets.push(snippet);
    return snippet;
  }

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'brom-snippets-'));
    const management = node().managementClient();
    try {
      await management.putVhost(VHOST);
      await management.putPermissions(VHOST, node().admin.username, {
        configure: '.*',
        write: '.*',
        read: '.*',
      });
    } finally {
      await management.close();
    }
    broker = {
      amqpUrls: [`amqp://127.0.0.1:${node().ports.amqp}`],
      vhost: VHOST,
      prefix: 'brom.',
    };
    backend = await startReconcilerBackend({
      managementUrl: node().managementUrl,
      vhost: VHOST,
      ...node().admin,
    });
    const { portal, api } = backend;
    // orders produces only; billing consumes only; shipping does both (it receives orders and
    // publishes shipments, which tracking receives).
    const [orderCreated] = await portal.createProducer('orders', [
      { name: 'order-created', pattern: 'order.*.created' },
    ]);
    await portal.createConsumer('billing');
    await portal.subscribe('billing', orderCreated);
    await portal.createConsumer('shipping');
    const shipmentSent = await api.post(
      BOB,
      '/applications/{name}/notification-types',
      {
        params: { name: 'shipping' },
        body: {
          name: 'shipment-sent',
          routingKeyPattern: 'shipment.#',
          description: 'A parcel left',
        },
        expect: 201,
      },
    );
    await portal.subscribe('shipping', orderCreated);
    await api.post(ALICE, '/applications', {
      body: { name: 'tracking', owner: TEAM_A },
      expect: 201,
    });
    const tracking = await api.post(ALICE, '/subscriptions', {
      body: {
        consumer: 'tracking',
        producer: 'shipping',
        notificationType: shipmentSent.body.name,
        justification: 'integration test',
      },
      expect: 201,
    });
    await api.post(BOB, '/subscriptions/{id}/approve', {
      params: { id: tracking.body.id },
      body: { generation: tracking.body.generation },
      expect: 200,
    });
    credentials.orders = await portal.createCredential(ALICE, 'orders');
    credentials.billing = await portal.createCredential(BOB, 'billing');
    credentials.shipping = await portal.createCredential(BOB, 'shipping');
    for (const name of ['orders', 'billing', 'shipping', 'tracking']) {
      await portal.waitUntilReady(name, PROPAGATION_MS);
    }
    sidecar = await SidecarProcess.start({
      portalUrl: backend.url,
      token: SIDECAR_TOKEN,
      authPort: node().ports.auth,
      snapshotPath: join(dir, 'sidecar', 'snapshot.json'),
    });
    await sidecar.waitUntilReady(r => r.snapshot?.source === 'feed');
    // The sidecar has the credentials once each can log in.
    for (const { username, secret } of Object.values(credentials)) {
      await pollUntil(
        async () => {
          const connection = await amqp
            .connect(node().amqpUrl(VHOST, username, secret))
            .catch(() => undefined);
          await connection?.close();
          return connection ? true : undefined;
        },
        { timeoutMs: PROPAGATION_MS, describe: () => `${username} to log in` },
      );
    }
  }, 240_000);

  // Each language starts from empty queues, and its programs never outlive its test: a
  // failed language leaves nothing for the next one to receive.
  beforeEach(async () => {
    const admin = await amqp.connect(
      node().amqpUrl(VHOST, node().admin.username, node().admin.password),
    );
    try {
      const channel = await admin.createChannel();
      for (const queue of ['brom.billing', 'brom.shipping', 'brom.tracking']) {
        await channel.purgeQueue(queue);
      }
    } finally {
      await admin.close();
    }
  });

  afterEach(async () => {
    for (const snippet of snippets.splice(0)) await snippet.stop();
  }, 60_000);

  afterAll(async () => {
    await sidecar?.kill();
    await backend?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  }, 60_000);

  it('gives each role its own code', async () => {
    expect((await guideFor('orders')).role).toBe('producer');
    expect((await guideFor('billing')).role).toBe('consumer');
    expect((await guideFor('shipping')).role).toBe('both');
  });

  it.each(RUNTIMES.map(runtime => [runtime.language, runtime] as const))(
    'runs the %s code for a consumer, a both and a producer application, and the messages arrive',
    async (_, runtime) => {
      const missing = runtime.missing();
      if (missing) {
        throw new Error(
          `Cannot run the ${runtime.language} snippets: ${missing}`,
        );
      }
      const billing = await run(runtime, 'billing');
      await billing.waitFor(/^consuming brom\.billing$/, 'billing to consume');

      // shipping consumes its queue and publishes one shipment with the card's example key.
      const shipping = await run(runtime, 'shipping');
      await shipping.waitFor(
        /^consuming brom\.shipping$/,
        'shipping to consume',
      );
      await shipping.waitFor(
        /^published shipment\.example$/,
        'shipping to publish',
      );

      // orders publishes one order with the card's example key, then exits by itself.
      const orders = await run(runtime, 'orders');
      expect(await orders.exited).toBe(0);
      expect(orders.output).toEqual(['published order.example.created']);

      const received = 'received order.example.created {"hello":"world"}';
      await billing.waitFor(/^received /, 'billing to receive the order');
      await shipping.waitFor(/^received /, 'shipping to receive the order');
      expect(billing.output).toEqual(['consuming brom.billing', received]);
      expect(shipping.output).toEqual([
        'consuming brom.shipping',
        'published shipment.example',
        received,
      ]);

      const admin = await amqp.connect(
        node().amqpUrl(VHOST, node().admin.username, node().admin.password),
      );
      try {
        // tracking's queue holds shipping's shipment.
        const channel = await admin.createChannel();
        const message = await pollUntil(
          async () =>
            (await channel.get('brom.tracking', { noAck: true })) || undefined,
          {
            timeoutMs: PROPAGATION_MS,
            describe: () => 'the shipment in brom.tracking',
          },
        );
        expect(message.fields.routingKey).toBe('shipment.example');
        expect(message.content.toString()).toBe('{"hello":"world"}');

        // The consumers stop cleanly on SIGTERM, having acknowledged what they took: nothing
        // went back to their queues.
        expect(await billing.stop()).toBe(runtime.stoppedWith);
        expect(await shipping.stop()).toBe(runtime.stoppedWith);
        for (const queue of ['brom.billing', 'brom.shipping']) {
          expect(await channel.checkQueue(queue)).toMatchObject({
            messageCount: 0,
            consumerCount: 0,
          });
        }
      } finally {
        await admin.close();
      }
    },
    300_000,
  );
});

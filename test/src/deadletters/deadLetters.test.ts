import type {
  DeadLetterPeek,
  DeadLetterPurge,
  DeadLetterReplay,
} from '@internal/plugin-brom-common';
import amqplib from 'amqplib';
import { pollUntil } from '../process';
import { useRabbitVhost } from '../rabbitmq/testRabbit';
import {
  ADMIN,
  ALICE,
  BOB,
  useReconcilerBackend,
} from '../reconciler/__utils__/bromBackend';

/*
 * The dead-letter tools against a real node: the bound policy the reconciler keeps on each
 * dead-letter queue, and peek, replay and purge through BROM's API. Counts are read through
 * AMQP (a passive declare answers from the queue itself); the broker's statistics lag.
 */

const rabbit = useRabbitVhost();
const WITHIN = { timeoutMs: 60_000, intervalMs: 200 };

describe('dead letters', () => {
  const env = useReconcilerBackend(rabbit);

  let connection: Awaited<ReturnType<typeof amqplib.connect>> | undefined;
  afterEach(async () => {
    await connection?.close().catch(() => undefined);
    connection = undefined;
  });

  /** orders (Alice's) publishes order.*.created; billing (Bob's) is subscribed to it. */
  async function ordersAndBilling() {
    const { portal } = env.backend;
    const [orderCreated] = await portal.createProducer('orders', [
      { name: 'order-created', pattern: 'order.*.created' },
    ]);
    await portal.createConsumer('billing');
    await portal.subscribe('billing', orderCreated);
    await portal.waitUntilReady('billing', 60_000);
    await portal.waitUntilReady('orders', 60_000);
    connection = await amqplib.connect(rabbit.amqpUrl());
    const channel = await connection.createConfirmChannel();
    return { channel };
  }

  async function ready(channel: amqplib.Channel, queue: string) {
    return (await channel.checkQueue(queue)).messageCount;
  }

  async function readyUntil(
    channel: amqplib.Channel,
    queue: string,
    count: number,
  ) {
    let last: number | undefined;
    await pollUntil(
      async () => {
        last = await ready(channel, queue);
        return last === count ? true : undefined;
      },
      { ...WITHIN, describe: () => `${queue} holds ${last}, not ${count}` },
    );
  }

  /** Publishes `payloads` to brom.orders, gets them from brom.billing and rejects them. */
  async function deadLetter(
    channel: amqplib.ConfirmChannel,
    payloads: string[],
  ) {
    for (const [i, payload] of payloads.entries()) {
      channel.publish(
        'brom.orders',
        `order.${i}.created`,
        Buffer.from(payload),
        {
          messageId: payload,
          contentType: 'text/plain',
        },
      );
    }
    await channel.waitForConfirms();
    for (let i = 0; i < payloads.length; i++) {
      const message = await pollUntil(
        async () => (await channel.get('brom.billing')) || undefined,
        { ...WITHIN, describe: () => 'a message to reject' },
      );
      channel.nack(message, false, false);
    }
  }

  /** Takes every message of a queue (acknowledging it) and returns their payloads. */
  async function drain(channel: amqplib.Channel, queue: string) {
    const payloads: string[] = [];
    for (;;) {
      const message = await channel.get(queue);
      if (!message) return payloads;
      payloads.push(message.content.toString());
      channel.ack(message);
    }
  }

  async function peek(who: string, count = 10): Promise<DeadLetterPeek> {
    const res = await env.backend.api.get(
      who,
      '/applications/{name}/dead-letters',
      {
        params: { name: 'billing' },
        query: { count },
        expect: 200,
      },
    );
    return res.body;
  }

  it('bounds every dead-letter queue with one shared policy, repaired when changed', async () => {
    await ordersAndBilling();
    const { management, name: vhost } = rabbit;
    const policy = await pollUntil(
      async () => (await management.listPolicies(vhost)).find(p => p.name === 'brom._dead-letters'),
      { ...WITHIN, describe: () => 'the shared dead-letter bound' },
    );
    expect(policy).toMatchObject({
      pattern: '^brom\\.[a-z0-9]+(?:-[a-z0-9]+)*\\.dlq$',
      'apply-to': 'queues',
      priority: 10,
      definition: { 'max-length': 10000, overflow: 'drop-head' },
    });
    // The broker applies it to the dead-letter queue only. The consumer queue names its
    // dead-letter exchange in its argument and, with no TTL or length limit set, has no
    // policy of its own (decision 0028); no per-queue bound exists either.
    const deadLetters = await pollUntil(
      async () => {
        const q = await management.getQueue(vhost, 'brom.billing.dlq');
        return q.policy === 'brom._dead-letters' ? q : undefined;
      },
      { ...WITHIN, describe: () => 'the dead-letter queue under the bound' },
    );
    expect(deadLetters.arguments).toEqual({ 'x-queue-type': 'quorum' });
    expect(deadLetters.effective_policy_definition).toEqual({
      'max-length': 10000,
      overflow: 'drop-head',
    });
    const queue = await management.getQueue(vhost, 'brom.billing');
    expect(queue.arguments).toEqual({
      'x-queue-type': 'quorum',
      'x-dead-letter-exchange': 'brom.billing.dlx',
    });
    expect(queue.policy || null).toBeNull();
    const names = (await management.listPolicies(vhost)).map(p => p.name);
    expect(names).toContain('brom._dead-letters');
    expect(names).not.toContain('brom.billing');
    expect(names).not.toContain('brom.billing.dlq');

    // Drift: an operator changes the bound by hand; the next full pass puts it back.
    await management.putPolicy(vhost, 'brom._dead-letters', {
      pattern: policy!.pattern,
      'apply-to': 'queues',
      priority: 10,
      definition: { 'max-length': 1 },
    });
    await pollUntil(
      async () => {
        const p = await management.getPolicy(vhost, 'brom._dead-letters');
        return p.definition['max-length'] === 10000 ? p : undefined;
      },
      { ...WITHIN, describe: () => 'the bound repaired' },
    );
  });

  it('peeks, replays exactly the dead-lettered messages back, and purges', async () => {
    const { channel } = await ordersAndBilling();
    const { api } = env.backend;
    const dead = ['dead-0', 'dead-1', 'dead-2', 'dead-3', 'dead-4'];
    const live = ['live-0', 'live-1', 'live-2'];
    await deadLetter(channel, dead);
    await readyUntil(channel, 'brom.billing.dlq', dead.length);
    for (const [i, payload] of live.entries()) {
      channel.publish(
        'brom.orders',
        `order.${i}.created`,
        Buffer.from(payload),
      );
    }
    await channel.waitForConfirms();
    await readyUntil(channel, 'brom.billing', live.length);

    // Peek: what was rejected, why, from where; nothing leaves the queue.
    const first = await peek(BOB, 3);
    expect(first.messageCount).toBe(dead.length);
    expect(first.messages.map(m => m.payload)).toEqual(dead.slice(0, 3));
    expect(first.messages[0]).toMatchObject({
      routingKey: 'order.0.created',
      redelivered: false,
      payloadEncoding: 'string',
      payloadTruncated: false,
      payloadBytes: 6,
      properties: { message_id: 'dead-0', content_type: 'text/plain' },
      deaths: [
        {
          reason: 'rejected',
          queue: 'brom.billing',
          count: 1,
          exchange: 'brom.orders',
          routingKeys: ['order.0.created'],
        },
      ],
    });
    expect(first.messages[0].deaths[0].time).toMatch(/^\d{4}-\d\d-\d\dT/);
    // The broker puts peeked messages back asynchronously: wait until all five are ready.
    await readyUntil(channel, 'brom.billing.dlq', dead.length);
    // Peeking re-queues: the messages shown are marked redelivered.
    const again = await peek(ADMIN, 10);
    expect(again.messages.map(m => m.payload).sort()).toEqual(dead);
    expect(
      again.messages.filter(m => m.redelivered).length,
    ).toBeGreaterThanOrEqual(3);
    await readyUntil(channel, 'brom.billing.dlq', dead.length);

    // Replay: a shovel moves the five back, then deletes itself.
    const replay = await api.post(
      BOB,
      '/applications/{name}/dead-letters/replay',
      {
        params: { name: 'billing' },
        body: {},
        expect: 202,
      },
    );
    expect(replay.body as DeadLetterReplay).toEqual({
      application: 'billing',
      from: 'brom.billing.dlq',
      to: 'brom.billing',
      moving: dead.length,
    });
    await readyUntil(channel, 'brom.billing', live.length + dead.length);
    await readyUntil(channel, 'brom.billing.dlq', 0);
    await pollUntil(
      async () =>
        (await rabbit.management.listShovels(rabbit.name)).length === 0 &&
        (await rabbit.management.listShovelParameters(rabbit.name)).length === 0
          ? true
          : undefined,
      { ...WITHIN, describe: () => 'the replay shovel deleted itself' },
    );
    // Exactly the dead-lettered messages came back: none lost, none twice.
    const payloads = await drain(channel, 'brom.billing');
    expect(payloads.sort()).toEqual([...dead, ...live].sort());

    // The shovel left nothing the reconciler reports: billing is still ready, nothing unmanaged.
    expect((await env.backend.portal.status('billing')).ready).toBe(true);
    const unmanaged = await api.get(ADMIN, '/unmanaged-objects', {
      expect: 200,
    });
    expect(JSON.stringify(unmanaged.body)).not.toContain('replay');

    // Purge: two more dead letters, gone.
    await deadLetter(channel, ['dead-5', 'dead-6']);
    await readyUntil(channel, 'brom.billing.dlq', 2);
    // The purge reports the statistics' count, which follows within seconds.
    await pollUntil(
      async () =>
        (
          await rabbit.management.getQueue(rabbit.name, 'brom.billing.dlq')
        ).messages_ready === 2
          ? true
          : undefined,
      { ...WITHIN, describe: () => 'the statistics count two dead letters' },
    );
    const purge = await api.delete(BOB, '/applications/{name}/dead-letters', {
      params: { name: 'billing' },
      expect: 200,
    });
    expect(purge.body as DeadLetterPurge).toEqual({
      application: 'billing',
      queue: 'brom.billing.dlq',
      purged: 2,
    });
    expect(await ready(channel, 'brom.billing.dlq')).toBe(0);
    expect((await peek(BOB)).messageCount).toBe(0);

    // Every use is audited with who and how many.
    const audit = await api.get(BOB, '/audit-events', {
      query: { application: 'billing', limit: 500 },
      expect: 200,
    });
    const uses = audit.body.items
      .filter((e: { action: string }) =>
        e.action.startsWith('application.dead-letters'),
      )
      .map((e: { action: string; actor: string; after: object }) => ({
        action: e.action,
        actor: e.actor,
        after: e.after,
      }));
    expect(uses).toEqual(
      expect.arrayContaining([
        {
          action: 'application.dead-letters-peeked',
          actor: BOB,
          after: { queue: 'brom.billing.dlq', shown: 3, messageCount: 5 },
        },
        {
          action: 'application.dead-letters-peeked',
          actor: ADMIN,
          after: { queue: 'brom.billing.dlq', shown: 5, messageCount: 5 },
        },
        {
          action: 'application.dead-letters-replayed',
          actor: BOB,
          after: {
            from: 'brom.billing.dlq',
            to: 'brom.billing',
            moving: 5,
            shovel: 'brom.billing.dlq.replay',
          },
        },
        {
          action: 'application.dead-letters-purged',
          actor: BOB,
          after: { queue: 'brom.billing.dlq', purged: 2 },
        },
      ]),
    );
    // Alice owns the producer, not billing.
    await api.get(ALICE, '/applications/{name}/dead-letters', {
      params: { name: 'billing' },
      expect: 403,
    });
  });

  it('sees which overflow behaviours a quorum queue honours on this broker', async () => {
    const { management, name: vhost } = rabbit;
    connection = await amqplib.connect(rabbit.amqpUrl());
    const channel = await connection.createConfirmChannel();
    /**
     * A queue bounded to one message gets three, one after the other: which were confirmed,
     * and which one it holds at its head once it has settled.
     */
    async function overflowWith(overflow: string, settlesAt?: number) {
      const queue = `probe-${overflow}`;
      await management.putQueue(vhost, queue, {
        arguments: {
          'x-queue-type': 'quorum',
          'x-max-length': 1,
          'x-overflow': overflow,
        },
      });
      const confirmed: string[] = [];
      for (const payload of ['first', 'second', 'third']) {
        confirmed.push(
          await new Promise<string>(resolve =>
            channel.sendToQueue(queue, Buffer.from(payload), {}, error =>
              resolve(error ? `${payload} refused` : `${payload} confirmed`),
            ),
          ),
        );
      }
      if (settlesAt !== undefined) await readyUntil(channel, queue, settlesAt);
      const head = await channel.get(queue, { noAck: true });
      return { confirmed, head: head && head.content.toString() };
    }
    const dropsHead = {
      confirmed: ['first confirmed', 'second confirmed', 'third confirmed'],
      head: 'third',
    };
    expect(await overflowWith('drop-head', 1)).toEqual(dropsHead);
    // The queue keeps what it has and refuses publishes once over its bound (a quorum queue
    // notices with a lag of about one message).
    const rejects = await overflowWith('reject-publish');
    expect(rejects.head).toBe('first');
    expect(rejects.confirmed).toContain('third refused');
    // Declared without complaint but not honoured: the queue drops its head (the node logs a
    // warning). So brom.deadLetters.overflow offers only the two above.
    expect(await overflowWith('reject-publish-dlx', 1)).toEqual(dropsHead);
  });

  it('refuses to peek where a delivery-limit would make the broker drop peeked messages', async () => {
    const { channel } = await ordersAndBilling();
    const { api } = env.backend;
    await deadLetter(channel, ['dead-0']);
    await readyUntil(channel, 'brom.billing.dlq', 1);
    // An operator policy applies beside BROM's own policy of the queue.
    const { managementUrl, admin } = rabbit.rabbit;
    const put = await fetch(
      `${managementUrl}/api/operator-policies/${encodeURIComponent(
        rabbit.name,
      )}/limit`,
      {
        method: 'PUT',
        headers: {
          authorization: `Basic ${Buffer.from(
            `${admin.username}:${admin.password}`,
          ).toString('base64')}`,
          'content-type': 'application/json',
        },
        body: JSON.stringify({
          pattern: '^brom\\.billing\\.dlq$',
          'apply-to': 'queues',
          priority: 0,
          definition: { 'delivery-limit': 5 },
        }),
      },
    );
    expect([put.status, await put.text()]).toEqual([201, '']);
    await pollUntil(
      async () =>
        (
          await rabbit.management.getQueue(rabbit.name, 'brom.billing.dlq')
        ).effective_policy_definition?.['delivery-limit'] === 5
          ? true
          : undefined,
      { ...WITHIN, describe: () => 'the delivery-limit in force' },
    );
    const refusal = await api.get(BOB, '/applications/{name}/dead-letters', {
      params: { name: 'billing' },
      expect: 409,
    });
    expect(refusal.body.error.message).toMatch(
      /^A delivery-limit of 5 applies to brom\.billing\.dlq: each peek counts as a delivery/,
    );
    // Nothing was taken: the message is there, never delivered.
    const message = await channel.get('brom.billing.dlq');
    expect(message && message.fields.redelivered).toBe(false);
  });

  it('refuses a replay or purge while a replay runs, and answers 503 when the broker does not', async () => {
    const { channel } = await ordersAndBilling();
    const { api } = env.backend;
    await deadLetter(channel, ['dead-0', 'dead-1']);
    await readyUntil(channel, 'brom.billing.dlq', 2);

    // A replay that cannot finish: it waits for more messages than the queue will hold (an
    // operator's stand-in for one still moving messages).
    const local = `amqp:///${encodeURIComponent(rabbit.name)}`;
    await rabbit.management.putShovel(rabbit.name, 'brom.billing.dlq.replay', {
      'src-uri': local,
      'src-queue': 'brom.billing.dlq',
      'dest-uri': local,
      'dest-queue': 'brom.billing',
      'ack-mode': 'on-confirm',
      'src-delete-after': 1000,
    });
    await readyUntil(channel, 'brom.billing.dlq', 0);
    const during = await peek(BOB);
    expect(during.replayRunning).toBe(true);
    expect(during.messages).toEqual([]);
    for (const [method, path] of [
      ['POST', '/applications/{name}/dead-letters/replay'],
      ['DELETE', '/applications/{name}/dead-letters'],
    ] as const) {
      const refused = await api.call(BOB, method, path, {
        params: { name: 'billing' },
        body: method === 'POST' ? {} : undefined,
        expect: 409,
      });
      expect(refused.body.error.message).toMatch(
        /A replay of "billing"'s dead letters is still moving messages \(shovel brom\.billing\.dlq\.replay: /,
      );
    }
    // The reconciler leaves the replay's shovel alone: it is not one of its objects.
    expect((await env.backend.portal.status('billing')).ready).toBe(true);
    await rabbit.management.deleteShovel(
      rabbit.name,
      'brom.billing.dlq.replay',
    );

    // The management API stops answering for the dead-letter queue: 503 with the reason.
    env.proxy.setFaults(({ path }) =>
      path.includes('brom.billing.dlq') ? { kind: 'reset' } : undefined,
    );
    const down = await api.get(BOB, '/applications/{name}/dead-letters', {
      params: { name: 'billing' },
      expect: 503,
    });
    expect(down.body.error.message).toMatch(
      /^The broker's management API did not answer/,
    );
    env.proxy.setFaults(undefined);
  });
});

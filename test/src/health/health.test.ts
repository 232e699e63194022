import type { ApplicationHealth } from '@internal/plugin-brom-common';
import amqplib from 'amqplib';
import { pollUntil } from '../process';
import { useRabbitVhost } from '../rabbitmq/testRabbit';
import {
  ALICE,
  BOB,
  useReconcilerBackend,
} from '../reconciler/__utils__/bromBackend';

/*
 * Queue health against a real node: what the health API reports for a consumer's queue, its
 * dead-letter queue and a producer's exchange matches what the test published, consumed and
 * rejected. The broker's statistics follow within about a second (the harness sets
 * collect_statistics_interval = 1000) and the portal caches them for 5 s, so every figure is
 * awaited with a generous bound. Listing a vhost's queues with their rates can take the node
 * seconds on a loaded machine, so the backend gives the management API as long as the test
 * waits for a figure (with the tests' usual 2 s, a slow listing fails the read with a 503).
 */

const rabbit = useRabbitVhost();
const WITHIN = { timeoutMs: 60_000, intervalMs: 500 };
/** Two readiness waits and four figure waits, each within WITHIN, fit in the test's time. */
const TEST_MS = 6 * WITHIN.timeoutMs + 60_000;

describe('queue health', () => {
  const env = useReconcilerBackend(rabbit, {
    requestTimeoutMs: WITHIN.timeoutMs,
  });

  async function health(who: string, name: string): Promise<ApplicationHealth> {
    const res = await env.backend.api.get(who, '/applications/{name}/health', {
      params: { name },
      expect: 200,
    });
    return res.body;
  }

  async function healthUntil(
    who: string,
    name: string,
    check: (h: ApplicationHealth) => boolean,
    what: string,
  ): Promise<ApplicationHealth> {
    let last: ApplicationHealth | undefined;
    return pollUntil(
      async () => {
        last = await health(who, name);
        return check(last) ? last : undefined;
      },
      { ...WITHIN, describe: () => `${what}; last: ${JSON.stringify(last)}` },
    );
  }

  it(
    'reports what was published, consumed and dead-lettered, to the owners only',
    async () => {
      const { portal, api } = env.backend;
      const [orderCreated] = await portal.createProducer('orders', [
        { name: 'order-created', pattern: 'order.*.created' },
      ]);
      await portal.createConsumer('billing');
      await portal.subscribe('billing', orderCreated);
      await portal.waitUntilReady('billing', 60_000);
      await portal.waitUntilReady('orders', 60_000);

      // Owners and admins only: Alice owns orders, not billing.
      await api.get(ALICE, '/applications/{name}/health', {
        params: { name: 'billing' },
        expect: 403,
      });
      await api.get(BOB, '/applications/{name}/health', {
        params: { name: 'no-such-app' },
        expect: 404,
      });

      const connection = await amqplib.connect(rabbit.amqpUrl());
      try {
        const publisher = await connection.createConfirmChannel();
        for (let i = 0; i < 5; i++) {
          publisher.publish(
            'brom.orders',
            `order.${i}.created`,
            Buffer.from(`${i}`),
          );
        }
        // Bound to nothing: unroutable.
        publisher.publish('brom.orders', 'order.9.cancelled', Buffer.from('x'));
        await publisher.waitForConfirms();

        const backlog = await healthUntil(
          BOB,
          'billing',
          h => h.queue?.messagesReady === 5,
          'five messages ready in brom.billing',
        );
        expect(backlog.queue).toMatchObject({
          name: 'brom.billing',
          exists: true,
          messagesReady: 5,
          messagesUnacknowledged: 0,
          consumers: 0,
        });
        expect(backlog.deadLetterQueue).toMatchObject({
          name: 'brom.billing.dlq',
          messagesReady: 0,
        });
        expect(backlog.exchange).toBeNull();
        expect(backlog.warnings.map(w => w.code)).not.toContain('dead-letters');

        // Consume two, reject one (dead-lettered), leave two.
        const consumer = await connection.createChannel();
        const taken: amqplib.GetMessage[] = [];
        for (let i = 0; i < 3; i++) {
          const message = await pollUntil(
            async () => (await consumer.get('brom.billing')) || undefined,
            { ...WITHIN, describe: () => 'a message to get' },
          );
          taken.push(message);
        }
        consumer.ack(taken[0]);
        consumer.ack(taken[1]);
        consumer.nack(taken[2], false, false);

        const after = await healthUntil(
          BOB,
          'billing',
          h =>
            h.queue?.messagesReady === 2 &&
            h.queue.messagesUnacknowledged === 0 &&
            h.deadLetterQueue?.messagesReady === 1 &&
            h.queue.lastDeliveryAt !== null,
          'two ready, one dead-lettered, a delivery seen',
        );
        expect(after.warnings.map(w => w.code)).toContain('dead-letters');
        expect(
          after.warnings.find(w => w.code === 'dead-letters')!.message,
        ).toContain('1 dead-lettered');

        // The producer's owners see its exchange's rates while it publishes. A rate is that of
        // the broker's last 5 s sample, so the test publishes on a timer of its own until the
        // rates show, not once per health read (a read that waits on a slow management listing
        // would leave samples without a publish).
        let lastProducer: ApplicationHealth | undefined;
        let publishError: unknown;
        const publishing = setInterval(() => {
          try {
            publisher.publish(
              'brom.orders',
              'order.7.created',
              Buffer.from('7'),
            );
            publisher.publish(
              'brom.orders',
              'order.7.cancelled',
              Buffer.from('x'),
            );
          } catch (error) {
            publishError ??= error;
          }
        }, 100);
        let producer: ApplicationHealth;
        try {
          producer = await pollUntil(
            async () => {
              if (publishError) throw publishError;
              const h = await health(ALICE, 'orders');
              lastProducer = h;
              return (h.exchange?.publishRate ?? 0) > 0 &&
                (h.exchange?.unroutableRate ?? 0) > 0
                ? h
                : undefined;
            },
            {
              ...WITHIN,
              describe: () =>
                `publish and unroutable rates on brom.orders; last: ${JSON.stringify(
                  lastProducer,
                )}`,
            },
          );
        } finally {
          clearInterval(publishing);
        }
        await publisher.waitForConfirms();
        expect(producer.exchange).toMatchObject({
          name: 'brom.orders',
          exists: true,
        });
        expect(producer.queue).toBeNull();
        expect(producer.deadLetterQueue).toBeNull();
      } finally {
        await connection.close();
      }
    },
    TEST_MS,
  );
});

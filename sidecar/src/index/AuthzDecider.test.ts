import { AuthzSnapshot } from '@internal/brom-authz-snapshot';
import {
  CONSUMER_SECRET,
  NOW,
  PRODUCER_SECRET,
  VHOST,
  makeSnapshot,
  memoryLogger,
} from '../__testUtils__/fixtures';
import { SidecarMetrics } from '../metrics';
import { AuthzDecider } from './AuthzDecider';
import { AuthzIndex } from './AuthzIndex';
import { hashSecret } from './hash';

function deciderFor(
  snapshot: AuthzSnapshot | undefined,
  options: {
    now?: () => number;
    burst?: number;
    metrics?: SidecarMetrics;
  } = {},
) {
  const { logger, lines } = memoryLogger();
  const decider = AuthzDecider.create({
    logger,
    now: options.now ?? (() => NOW),
    metrics: options.metrics,
    failedAuthBurst: options.burst ?? 3,
    failedAuthRefillPerSecond: 0.01,
  });
  if (snapshot) {
    decider.swap(AuthzIndex.compile({ snapshot }));
  }
  return { decider, lines };
}

describe('AuthzDecider', () => {
  describe('before any snapshot', () => {
    it('denies everything', () => {
      const { decider } = deciderFor(undefined);
      expect(decider.user('orders-1', PRODUCER_SECRET)).toBe(false);
      expect(decider.vhost('orders-1', VHOST)).toBe(false);
      expect(
        decider.resource('orders-1', VHOST, 'exchange', 'brom.orders', 'write'),
      ).toBe(false);
      expect(
        decider.topic(
          'orders-1',
          VHOST,
          'topic',
          'brom.orders',
          'write',
          'order.1.created',
        ),
      ).toBe(false);
    });
  });

  describe('/auth/user', () => {
    it('allows a producer and a consumer with their secrets', () => {
      const { decider } = deciderFor(makeSnapshot(1));
      expect(decider.user('orders-1', PRODUCER_SECRET)).toBe(true);
      expect(decider.user('billing-1', CONSUMER_SECRET)).toBe(true);
    });

    it('denies a wrong secret, another credential’s secret and a missing one', () => {
      const { decider } = deciderFor(makeSnapshot(1));
      expect(decider.user('orders-1', `${PRODUCER_SECRET}x`)).toBe(false);
      expect(decider.user('orders-1', CONSUMER_SECRET)).toBe(false);
      expect(decider.user('orders-1', '')).toBe(false);
      expect(decider.user('orders-1', null)).toBe(false);
    });

    it('denies unknown usernames, including internal broker users falling through', () => {
      const { decider, lines } = deciderFor(makeSnapshot(1));
      expect(decider.user('guest', 'guest')).toBe(false);
      expect(decider.user('brom-reconciler', 'wrong')).toBe(false);
      expect(decider.user(null, PRODUCER_SECRET)).toBe(false);
      expect(decider.user('', '')).toBe(false);
      expect(lines.join('\n')).not.toContain('guest');
    });

    it('denies an expired credential by the sidecar’s own clock', () => {
      let now = NOW;
      const { decider } = deciderFor(makeSnapshot(1), { now: () => now });
      expect(decider.user('billing-1', CONSUMER_SECRET)).toBe(true);
      now = Date.parse('2026-11-21T13:00:00.000Z') - 1;
      expect(decider.user('billing-1', CONSUMER_SECRET)).toBe(true);
      expect(decider.vhost('billing-1', VHOST)).toBe(true);
      now = Date.parse('2026-11-21T13:00:00.000Z');
      expect(decider.user('billing-1', CONSUMER_SECRET)).toBe(false);
      expect(decider.vhost('billing-1', VHOST)).toBe(false);
      expect(
        decider.resource('billing-1', VHOST, 'queue', 'brom.billing', 'read'),
      ).toBe(false);
      // Credentials without expiry are unaffected.
      expect(decider.user('orders-1', PRODUCER_SECRET)).toBe(true);
    });

    it('stops allowing a credential the next snapshot no longer holds', () => {
      const { decider } = deciderFor(makeSnapshot(1));
      const next = makeSnapshot(2);
      next.credentials = next.credentials.filter(
        c => c.username !== 'orders-1',
      );
      decider.swap(AuthzIndex.compile({ snapshot: next }));
      expect(decider.user('orders-1', PRODUCER_SECRET)).toBe(false);
      expect(
        decider.resource('orders-1', VHOST, 'exchange', 'brom.orders', 'write'),
      ).toBe(false);
    });

    it('verifies passwords containing any characters', () => {
      const secret = 'pä ss+wörd&=%🙂';
      const snapshot = makeSnapshot(1);
      const salt = '0f'.repeat(16);
      snapshot.credentials[0] = {
        ...snapshot.credentials[0],
        salt,
        hash: hashSecret(salt, secret),
      };
      const { decider } = deciderFor(snapshot);
      expect(decider.user('orders-1', secret)).toBe(true);
      expect(decider.user('orders-1', secret.normalize('NFD'))).toBe(false);
    });
  });

  describe('failed-attempt limiting', () => {
    it('never locks out the correct secret, however many failures came first', () => {
      const metrics = SidecarMetrics.create();
      const { decider, lines } = deciderFor(makeSnapshot(1), {
        burst: 3,
        metrics,
      });
      for (let i = 0; i < 50; i++) {
        expect(decider.user('orders-1', `guess-${i}`)).toBe(false);
      }
      expect(decider.user('orders-1', PRODUCER_SECRET)).toBe(true);
      expect(decider.user('orders-1', 'guess-again')).toBe(false);
      expect(decider.user('orders-1', PRODUCER_SECRET)).toBe(true);
      // The other credential of the snapshot is not affected either.
      expect(decider.user('billing-1', CONSUMER_SECRET)).toBe(true);

      const failureLines = lines.filter(l =>
        l.includes('Password check failed'),
      );
      expect(failureLines).toHaveLength(3);
      const text = metrics.render(NOW);
      expect(text).toContain('brom_sidecar_failed_auth_total 51');
      expect(text).toContain('brom_sidecar_failed_auth_rate_limited_total 48');
    });

    it('reports failures one by one again once the budget refills', () => {
      let now = NOW;
      const { decider, lines } = deciderFor(makeSnapshot(1), {
        now: () => now,
        burst: 1,
      });
      decider.user('orders-1', 'a');
      decider.user('orders-1', 'b');
      expect(
        lines.filter(l => l.includes('Password check failed')),
      ).toHaveLength(1);
      now += 100_000; // one token at 0.01 per second
      decider.user('orders-1', 'c');
      expect(
        lines.filter(l => l.includes('Password check failed')),
      ).toHaveLength(2);
    });

    it('never logs passwords or hashes', () => {
      const snapshot = makeSnapshot(1);
      const { decider, lines } = deciderFor(snapshot);
      decider.user('orders-1', 'very-secret-wrong-password');
      decider.user('orders-1', PRODUCER_SECRET);
      const text = lines.join('\n');
      expect(text).not.toContain('very-secret-wrong-password');
      expect(text).not.toContain(PRODUCER_SECRET);
      expect(text).not.toContain(snapshot.credentials[0].hash);
    });
  });

  describe('/auth/vhost', () => {
    it('allows a live credential on the managed vhost only', () => {
      const { decider } = deciderFor(makeSnapshot(1));
      expect(decider.vhost('orders-1', VHOST)).toBe(true);
      expect(decider.vhost('idle-1', VHOST)).toBe(true);
      expect(decider.vhost('orders-1', '/')).toBe(false);
      expect(decider.vhost('orders-1', `${VHOST} `)).toBe(false);
      expect(decider.vhost('orders-1', null)).toBe(false);
      expect(decider.vhost('guest', VHOST)).toBe(false);
    });
  });

  describe('/auth/resource', () => {
    it('lets a producer write to its exchange and nothing else', () => {
      const { decider } = deciderFor(makeSnapshot(1));
      expect(
        decider.resource('orders-1', VHOST, 'exchange', 'brom.orders', 'write'),
      ).toBe(true);
      expect(
        decider.resource('orders-1', VHOST, 'exchange', 'brom.orders', 'read'),
      ).toBe(false);
      expect(
        decider.resource(
          'orders-1',
          VHOST,
          'exchange',
          'brom.orders',
          'configure',
        ),
      ).toBe(false);
      expect(
        decider.resource('orders-1', VHOST, 'queue', 'brom.orders', 'write'),
      ).toBe(false);
      expect(
        decider.resource(
          'orders-1',
          VHOST,
          'exchange',
          'brom.billing',
          'write',
        ),
      ).toBe(false);
      expect(
        decider.resource('orders-1', VHOST, 'queue', 'brom.billing', 'read'),
      ).toBe(false);
    });

    it('lets a consumer read its queue and nothing else', () => {
      const { decider } = deciderFor(makeSnapshot(1));
      expect(
        decider.resource('billing-1', VHOST, 'queue', 'brom.billing', 'read'),
      ).toBe(true);
      expect(
        decider.resource('billing-1', VHOST, 'queue', 'brom.billing', 'write'),
      ).toBe(false);
      expect(
        decider.resource(
          'billing-1',
          VHOST,
          'queue',
          'brom.billing',
          'configure',
        ),
      ).toBe(false);
      expect(
        decider.resource(
          'billing-1',
          VHOST,
          'exchange',
          'brom.orders',
          'write',
        ),
      ).toBe(false);
    });

    it('denies the default exchange and other amq. names even if a snapshot lists them', () => {
      const snapshot = makeSnapshot(1);
      snapshot.applications[0].write.push('amq.default', 'amq.topic');
      snapshot.applications[1].read.push('amq.gen-abc');
      const { decider } = deciderFor(snapshot);
      expect(
        decider.resource('orders-1', VHOST, 'exchange', 'amq.default', 'write'),
      ).toBe(false);
      expect(
        decider.resource('orders-1', VHOST, 'exchange', 'amq.topic', 'write'),
      ).toBe(false);
      expect(
        decider.resource('billing-1', VHOST, 'queue', 'amq.gen-abc', 'read'),
      ).toBe(false);
      expect(
        decider.resource('orders-1', VHOST, 'exchange', 'brom.orders', 'write'),
      ).toBe(true);
    });

    it('denies another vhost, unknown users and missing parameters', () => {
      const { decider } = deciderFor(makeSnapshot(1));
      expect(
        decider.resource('orders-1', '/', 'exchange', 'brom.orders', 'write'),
      ).toBe(false);
      expect(
        decider.resource('guest', VHOST, 'exchange', 'brom.orders', 'write'),
      ).toBe(false);
      expect(
        decider.resource('orders-1', VHOST, 'exchange', null, 'write'),
      ).toBe(false);
      expect(
        decider.resource('orders-1', VHOST, null, 'brom.orders', 'write'),
      ).toBe(false);
      expect(
        decider.resource('orders-1', VHOST, 'exchange', 'brom.orders', null),
      ).toBe(false);
    });
  });

  describe('/auth/topic', () => {
    const publish = (
      decider: AuthzDecider,
      key: string,
      overrides: Partial<Record<string, string>> = {},
    ) =>
      decider.topic(
        overrides.username ?? 'orders-1',
        overrides.vhost ?? VHOST,
        overrides.resource ?? 'topic',
        overrides.name ?? 'brom.orders',
        overrides.permission ?? 'write',
        key,
      );

    it('allows routing keys matching the producer’s patterns', () => {
      const { decider } = deciderFor(makeSnapshot(1));
      expect(publish(decider, 'order.42.created')).toBe(true);
      expect(publish(decider, 'audit')).toBe(true);
      expect(publish(decider, 'audit.x.y')).toBe(true);
      // A wildcard takes any word the exchange would route: upper case (ULIDs), other
      // scripts, even an empty one.
      expect(publish(decider, 'order.01HXYZ.created')).toBe(true);
      expect(publish(decider, 'order.ØRE.created')).toBe(true);
      expect(publish(decider, 'order..created')).toBe(true);
    });

    it('denies keys outside the patterns', () => {
      const { decider } = deciderFor(makeSnapshot(1));
      expect(publish(decider, 'order.42.deleted')).toBe(false);
      expect(publish(decider, 'order.42.created.extra')).toBe(false);
      expect(publish(decider, 'Order.42.created')).toBe(false);
      expect(publish(decider, 'order.42.CREATED')).toBe(false);
      expect(publish(decider, '')).toBe(false);
      expect(publish(decider, 'auditx')).toBe(false);
      expect(publish(decider, 'x'.repeat(300))).toBe(false);
    });

    it('denies topic read, other exchanges, other vhosts and other applications', () => {
      const { decider } = deciderFor(makeSnapshot(1));
      expect(publish(decider, 'order.1.created', { permission: 'read' })).toBe(
        false,
      );
      expect(
        publish(decider, 'order.1.created', { permission: 'configure' }),
      ).toBe(false);
      expect(
        publish(decider, 'order.1.created', { name: 'brom.billing' }),
      ).toBe(false);
      expect(publish(decider, 'order.1.created', { name: 'amq.topic' })).toBe(
        false,
      );
      expect(publish(decider, 'order.1.created', { vhost: '/' })).toBe(false);
      expect(
        publish(decider, 'order.1.created', { resource: 'exchange' }),
      ).toBe(false);
      expect(
        publish(decider, 'order.1.created', { username: 'billing-1' }),
      ).toBe(false);
      expect(publish(decider, 'order.1.created', { username: 'guest' })).toBe(
        false,
      );
      expect(
        decider.topic('orders-1', VHOST, 'topic', 'brom.orders', 'write', null),
      ).toBe(false);
    });
  });

  it('decides the same for an application with many exchanges and queues', () => {
    // Short lists are scanned, long ones hashed; both must give the same answers.
    const names = (prefix: string) =>
      Array.from({ length: 20 }, (_, i) => `${prefix}-${i}`);
    const snapshot = makeSnapshot(1);
    snapshot.applications[0] = {
      name: 'orders',
      write: names('brom.orders'),
      read: names('brom.orders-in'),
      topicWrite: names('brom.orders').map((exchange, i) => ({
        exchange,
        routingKeyPatterns: [`order.*.v${i}`],
      })),
    };
    const { decider } = deciderFor(snapshot);
    for (const i of [0, 7, 8, 19]) {
      expect(
        decider.resource(
          'orders-1',
          VHOST,
          'exchange',
          `brom.orders-${i}`,
          'write',
        ),
      ).toBe(true);
      expect(
        decider.resource(
          'orders-1',
          VHOST,
          'queue',
          `brom.orders-in-${i}`,
          'read',
        ),
      ).toBe(true);
      expect(
        decider.topic(
          'orders-1',
          VHOST,
          'topic',
          `brom.orders-${i}`,
          'write',
          `order.1.v${i}`,
        ),
      ).toBe(true);
      expect(
        decider.topic(
          'orders-1',
          VHOST,
          'topic',
          `brom.orders-${i}`,
          'write',
          `order.1.v${i + 1}`,
        ),
      ).toBe(false);
    }
    expect(
      decider.resource(
        'orders-1',
        VHOST,
        'exchange',
        'brom.orders-20',
        'write',
      ),
    ).toBe(false);
    expect(
      decider.resource('orders-1', VHOST, 'queue', 'brom.orders-0', 'read'),
    ).toBe(false);
    expect(
      decider.topic(
        'orders-1',
        VHOST,
        'topic',
        'brom.orders-20',
        'write',
        'order.1.v20',
      ),
    ).toBe(false);
  });
});

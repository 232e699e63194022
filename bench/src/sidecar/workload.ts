import { randomBytes } from 'node:crypto';
import { AuthzApplication, AuthzSnapshot } from '@internal/brom-authz-snapshot';
import {
  AuthzDecider,
  AuthzIndex,
  JsonLogger,
  hashSecret,
} from '@internal/brom-sidecar';
import { seeded } from '@internal/brom-sidecar/testUtils';

/**
 * A synthetic but realistically shaped policy and the requests RabbitMQ would send about it.
 *
 * The snapshot format has no entry per subscription: an approved subscription shows up as the
 * consumer's queue and dead-letter queue in `read`, and as the producer's exchange in `write`
 * with one routing-key pattern per notification type. To give a snapshot the weight of N
 * subscriptions we assume every subscription is to a type of its own, so the snapshot carries N
 * routing-key patterns spread over the producers: an upper bound on its size and on the
 * matchers the sidecar compiles.
 */

export const BENCH_VHOST = 'brom';
export const PREFIX = 'brom.';

export interface SnapshotShape {
  applications: number;
  subscriptions: number;
  credentialsPerApplication: number;
  /** Share of applications that publish (own an exchange and notification types). */
  producerShare: number;
  /** Share of applications that consume (own a queue and a dead-letter queue). */
  consumerShare: number;
  seed: number;
}

export const REALISTIC_SHAPE: SnapshotShape = {
  applications: 1_000,
  subscriptions: 10_000,
  credentialsPerApplication: 2,
  producerShare: 0.5,
  consumerShare: 0.7,
  seed: 20_261_121,
};

export const LARGE_SHAPE: SnapshotShape = {
  ...REALISTIC_SHAPE,
  applications: 10_000,
  subscriptions: 100_000,
  seed: 100_000,
};

const DOMAINS = [
  'billing',
  'orders',
  'shipping',
  'catalog',
  'payments',
  'identity',
  'search',
  'pricing',
  'inventory',
  'support',
  'marketing',
  'analytics',
  'fleet',
  'claims',
  'ledger',
  'notify',
];
const ROLES = ['api', 'worker', 'sync', 'gateway', 'importer', 'service'];
const ENTITIES = [
  'order',
  'invoice',
  'payment',
  'shipment',
  'customer',
  'account',
  'product',
  'price',
  'refund',
  'ticket',
  'vehicle',
  'claim',
  'subscription',
  'parcel',
  'document',
  'user',
];
const EVENTS = [
  'created',
  'updated',
  'deleted',
  'approved',
  'rejected',
  'shipped',
  'paid',
  'cancelled',
  'expired',
  'archived',
];
const USERNAME_ALPHABET = 'abcdefghijkmnpqrstuvwxyz23456789';

function pick<T>(random: () => number, items: readonly T[]): T {
  return items[Math.floor(random() * items.length)];
}

export interface BenchApplication {
  name: string;
  exchange?: string;
  queues: string[];
  patterns: string[];
  usernames: string[];
}

export interface BenchPolicy {
  snapshot: AuthzSnapshot;
  applications: BenchApplication[];
  producers: BenchApplication[];
  consumers: BenchApplication[];
  /** Secrets by username, for clients that really log in (the broker benchmark). */
  secrets: Map<string, string>;
}

/** Builds the policy. Salts and secrets are random; names, shape and requests are seeded. */
export function buildPolicy(
  shape: SnapshotShape,
  options: { version?: number; now?: number } = {},
): BenchPolicy {
  const random = seeded(shape.seed);
  const now = options.now ?? Date.now();
  const applications: BenchApplication[] = [];
  for (let i = 0; i < shape.applications; i++) {
    const name = `${pick(random, DOMAINS)}-${pick(random, ROLES)}-${i + 1}`;
    applications.push({ name, queues: [], patterns: [], usernames: [] });
  }
  const producers = applications.filter(() => random() < shape.producerShare);
  const consumers = applications.filter(() => random() < shape.consumerShare);
  for (const consumer of consumers) {
    consumer.queues = [
      `${PREFIX}${consumer.name}`,
      `${PREFIX}${consumer.name}.dlq`,
    ];
  }
  // One pattern per subscription, dealt round-robin over the producers.
  for (let s = 0; s < shape.subscriptions; s++) {
    const producer = producers[s % producers.length];
    producer.exchange = `${PREFIX}${producer.name}`;
    const j = producer.patterns.length;
    const entity =
      ENTITIES[j % ENTITIES.length] +
      (j >= ENTITIES.length ? `-v${Math.floor(j / ENTITIES.length)}` : '');
    const event = pick(random, EVENTS);
    const kind = random();
    if (kind < 0.6) {
      producer.patterns.push(`${entity}.*.${event}`);
    } else if (kind < 0.85) {
      producer.patterns.push(`${entity}.${event}`);
    } else {
      producer.patterns.push(`${entity}.${event}.#`);
    }
  }

  const secrets = new Map<string, string>();
  const credentials: AuthzSnapshot['credentials'] = [];
  for (const application of applications) {
    for (let k = 0; k < shape.credentialsPerApplication; k++) {
      let suffix = '';
      for (let c = 0; c < 8; c++) {
        suffix += pick(random, [...USERNAME_ALPHABET]);
      }
      const username = `${application.name}.${suffix}`;
      const salt = randomBytes(16).toString('hex');
      const secret = randomBytes(32).toString('base64url');
      secrets.set(username, secret);
      application.usernames.push(username);
      credentials.push({
        username,
        application: application.name,
        salt,
        hash: hashSecret(salt, secret),
        // One in ten credentials was issued with an expiry (a year out).
        expiresAt:
          random() < 0.1
            ? new Date(now + 365 * 24 * 3600 * 1000).toISOString()
            : null,
      });
    }
  }

  const snapshotApplications: AuthzApplication[] = applications.map(a => ({
    name: a.name,
    write: a.exchange ? [a.exchange] : [],
    read: a.queues,
    topicWrite: a.exchange
      ? [{ exchange: a.exchange, routingKeyPatterns: a.patterns }]
      : [],
  }));

  return {
    snapshot: {
      format: 1,
      version: options.version ?? 1,
      generatedAt: new Date(now).toISOString(),
      vhost: BENCH_VHOST,
      credentials,
      applications: snapshotApplications,
    },
    applications,
    producers,
    consumers,
    secrets,
  };
}

/** A routing key a publisher would send that matches the pattern (ids for `*`, words for `#`). */
export function keyForPattern(random: () => number, pattern: string): string {
  const words: string[] = [];
  for (const word of pattern.split('.')) {
    if (word === '*') {
      words.push(Math.floor(random() * 0xffffffff).toString(16));
    } else if (word === '#') {
      const extra = Math.floor(random() * 3);
      for (let i = 0; i < extra; i++) {
        words.push(pick(random, ['eu', 'us', 'v2', 'batch', 'retry']));
      }
    } else {
      words.push(word);
    }
  }
  return words.join('.');
}

/**
 * The broker's value encoding (rabbit_http_util:quote_plus, from mochiweb): letters, digits and
 * `.-~_` stay, a space becomes `+`, every other byte is `%XX` in upper case.
 */
export function quotePlus(value: string): string {
  let out = '';
  for (const byte of Buffer.from(value, 'utf8')) {
    const c = String.fromCharCode(byte);
    if (/[A-Za-z0-9.\-~_]/.test(c)) {
      out += c;
    } else if (byte === 0x20) {
      out += '+';
    } else {
      out += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
    }
  }
  return out;
}

function form(pairs: Array<[string, string]>): string {
  return pairs.map(([k, v]) => `${k}=${quotePlus(v)}`).join('&');
}

/** The POST body of `/auth/resource`, parameters in the broker's order (3.10). */
export function resourceBody(
  username: string,
  resource: 'exchange' | 'queue',
  name: string,
  permission: 'configure' | 'write' | 'read',
): string {
  return form([
    ['username', username],
    ['vhost', BENCH_VHOST],
    ['resource', resource],
    ['name', name],
    ['permission', permission],
    ['tags', ''],
  ]);
}

/** The POST body of `/auth/topic`, parameters in the broker's order (3.10). */
export function topicBody(
  username: string,
  exchange: string,
  routingKey: string,
): string {
  return form([
    ['username', username],
    ['vhost', BENCH_VHOST],
    ['resource', 'topic'],
    ['name', exchange],
    ['permission', 'write'],
    ['tags', ''],
    ['routing_key', routingKey],
    ['variable_map.username', username],
    ['variable_map.vhost', BENCH_VHOST],
  ]);
}

export interface RequestSet {
  path: '/auth/resource' | '/auth/topic';
  bodies: string[];
  /** The sidecar's expected answer per body. */
  allow: boolean[];
}

function otherThan<T>(random: () => number, items: T[], not: T): T {
  for (;;) {
    const item = pick(random, items);
    if (item !== not || items.length === 1) {
      return item;
    }
  }
}

/**
 * Requests drawn from the policy: mostly what running applications ask (producers writing
 * their exchange and publishing declared keys, consumers reading their queues) with a share of
 * denials (other applications' objects, undeclared keys, `configure`, unknown usernames). Every
 * expected answer is checked against the sidecar's own decider before it is used.
 */
export function buildRequests(
  policy: BenchPolicy,
  count: number,
  seed: number,
): { resource: RequestSet; topic: RequestSet } {
  const random = seeded(seed);
  const { producers, consumers } = policy;
  const unknown = () =>
    `${pick(random, DOMAINS)}-retired-${Math.floor(random() * 1e6)}.x`;

  const resource: RequestSet = {
    path: '/auth/resource',
    bodies: [],
    allow: [],
  };
  for (let i = 0; i < count; i++) {
    const roll = random();
    let body: string;
    let allow: boolean;
    if (roll < 0.4) {
      const p = pick(random, producers);
      body = resourceBody(
        pick(random, p.usernames),
        'exchange',
        p.exchange!,
        'write',
      );
      allow = true;
    } else if (roll < 0.75) {
      const c = pick(random, consumers);
      body = resourceBody(
        pick(random, c.usernames),
        'queue',
        pick(random, c.queues),
        'read',
      );
      allow = true;
    } else if (roll < 0.83) {
      const c = pick(random, consumers);
      const other = otherThan(random, consumers, c);
      body = resourceBody(
        pick(random, c.usernames),
        'queue',
        other.queues[0],
        'read',
      );
      allow = false;
    } else if (roll < 0.9) {
      const p = pick(random, producers);
      const other = otherThan(random, producers, p);
      body = resourceBody(
        pick(random, p.usernames),
        'exchange',
        other.exchange!,
        'write',
      );
      allow = false;
    } else if (roll < 0.95) {
      const c = pick(random, consumers);
      body = resourceBody(
        pick(random, c.usernames),
        'queue',
        c.queues[0],
        'configure',
      );
      allow = false;
    } else {
      body = resourceBody(
        unknown(),
        'queue',
        pick(random, consumers).queues[0],
        'read',
      );
      allow = false;
    }
    resource.bodies.push(body);
    resource.allow.push(allow);
  }

  const topic: RequestSet = { path: '/auth/topic', bodies: [], allow: [] };
  for (let i = 0; i < count; i++) {
    const roll = random();
    const p = pick(random, producers);
    const key = keyForPattern(random, pick(random, p.patterns));
    let body: string;
    let allow: boolean;
    if (roll < 0.75) {
      body = topicBody(pick(random, p.usernames), p.exchange!, key);
      allow = true;
    } else if (roll < 0.85) {
      // A key of a type the producer never declared.
      const undeclared = `undeclared.${key}`;
      body = topicBody(pick(random, p.usernames), p.exchange!, undeclared);
      allow = false;
    } else if (roll < 0.95) {
      const other = otherThan(random, producers, p);
      body = topicBody(pick(random, other.usernames), p.exchange!, key);
      allow = false;
    } else {
      body = topicBody(unknown(), p.exchange!, key);
      allow = false;
    }
    topic.bodies.push(body);
    topic.allow.push(allow);
  }

  checkAgainstDecider(policy.snapshot, resource);
  checkAgainstDecider(policy.snapshot, topic);
  return { resource, topic };
}

function checkAgainstDecider(snapshot: AuthzSnapshot, set: RequestSet): void {
  const decider = AuthzDecider.create({
    logger: JsonLogger.create({ level: 'error', sink: () => {} }),
  });
  decider.swap(AuthzIndex.compile({ snapshot }));
  set.bodies.forEach((body, i) => {
    const p = new URLSearchParams(body);
    const allowed =
      set.path === '/auth/topic'
        ? decider.topic(
            p.get('username'),
            p.get('vhost'),
            p.get('resource'),
            p.get('name'),
            p.get('permission'),
            p.get('routing_key'),
          )
        : decider.resource(
            p.get('username'),
            p.get('vhost'),
            p.get('resource'),
            p.get('name'),
            p.get('permission'),
          );
    if (allowed !== set.allow[i]) {
      throw new Error(
        `Benchmark workload bug: expected ${
          set.allow[i] ? 'allow' : 'deny'
        } for ${set.path} ${body}`,
      );
    }
  });
}

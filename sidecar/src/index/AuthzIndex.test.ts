import {
  AuthzApplication,
  AuthzCredential,
  AuthzSnapshot,
  applyAuthzSnapshotDeltaWithChange,
  authzSnapshotDeltaBody,
  authzSnapshotEntries,
} from '@internal/brom-authz-snapshot';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import {
  CONSUMER_SECRET,
  NOW,
  PRODUCER_SECRET,
  VHOST,
  makeSnapshot,
  memoryLogger,
} from '../__testUtils__/fixtures';
import { seeded } from '../__testUtils__/seeded';
import { AuthzDecider } from './AuthzDecider';
import { AuthzIndex } from './AuthzIndex';
import { hashSecret } from './hash';

/** The snapshot a delta from `from` to `to` makes, and its change, as the feed gets them. */
function viaDelta(from: AuthzSnapshot, to: AuthzSnapshot) {
  const body = JSON.parse(
    authzSnapshotDeltaBody(authzSnapshotEntries(from), {
      snapshot: to,
      entries: authzSnapshotEntries(to),
    }),
  );
  return applyAuthzSnapshotDeltaWithChange(from, body);
}

function deciderFor(index: AuthzIndex): AuthzDecider {
  const decider = AuthzDecider.create({
    logger: memoryLogger().logger,
    now: () => NOW,
  });
  decider.swap(index);
  return decider;
}

const EXCHANGES = [
  ...Array.from({ length: 12 }, (_, i) => `brom.e${i}`),
  'amq.topic',
];
const QUEUES = [...Array.from({ length: 12 }, (_, i) => `brom.q${i}`), 'amq.q'];
const PATTERNS = [
  'order.*.created',
  'order.#',
  'audit.#',
  'invoice.paid',
  '*.shipped',
  'a.b.c',
  '#',
];
const KEYS = [
  'order.1.created',
  'order.created',
  'order',
  'audit',
  'audit.x.y',
  'invoice.paid',
  'x.shipped',
  'a.b.c',
  'a.b',
  '',
];

/**
 * Every answer of the four endpoints over a grid of inputs, from a decider on `actual` and
 * one on `expected`: the answers that differ (none, for equivalent indexes) and how many
 * were allowed.
 */
function compareAnswers(
  actual: AuthzIndex,
  expected: AuthzIndex,
  usernames: Iterable<string>,
  secrets: ReadonlyMap<string, string>,
): { differences: string[]; asked: number; allowed: number } {
  const a = deciderFor(actual);
  const e = deciderFor(expected);
  const differences: string[] = [];
  let asked = 0;
  let allowed = 0;
  const check = (what: string, answer: (d: AuthzDecider) => boolean) => {
    const got = answer(a);
    const want = answer(e);
    asked++;
    if (want) allowed++;
    if (got !== want) {
      differences.push(`${what}: ${got}, a full compile says ${want}`);
    }
  };
  for (const username of [...usernames, 'nobody']) {
    for (const password of [secrets.get(username) ?? 'none', 'wrong']) {
      check(`user ${username}`, d => d.user(username, password));
    }
    for (const vhost of [VHOST, 'other']) {
      check(`vhost ${username} ${vhost}`, d => d.vhost(username, vhost));
    }
    for (const name of [...EXCHANGES, ...QUEUES]) {
      for (const resource of ['exchange', 'queue', 'topic']) {
        for (const permission of ['write', 'read', 'configure']) {
          check(`resource ${username} ${resource} ${name} ${permission}`, d =>
            d.resource(username, VHOST, resource, name, permission),
          );
        }
      }
    }
    for (const exchange of EXCHANGES) {
      for (const key of KEYS) {
        check(`topic ${username} ${exchange} ${key}`, d =>
          d.topic(username, VHOST, 'topic', exchange, 'write', key),
        );
      }
    }
  }
  return { differences, asked, allowed };
}

/** A seeded random policy and the changes the portal makes to it. */
class RandomPolicy {
  readonly random: () => number;
  readonly secrets = new Map<string, string>();
  /** Every username the policy ever had, so the grid asks about revoked ones too. */
  readonly usernames = new Set<string>();
  snapshot: AuthzSnapshot;
  #credentialCount = 0;

  constructor(seed: number) {
    this.random = seeded(seed);
    this.snapshot = {
      format: 1,
      version: 1,
      epoch: 'db-1',
      generatedAt: new Date(NOW - 60_000).toISOString(),
      vhost: VHOST,
      applications: [],
      credentials: [],
    };
    for (let i = 0; i < 6; i++) {
      this.#addApplication(this.snapshot);
    }
  }

  #int(below: number): number {
    return Math.floor(this.random() * below);
  }

  #pick<T>(items: readonly T[]): T {
    return items[this.#int(items.length)];
  }

  /** Up to `max` distinct items, in random order. */
  #sample<T>(items: readonly T[], min: number, max: number): T[] {
    const count = min + this.#int(max - min + 1);
    const pool = [...items];
    const out: T[] = [];
    while (out.length < count && pool.length > 0) {
      out.push(pool.splice(this.#int(pool.length), 1)[0]);
    }
    return out;
  }

  #hex(bytes: number): string {
    let out = '';
    for (let i = 0; i < bytes; i++) {
      out += this.#int(256).toString(16).padStart(2, '0');
    }
    return out;
  }

  #application(name: string): AuthzApplication {
    // Some applications have more names than the index keeps in arrays (8).
    const many = this.random() < 0.2;
    return {
      name,
      write: this.#sample(EXCHANGES, 0, many ? 12 : 3),
      read: this.#sample(QUEUES, 0, many ? 12 : 3),
      topicWrite: this.#sample(EXCHANGES, 0, many ? 11 : 2).map(exchange => ({
        exchange,
        routingKeyPatterns: this.#sample(PATTERNS, 0, 3),
      })),
    };
  }

  #credential(application: string, username?: string): AuthzCredential {
    const name = username ?? `${application}.c${++this.#credentialCount}`;
    const secret = `secret-${this.#hex(8)}`;
    const salt = this.#hex(16);
    this.secrets.set(name, secret);
    this.usernames.add(name);
    const roll = this.random();
    // Some expired at NOW, some expiring later, most never.
    let expiresAt: string | null = null;
    if (roll < 0.15) {
      expiresAt = new Date(NOW - 1_000).toISOString();
    } else if (roll < 0.3) {
      expiresAt = new Date(NOW + 3_600_000).toISOString();
    }
    return {
      username: name,
      application,
      salt,
      hash: hashSecret(salt, secret),
      expiresAt,
    };
  }

  #addApplication(s: AuthzSnapshot): void {
    const taken = new Set(s.applications.map(a => a.name));
    const free = Array.from({ length: 12 }, (_, i) => `app-${i}`).filter(
      n => !taken.has(n),
    );
    if (free.length === 0) return;
    const name = this.#pick(free);
    s.applications.push(this.#application(name));
    for (let k = this.#int(3); k > 0; k--) {
      s.credentials.push(this.#credential(name));
    }
  }

  /** The next version: one to four random changes (or none but the version). */
  next(): AuthzSnapshot {
    const s: AuthzSnapshot = {
      ...this.snapshot,
      version: this.snapshot.version + 1 + this.#int(3),
      generatedAt: new Date(
        Date.parse(this.snapshot.generatedAt) + 1_000,
      ).toISOString(),
      applications: [...this.snapshot.applications],
      credentials: [...this.snapshot.credentials],
    };
    const appAt = () => this.#int(s.applications.length);
    const credentialAt = () => this.#int(s.credentials.length);
    for (let n = this.#int(5); n > 0; n--) {
      const roll = this.random();
      if (roll < 0.12) {
        this.#addApplication(s);
      } else if (roll < 0.22 && s.applications.length > 0) {
        // An application removed, with its credentials.
        const [gone] = s.applications.splice(appAt(), 1);
        s.credentials = s.credentials.filter(c => c.application !== gone.name);
      } else if (roll < 0.34 && s.applications.length > 0) {
        // An approval or revocation: a pattern added or removed.
        const i = appAt();
        const app = s.applications[i];
        const topicWrite = app.topicWrite.map(t => ({ ...t }));
        if (topicWrite.length > 0 && this.random() < 0.5) {
          const t = this.#pick(topicWrite);
          t.routingKeyPatterns =
            this.random() < 0.5 && t.routingKeyPatterns.length > 0
              ? t.routingKeyPatterns.slice(1)
              : [...new Set([...t.routingKeyPatterns, this.#pick(PATTERNS)])];
        } else {
          const exchange = this.#pick(EXCHANGES);
          if (!topicWrite.some(t => t.exchange === exchange)) {
            topicWrite.push({
              exchange,
              routingKeyPatterns: [this.#pick(PATTERNS)],
            });
          }
        }
        s.applications[i] = { ...app, topicWrite };
      } else if (roll < 0.44 && s.applications.length > 0) {
        // An exchange renamed: in write and in topicWrite.
        const i = appAt();
        const app = s.applications[i];
        const from = app.write[0] ?? app.topicWrite[0]?.exchange;
        const to = this.#pick(EXCHANGES);
        if (
          from !== undefined &&
          !app.write.includes(to) &&
          !app.topicWrite.some(t => t.exchange === to)
        ) {
          s.applications[i] = {
            ...app,
            write: app.write.map(e => (e === from ? to : e)),
            topicWrite: app.topicWrite.map(t =>
              t.exchange === from ? { ...t, exchange: to } : t,
            ),
          };
        }
      } else if (roll < 0.52 && s.applications.length > 0) {
        // An application's permissions redrawn.
        const i = appAt();
        s.applications[i] = this.#application(s.applications[i].name);
      } else if (roll < 0.64 && s.applications.length > 0) {
        // A credential issued (the new half of a rotation, whose old half stays a while).
        s.credentials.push(this.#credential(s.applications[appAt()].name));
      } else if (roll < 0.76 && s.credentials.length > 0) {
        // A credential revoked.
        s.credentials.splice(credentialAt(), 1);
      } else if (roll < 0.84 && s.credentials.length > 0) {
        // A credential's secret or expiry changed under the same username.
        const i = credentialAt();
        const c = s.credentials[i];
        s.credentials[i] = this.#credential(c.application, c.username);
      } else if (
        roll < 0.9 &&
        s.credentials.length > 0 &&
        s.applications.length > 0
      ) {
        // A username moved to another application.
        const i = credentialAt();
        s.credentials[i] = {
          ...s.credentials[i],
          application: s.applications[appAt()].name,
        };
      }
      // Otherwise nothing changes but the version.
    }
    return s;
  }
}

describe('AuthzIndex.apply', () => {
  it('answers every decision exactly as a full compile of the snapshot the deltas made', () => {
    let updates = 0;
    let allowed = 0;
    for (const seed of [1, 2, 3, 4, 5]) {
      const policy = new RandomPolicy(seed);
      let held = policy.snapshot;
      let index = AuthzIndex.compile({ snapshot: held });
      for (let step = 1; step <= 25; step++) {
        const next = policy.next();
        const { snapshot, change } = viaDelta(held, next);
        const updated = index.apply({ snapshot, change });
        const compiled = AuthzIndex.compile({ snapshot });
        const where = `seed ${seed}, step ${step}`;

        expect({ where, changes: updated.changesSinceCompile }).toEqual({
          where,
          changes: step,
        });
        const answers = compareAnswers(
          updated,
          compiled,
          policy.usernames,
          policy.secrets,
        );
        expect({ where, differences: answers.differences }).toEqual({
          where,
          differences: [],
        });
        expect({
          where,
          usernames: [...updated.credentials.keys()].sort(),
          reserved: [...updated.ignoredReservedNames].sort(),
          version: updated.version,
          epoch: updated.epoch,
          vhost: updated.vhost,
          generatedAtMs: updated.generatedAtMs,
        }).toEqual({
          where,
          usernames: [...compiled.credentials.keys()].sort(),
          reserved: [...compiled.ignoredReservedNames].sort(),
          version: compiled.version,
          epoch: compiled.epoch,
          vhost: compiled.vhost,
          generatedAtMs: compiled.generatedAtMs,
        });

        // Only what changed was rebuilt: a credential whose entry and application are the
        // same text as before is the very same compiled object.
        const previous = index;
        const before = authzSnapshotEntries(held);
        const after = authzSnapshotEntries(snapshot);
        const rebuilt = [...updated.credentials]
          .filter(([username, credential]) => {
            const entry = after.credentials.get(username)!;
            const application = JSON.parse(entry).application as string;
            return (
              before.credentials.get(username) === entry &&
              before.applications.get(application) ===
                after.applications.get(application) &&
              credential !== previous.credentials.get(username)
            );
          })
          .map(([username]) => username);
        expect({ where, rebuilt }).toEqual({ where, rebuilt: [] });

        updates++;
        allowed += answers.allowed;
        held = snapshot;
        index = updated;
        policy.snapshot = snapshot;
      }
    }
    expect(updates).toBe(125);
    // The grid is not all denials: the comparison covers granted access too.
    expect(allowed).toBeGreaterThan(1_000);
    // A bound for a loaded 2-core machine; the work is a few million in-memory decisions.
  }, 120_000);

  describe('targeted changes', () => {
    const v1 = makeSnapshot(1, { epoch: 'db-1' });
    const index1 = AuthzIndex.compile({ snapshot: v1 });
    const step = (from: AuthzIndex, held: AuthzSnapshot, to: AuthzSnapshot) => {
      const { snapshot, change } = viaDelta(held, to);
      const index = from.apply({ snapshot, change });
      const compiled = AuthzIndex.compile({ snapshot });
      const secrets = new Map([
        ['orders-1', PRODUCER_SECRET],
        ['billing-1', CONSUMER_SECRET],
        ['idle-1', 'idle-secret'],
        ['orders-2', 'orders-second-secret'],
      ]);
      expect(
        compareAnswers(index, compiled, secrets.keys(), secrets).differences,
      ).toEqual([]);
      return { index, snapshot, decider: deciderFor(index) };
    };
    const publishes = (
      d: AuthzDecider,
      key: string,
      exchange = 'brom.orders',
    ) => d.topic('orders-1', VHOST, 'topic', exchange, 'write', key);

    it('removes an application and its credentials, and shares everything else', () => {
      const v2 = makeSnapshot(2, {
        epoch: 'db-1',
        applications: v1.applications.filter(a => a.name !== 'billing'),
        credentials: v1.credentials.filter(c => c.application !== 'billing'),
      });
      const { index, decider } = step(index1, v1, v2);
      expect(decider.user('billing-1', CONSUMER_SECRET)).toBe(false);
      expect(
        decider.resource('billing-1', VHOST, 'queue', 'brom.billing', 'read'),
      ).toBe(false);
      expect(decider.user('orders-1', PRODUCER_SECRET)).toBe(true);
      expect(index.credentials.get('orders-1')).toBe(
        index1.credentials.get('orders-1'),
      );
      expect(index.credentials.get('idle-1')).toBe(
        index1.credentials.get('idle-1'),
      );
      // The index it was made from is untouched and still answers as before.
      expect(deciderFor(index1).user('billing-1', CONSUMER_SECRET)).toBe(true);
    });

    it('revokes a credential, and rotates one with an overlap in which both work', () => {
      const second = {
        username: 'orders-2',
        application: 'orders',
        salt: '0123456789abcdef0123456789abcdef',
        hash: hashSecret(
          '0123456789abcdef0123456789abcdef',
          'orders-second-secret',
        ),
        expiresAt: null,
      };
      const v2 = makeSnapshot(2, {
        epoch: 'db-1',
        credentials: [...v1.credentials, second],
      });
      const overlap = step(index1, v1, v2);
      expect(overlap.decider.user('orders-1', PRODUCER_SECRET)).toBe(true);
      expect(overlap.decider.user('orders-2', 'orders-second-secret')).toBe(
        true,
      );
      expect(
        overlap.decider.resource(
          'orders-2',
          VHOST,
          'exchange',
          'brom.orders',
          'write',
        ),
      ).toBe(true);
      // The new credential's application is the old one's very entry: nothing recompiled.
      expect(overlap.index.credentials.get('orders-2')!.application).toBe(
        index1.credentials.get('orders-1')!.application,
      );

      const v3 = makeSnapshot(3, {
        epoch: 'db-1',
        credentials: v2.credentials.filter(c => c.username !== 'orders-1'),
      });
      const rotated = step(overlap.index, overlap.snapshot, v3);
      expect(rotated.decider.user('orders-1', PRODUCER_SECRET)).toBe(false);
      expect(rotated.decider.vhost('orders-1', VHOST)).toBe(false);
      expect(rotated.decider.user('orders-2', 'orders-second-secret')).toBe(
        true,
      );
      // The overlap's index still lets both in.
      expect(overlap.decider.user('orders-1', PRODUCER_SECRET)).toBe(true);
    });

    it('adds and removes routing-key patterns', () => {
      const withPattern = (patterns: string[]) =>
        v1.applications.map(a =>
          a.name === 'orders'
            ? {
                ...a,
                topicWrite: [
                  { exchange: 'brom.orders', routingKeyPatterns: patterns },
                ],
              }
            : a,
        );
      const v2 = makeSnapshot(2, {
        epoch: 'db-1',
        credentials: v1.credentials,
        applications: withPattern([
          'order.*.created',
          'audit.#',
          'invoice.paid',
        ]),
      });
      const added = step(index1, v1, v2);
      expect(publishes(added.decider, 'invoice.paid')).toBe(true);
      expect(publishes(deciderFor(index1), 'invoice.paid')).toBe(false);
      // The producer's credential now points at its new entry; the others are shared.
      expect(added.index.credentials.get('orders-1')).not.toBe(
        index1.credentials.get('orders-1'),
      );
      expect(added.index.credentials.get('billing-1')).toBe(
        index1.credentials.get('billing-1'),
      );

      const v3 = makeSnapshot(3, {
        epoch: 'db-1',
        credentials: v1.credentials,
        applications: withPattern(['invoice.paid']),
      });
      const removed = step(added.index, added.snapshot, v3);
      expect(publishes(removed.decider, 'order.1.created')).toBe(false);
      expect(publishes(removed.decider, 'audit.x')).toBe(false);
      expect(publishes(removed.decider, 'invoice.paid')).toBe(true);
    });

    it('renames an exchange', () => {
      const v2 = makeSnapshot(2, {
        epoch: 'db-1',
        credentials: v1.credentials,
        applications: v1.applications.map(a =>
          a.name === 'orders'
            ? {
                ...a,
                write: ['brom.orders-v2'],
                topicWrite: [
                  { ...a.topicWrite[0], exchange: 'brom.orders-v2' },
                ],
              }
            : a,
        ),
      });
      const { decider } = step(index1, v1, v2);
      const writes = (exchange: string) =>
        decider.resource('orders-1', VHOST, 'exchange', exchange, 'write');
      expect(writes('brom.orders')).toBe(false);
      expect(writes('brom.orders-v2')).toBe(true);
      expect(publishes(decider, 'order.1.created', 'brom.orders')).toBe(false);
      expect(publishes(decider, 'order.1.created', 'brom.orders-v2')).toBe(
        true,
      );
    });

    it('refuses a change made from another version or epoch', () => {
      const { snapshot, change } = viaDelta(
        v1,
        makeSnapshot(2, { epoch: 'db-1' }),
      );
      expect(() =>
        index1.apply({ snapshot, change: { ...change, from: 0 } }),
      ).toThrow(/does not apply to the index of version 1/);
      expect(() =>
        index1.apply({ snapshot: { ...snapshot, epoch: 'db-2' }, change }),
      ).toThrow(/of epoch db-2 does not apply/);
    });

    it('compiles the snapshot whole once revoked credentials would leave most of the secrets unused', () => {
      const credentials = (generation: number, count: number) =>
        Array.from({ length: count }, (_, i) => ({
          username: `app.g${generation}.${i}`,
          application: 'idle',
          salt: i.toString(16).padStart(32, '0'),
          hash: generation.toString(16).padStart(64, '0'),
          expiresAt: null,
        }));
      const a = makeSnapshot(1, { credentials: credentials(1, 600) });
      // Each rotation replaces all 600: the dead slots pass the 1,024 allowance on the second.
      const b = makeSnapshot(2, { credentials: credentials(2, 600) });
      const c = makeSnapshot(3, { credentials: credentials(3, 600) });
      const first = viaDelta(a, b);
      const once = AuthzIndex.compile({ snapshot: a }).apply(first);
      expect(once.changesSinceCompile).toBe(1);
      const second = viaDelta(first.snapshot, c);
      const twice = once.apply(second);
      expect(twice.changesSinceCompile).toBe(0);
      expect([...twice.credentials.keys()]).toEqual(
        c.credentials.map(x => x.username),
      );
    });
  });

  describe('memory', () => {
    // The gc function, for this test only (Node's flag, then a context that has it).
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;

    async function collected(ref: WeakRef<object>): Promise<boolean> {
      for (let attempt = 0; attempt < 10; attempt++) {
        // A WeakRef's target lives at least until the current job ends.
        await new Promise(resolve => setImmediate(resolve));
        gc();
        if (ref.deref() === undefined) return true;
      }
      return false;
    }

    it('keeps no index it was updated from once the decider has swapped', async () => {
      const policy = new RandomPolicy(7);
      let held = policy.snapshot;
      const decider = deciderFor(AuthzIndex.compile({ snapshot: held }));
      const refs: WeakRef<AuthzIndex>[] = [new WeakRef(decider.index!)];
      for (let i = 0; i < 5; i++) {
        const { snapshot, change } = viaDelta(held, policy.next());
        decider.swap(decider.index!.apply({ snapshot, change }));
        refs.push(new WeakRef(decider.index!));
        held = policy.snapshot = snapshot;
      }
      const served = refs.pop()!;
      for (const ref of refs) {
        expect(await collected(ref)).toBe(true);
      }
      expect(served.deref()).toBe(decider.index);
    });
  });
});

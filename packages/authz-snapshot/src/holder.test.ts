import {
  AuthzSnapshotChange,
  AuthzSnapshotDeltaGapError,
  AuthzSnapshotHolder,
  PreparedAuthzSnapshotDelta,
  applyAuthzSnapshotDeltaWithChange,
} from './delta';
import {
  AuthzApplication,
  AuthzCredential,
  AuthzSnapshot,
  parseAuthzSnapshot,
} from './snapshot';
import { seeded } from './__testUtils__/seeded';

const NAMES = Array.from({ length: 12 }, (_, i) => `app-${i}`);
const USERNAMES = Array.from({ length: 18 }, (_, i) => `user-${i}`);

function makeApplication(
  random: () => number,
  name: unknown,
): Record<string, unknown> {
  const application: AuthzApplication = {
    name: name as string,
    write: random() < 0.5 ? [`brom.${String(name)}`] : [],
    read:
      random() < 0.5
        ? [`brom.${String(name)}.q${Math.floor(random() * 3)}`]
        : [],
    topicWrite:
      random() < 0.6
        ? [
            {
              exchange: `brom.${String(name)}`,
              routingKeyPatterns: [`k${Math.floor(random() * 5)}.*.created`],
            },
          ]
        : [],
  };
  // Now and then an entry a whole snapshot refuses.
  const broken = random();
  if (broken < 0.03) return { ...application, extra: true };
  if (broken < 0.06) return { ...application, write: ['x', 'x'] };
  if (broken < 0.08) {
    return {
      ...application,
      topicWrite: [{ exchange: 'e', routingKeyPatterns: ['a.#.#'] }],
    };
  }
  return application as unknown as Record<string, unknown>;
}

function makeCredential(
  random: () => number,
  username: unknown,
  application: string,
): Record<string, unknown> {
  const hex = (n: number) =>
    Array.from({ length: n }, () =>
      Math.floor(random() * 16).toString(16),
    ).join('');
  const credential: AuthzCredential = {
    username: username as string,
    application,
    salt: hex(32),
    hash: hex(64),
    expiresAt: random() < 0.5 ? null : '2027-01-01T00:00:00.000Z',
  };
  const broken = random();
  if (broken < 0.03) return { ...credential, salt: 'XYZ' };
  if (broken < 0.05) return { ...credential, expiresAt: 'soon' };
  return credential as unknown as Record<string, unknown>;
}

const pick = <T>(random: () => number, items: readonly T[]): T =>
  items[Math.floor(random() * items.length)];

/** A random delta for `held`: mostly valid, sometimes not, sometimes a gap. */
function randomDelta(
  random: () => number,
  held: AuthzSnapshot,
): Record<string, unknown> {
  const names = [...NAMES, ...held.applications.map(a => a.name)];
  const appPut = Array.from({ length: Math.floor(random() * 3) }, () =>
    makeApplication(random, random() < 0.02 ? 42 : pick(random, names)),
  );
  const appRemove = Array.from({ length: Math.floor(random() * 2.3) }, () =>
    random() < 0.03 ? 7 : pick(random, names),
  );
  // Applications of the result a credential may name (or, now and then, one it may not).
  const goneNames = new Set(appRemove);
  const living = [
    ...held.applications.map(a => a.name).filter(n => !goneNames.has(n)),
    ...appPut.map(a => a.name as string),
  ];
  const credPut = Array.from({ length: Math.floor(random() * 3) }, () =>
    makeCredential(
      random,
      random() < 0.02 ? null : pick(random, USERNAMES),
      random() < 0.9 && living.length > 0
        ? pick(random, living)
        : pick(random, NAMES),
    ),
  );
  const credRemove = Array.from({ length: Math.floor(random() * 2.5) }, () =>
    pick(random, USERNAMES),
  );
  // Removing an application usually removes its credentials too, as the portal's deltas do.
  if (random() < 0.8) {
    for (const c of held.credentials) {
      if (goneNames.has(c.application)) credRemove.push(c.username);
    }
  }
  const delta: Record<string, unknown> = {
    format: 1,
    from: held.version,
    version: held.version + 1,
    ...(held.epoch !== undefined ? { epoch: held.epoch } : {}),
    generatedAt: new Date(Date.parse(held.generatedAt) + 1000).toISOString(),
    vhost: held.vhost,
    applications: { put: appPut, remove: appRemove },
    credentials: { put: credPut, remove: credRemove },
  };
  const header = random();
  if (header < 0.02) delta.from = held.version - 1;
  else if (header < 0.03) delta.epoch = 'another';
  else if (header < 0.04) delta.version = -1;
  else if (header < 0.05) delta.generatedAt = 'yesterday';
  else if (header < 0.06) delta.vhost = '';
  else if (header < 0.07) delta.grants = [];
  else if (header < 0.08) delta.credentials = { put: {}, remove: [] };
  else if (header < 0.09) delta.format = 2;
  return delta;
}

type Outcome =
  | { ok: { snapshot: AuthzSnapshot; change: unknown } }
  | { error: { type: string; message: string } };

const byName = (a: { name: string }, b: { name: string }) =>
  a.name < b.name ? -1 : Number(a.name > b.name);
const byUsername = (a: { username: string }, b: { username: string }) =>
  a.username < b.username ? -1 : Number(a.username > b.username);

/** A result with its entries in name order: the holder does not keep the whole path's order. */
function inOrder(result: {
  snapshot: AuthzSnapshot;
  change: AuthzSnapshotChange;
}): { snapshot: AuthzSnapshot; change: AuthzSnapshotChange } {
  const { snapshot, change } = result;
  return {
    snapshot: {
      ...snapshot,
      applications: [...snapshot.applications].sort(byName),
      credentials: [...snapshot.credentials].sort(byUsername),
    },
    change: {
      from: change.from,
      applications: {
        put: [...change.applications.put].sort(byName),
        remove: [...change.applications.remove].sort(),
      },
      credentials: {
        put: [...change.credentials.put].sort(byUsername),
        remove: [...change.credentials.remove].sort(),
      },
    },
  };
}

function outcome(
  run: () => { snapshot: AuthzSnapshot; change: AuthzSnapshotChange },
): Outcome {
  try {
    return { ok: inOrder(run()) };
  } catch (error) {
    const e = error as Error;
    return { error: { type: e.constructor.name, message: e.message } };
  }
}

describe('AuthzSnapshotHolder', () => {
  it.each([1, 2, 3, 4, 5, 6, 7, 8])(
    'gives what the whole path gives over a random delta sequence (seed %i)',
    seed => {
      const random = seeded(seed);
      let held = parseAuthzSnapshot({
        format: 1,
        version: 1,
        ...(seed % 2 === 0 ? { epoch: `db-${seed}` } : {}),
        generatedAt: '2026-12-03T12:00:00.000Z',
        vhost: 'brom',
        applications: NAMES.slice(0, 6).map(n => ({
          name: n,
          write: [],
          read: [],
          topicWrite: [],
        })),
        credentials: USERNAMES.slice(0, 6).map((u, i) => ({
          username: u,
          application: NAMES[i % 3],
          salt: '0'.repeat(32),
          hash: '1'.repeat(64),
          expiresAt: null,
        })),
      });
      const holder = AuthzSnapshotHolder.hold(held);
      const counts = { applied: 0, refused: 0, gaps: 0 };
      // Steps whose result broke a rule the comparison with the whole path does not cover.
      const failures: string[] = [];
      for (let step = 0; step < 400; step++) {
        const current = held;
        const body = randomDelta(random, current);
        // The body goes through JSON, as the feed's does; each path gets its own copy.
        const text = JSON.stringify(body);
        const whole = outcome(() =>
          applyAuthzSnapshotDeltaWithChange(current, JSON.parse(text)),
        );
        let prepared: PreparedAuthzSnapshotDelta | undefined;
        const incremental = outcome(() => {
          prepared = holder.prepare(JSON.parse(text));
          return { snapshot: prepared.snapshot(), change: prepared.change };
        });
        expect(incremental).toEqual(whole);
        expect(holder.snapshot).toBe(current);
        if ('error' in whole) {
          if (whole.error.type === AuthzSnapshotDeltaGapError.name) {
            counts.gaps++;
          } else {
            counts.refused++;
          }
          continue;
        }
        const { change } = prepared!;
        const snapshot = prepared!.snapshot();
        if (
          !change.applications.put.every(e =>
            snapshot.applications.includes(e),
          ) ||
          !change.credentials.put.every(e => snapshot.credentials.includes(e))
        ) {
          failures.push(`step ${step}: a put entry is not the result's`);
        }
        // What the delta made is a valid snapshot on its own.
        const text2 = JSON.stringify(snapshot);
        if (JSON.stringify(parseAuthzSnapshot(JSON.parse(text2))) !== text2) {
          failures.push(`step ${step}: the result is not a valid snapshot`);
        }
        prepared!.commit();
        if (holder.snapshot !== snapshot) {
          failures.push(`step ${step}: the commit did not hold the result`);
        }
        held = snapshot;
        counts.applied++;
      }
      expect(failures).toEqual([]);
      // The sequence exercised all three outcomes.
      expect(counts.applied).toBeGreaterThan(100);
      expect(counts.refused).toBeGreaterThan(20);
      expect(counts.gaps).toBeGreaterThan(0);
    },
  );

  it('commits only the latest prepared delta, and only once', () => {
    const held = parseAuthzSnapshot({
      format: 1,
      version: 3,
      generatedAt: '2026-12-03T12:00:00.000Z',
      vhost: 'brom',
      applications: [{ name: 'a', write: [], read: [], topicWrite: [] }],
      credentials: [],
    });
    const holder = AuthzSnapshotHolder.hold(held);
    const body = (read: string[]) => ({
      format: 1,
      from: 3,
      version: 4,
      generatedAt: '2026-12-03T12:00:01.000Z',
      vhost: 'brom',
      applications: {
        put: [{ name: 'a', write: [], read, topicWrite: [] }],
        remove: [],
      },
      credentials: { put: [], remove: [] },
    });
    const first = holder.prepare(body(['q1']));
    const second = holder.prepare(body(['q2']));
    expect(() => first.commit()).toThrow(/latest prepared/);
    expect(holder.snapshot).toBe(held);
    second.commit();
    expect(holder.snapshot.applications[0].read).toEqual(['q2']);
    expect(() => second.commit()).toThrow(/latest prepared/);
  });
});

import { AuthzState } from '../store/AuthzStateStore';
import { AuthzPolicy } from './AuthzPolicy';

const T0 = Date.parse('2026-12-04T12:00:00.000Z');
const head = (version: number, at = T0) => ({
  version,
  epoch: 'db-1',
  vhost: 'brom',
  prefix: 'brom.',
  now: new Date(at),
});

/** `state` restricted to the applications `ids`, as the store reads it for them. */
function only(state: AuthzState, ids: string[]): AuthzState {
  const keep = new Set(ids);
  return {
    applications: state.applications.filter(a => keep.has(a.id)),
    notificationTypes: state.notificationTypes.filter(t =>
      keep.has(t.applicationId),
    ),
    consumerIds: new Set([...state.consumerIds].filter(id => keep.has(id))),
    credentials: state.credentials.filter(c => keep.has(c.applicationId)),
  };
}

function credential(
  applicationId: string,
  username: string,
  expiresAt: string | null = null,
) {
  return {
    applicationId,
    username,
    salt: '0'.repeat(32),
    hash: 'a'.repeat(64),
    expiresAt,
  };
}

describe('AuthzPolicy', () => {
  it('gives, built from the previous one and the changed applications, the entries of a whole build', () => {
    let seed = 7;
    const below = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    const randomState = (): AuthzState => {
      const applications = Array.from({ length: 12 }, (_, i) => ({
        id: `id-${i}`,
        // Names move between ids: a name one application gave up, another takes.
        name: `app-${(i + below(3)) % 14}`,
      })).filter(
        (a, i, all) =>
          below(5) > 0 && all.findIndex(b => b.name === a.name) === i,
      );
      return {
        applications,
        notificationTypes: applications.flatMap(a =>
          Array.from({ length: below(3) }, (_, k) => ({
            applicationId: a.id,
            routingKeyPattern: `${a.name}.t${k}.*`,
          })),
        ),
        consumerIds: new Set(
          applications.filter(() => below(2)).map(a => a.id),
        ),
        credentials: applications.flatMap(a =>
          Array.from({ length: below(3) }, (_, k) =>
            credential(a.id, `${a.name}.${a.id}.${k}`),
          ),
        ),
      };
    };
    let state = randomState();
    let policy = AuthzPolicy.whole(state, head(1));
    for (let version = 2; version < 60; version++) {
      const next = randomState();
      const changed = [
        ...new Set(
          [...state.applications, ...next.applications].map(a => a.id),
        ),
      ].filter(() => below(4) > 0);
      // Applications not changed keep their state.
      const unchanged = state.applications
        .filter(a => !changed.includes(a.id))
        .map(a => a.id);
      const merged: AuthzState = {
        applications: [
          ...only(state, unchanged).applications,
          ...only(next, changed).applications,
        ],
        notificationTypes: [
          ...only(state, unchanged).notificationTypes,
          ...only(next, changed).notificationTypes,
        ],
        consumerIds: new Set([
          ...only(state, unchanged).consumerIds,
          ...only(next, changed).consumerIds,
        ]),
        credentials: [
          ...only(state, unchanged).credentials,
          ...only(next, changed).credentials,
        ],
      };
      // Names stay unique among live applications, as the portal keeps them.
      const names = merged.applications.map(a => a.name);
      if (new Set(names).size !== names.length) continue;
      policy = policy.changed(changed, only(merged, changed), head(version));
      const whole = AuthzPolicy.whole(merged, head(version));
      expect(policy.entries).toEqual(whole.entries);
      expect(policy.body()).toBe(whole.body());
      state = merged;
    }
  });

  it('shares the entries that did not change, and records which keys a change touched', () => {
    const state: AuthzState = {
      applications: [
        { id: 'a', name: 'orders' },
        { id: 'b', name: 'billing' },
      ],
      notificationTypes: [{ applicationId: 'a', routingKeyPattern: 'order.*' }],
      consumerIds: new Set(['b']),
      credentials: [credential('a', 'orders.1'), credential('b', 'billing.1')],
    };
    const first = AuthzPolicy.whole(state, head(1));
    expect(first.changes).toBeUndefined();
    const second = first.changed(['a'], only(state, ['a']), head(2));
    expect(second.entries.version).toBe(2);
    // The maps are layered: the new version holds the change beside the shared base.
    expect(second.entries.applications.layerSize).toBe(1);
    expect(second.entries.credentials.layerSize).toBe(1);
    expect(second.entries.applications.get('billing')).toBe(
      first.entries.applications.get('billing'),
    );
    expect(second.changes).toEqual({
      from: 1,
      keys: {
        applications: new Set(['orders']),
        credentials: new Set(['orders.1']),
      },
    });
    const third = second.changed([], only(state, []), head(3));
    expect([...third.entries.applications]).toEqual([
      ...second.entries.applications,
    ]);
    expect(third.entries.applications.layerSize).toBe(1);
    expect(third.changes).toEqual({
      from: 2,
      keys: { applications: new Set(), credentials: new Set() },
    });
    expect(third.entries.version).toBe(3);
    expect(JSON.parse(third.body()).version).toBe(3);
  });

  it('names the applications whose credentials expired, which a whole build leaves out', () => {
    const expiry = new Date(T0 + 60_000).toISOString();
    const state: AuthzState = {
      applications: [
        { id: 'a', name: 'orders' },
        { id: 'b', name: 'billing' },
      ],
      notificationTypes: [],
      consumerIds: new Set(),
      credentials: [
        credential('a', 'orders.1', expiry),
        credential('b', 'billing.1'),
      ],
    };
    const policy = AuthzPolicy.whole(state, head(1));
    expect(policy.expiredBy(new Date(T0 + 59_999))).toEqual([]);
    expect(policy.expiredBy(new Date(T0 + 60_000))).toEqual(['a']);
    // Rebuilt at that time, the application's entries are read without the expired one.
    const later = policy.changed(
      ['a'],
      only({ ...state, credentials: [state.credentials[1]] }, ['a']),
      head(2, T0 + 60_000),
    );
    expect([...later.entries.credentials.keys()]).toEqual(['billing.1']);
    expect(later.expiredBy(new Date(T0 + 120_000))).toEqual([]);
  });
});

import {
  AuthzSnapshotDeltaGapError,
  applyAuthzSnapshotDelta,
  applyAuthzSnapshotDeltaWithChange,
  authzSnapshotBody,
  authzSnapshotDeltaBody,
  authzSnapshotEntries,
  isAuthzSnapshotDelta,
} from './delta';
import {
  AuthzSnapshot,
  AuthzSnapshotError,
  parseAuthzSnapshot,
} from './snapshot';

function snapshot(
  version: number,
  change: Partial<AuthzSnapshot> = {},
): AuthzSnapshot {
  return {
    format: 1,
    version,
    epoch: 'db-1',
    generatedAt: '2026-12-03T12:00:00.000Z',
    vhost: 'brom',
    credentials: [
      {
        username: 'orders-1',
        application: 'orders',
        salt: '00112233445566778899aabbccddeeff',
        hash: 'a'.repeat(64),
        expiresAt: null,
      },
      {
        username: 'billing-1',
        application: 'billing',
        salt: 'ffeeddccbbaa99887766554433221100',
        hash: 'b'.repeat(64),
        expiresAt: null,
      },
    ],
    applications: [
      {
        name: 'orders',
        write: ['brom.orders'],
        read: [],
        topicWrite: [
          { exchange: 'brom.orders', routingKeyPatterns: ['order.*.created'] },
        ],
      },
      {
        name: 'billing',
        write: [],
        read: ['brom.billing', 'brom.billing.dlq'],
        topicWrite: [],
      },
    ],
    ...change,
  };
}

const delta = (from: AuthzSnapshot, to: AuthzSnapshot) =>
  JSON.parse(
    authzSnapshotDeltaBody(authzSnapshotEntries(from), {
      snapshot: to,
      entries: authzSnapshotEntries(to),
    }),
  );

describe('snapshot deltas', () => {
  it('carries only what changed, and applied to the older snapshot gives the newer one', () => {
    const from = snapshot(7);
    const to = snapshot(9, {
      generatedAt: '2026-12-03T12:00:05.000Z',
      credentials: [from.credentials[0]],
      applications: [
        {
          ...from.applications[0],
          topicWrite: [
            {
              exchange: 'brom.orders',
              routingKeyPatterns: ['order.*.created', 'order.#'],
            },
          ],
        },
        from.applications[1],
        { name: 'audit', write: [], read: ['brom.audit'], topicWrite: [] },
      ],
    });
    const body = delta(from, to);
    expect(isAuthzSnapshotDelta(body)).toBe(true);
    expect(isAuthzSnapshotDelta(to)).toBe(false);
    expect(body).toMatchObject({
      from: 7,
      version: 9,
      applications: {
        put: [to.applications[0], to.applications[2]],
        remove: [],
      },
      credentials: { put: [], remove: ['billing-1'] },
    });
    const applied = applyAuthzSnapshotDelta(from, body);
    expect(applied).toEqual(to);
    expect(from).toEqual(snapshot(7));
  });

  it('says what a delta changed, with the entries of the validated snapshot it made', () => {
    const from = snapshot(7);
    const added = {
      name: 'audit',
      write: [],
      read: ['brom.audit'],
      topicWrite: [],
    };
    const body = {
      ...delta(from, snapshot(8)),
      applications: {
        // billing is removed and put again (a put wins), audit is new, ghost was never held.
        put: [{ ...from.applications[1], read: ['brom.billing'] }, added],
        remove: ['billing', 'ghost'],
      },
      credentials: { put: [], remove: ['orders-1'] },
    };
    const { snapshot: made, change } = applyAuthzSnapshotDeltaWithChange(
      from,
      body,
    );
    expect(made).toEqual(applyAuthzSnapshotDelta(from, body));
    expect(change).toEqual({
      from: 7,
      applications: {
        put: [{ ...from.applications[1], read: ['brom.billing'] }, added],
        remove: [],
      },
      credentials: { put: [], remove: ['orders-1'] },
    });
    for (const entry of change.applications.put) {
      expect(made.applications).toContain(entry);
      expect(body.applications.put).not.toContain(entry);
    }
  });

  it('refuses a delta for another version or epoch as a gap', () => {
    const body = delta(snapshot(7), snapshot(8));
    expect(() => applyAuthzSnapshotDelta(snapshot(6), body)).toThrow(
      AuthzSnapshotDeltaGapError,
    );
    expect(() =>
      applyAuthzSnapshotDelta(snapshot(7, { epoch: 'db-2' }), body),
    ).toThrow(AuthzSnapshotDeltaGapError);
  });

  it('refuses a delta whose result would not be a valid snapshot', () => {
    const from = snapshot(7);
    const orphan = {
      ...delta(from, snapshot(8)),
      applications: { put: [], remove: ['billing'] },
    };
    expect(() => applyAuthzSnapshotDelta(from, orphan)).toThrow(
      /names no application/,
    );
    const unknown = { ...delta(from, snapshot(8)), grants: [] };
    expect(() => applyAuthzSnapshotDelta(from, unknown)).toThrow(
      AuthzSnapshotError,
    );
    const malformed = { ...delta(from, snapshot(8)), credentials: { put: {} } };
    expect(() => applyAuthzSnapshotDelta(from, malformed)).toThrow(
      AuthzSnapshotError,
    );
  });

  it('writes the whole snapshot from its entries, in one order however they were gathered', () => {
    const whole = snapshot(7);
    const { applications, credentials, ...head } = whole;
    const body = authzSnapshotBody(head, authzSnapshotEntries(whole));
    const reversed = authzSnapshotBody(
      head,
      authzSnapshotEntries({
        ...whole,
        applications: [...applications].reverse(),
        credentials: [...credentials].reverse(),
      }),
    );
    expect(reversed).toBe(body);
    expect(parseAuthzSnapshot(JSON.parse(body))).toEqual({
      ...whole,
      applications: [applications[1], applications[0]],
      credentials: [credentials[1], credentials[0]],
    });
    const { epoch, ...withoutEpoch } = head;
    expect(
      JSON.parse(authzSnapshotBody(withoutEpoch, authzSnapshotEntries(whole))),
    ).not.toHaveProperty('epoch');
  });
});

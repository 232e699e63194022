import {
  AuthzSnapshotHolder,
  authzSnapshotDeltaBody,
  authzSnapshotEntries,
  parseAuthzSnapshot,
} from '@internal/brom-authz-snapshot';
import { makeSnapshot } from './__testUtils__/fixtures';
import { SnapshotSerialiser } from './snapshotBytes';

describe('SnapshotSerialiser', () => {
  it('writes what JSON.stringify writes, reusing the text of the entries a delta kept', () => {
    const serialiser = new SnapshotSerialiser();
    const first = parseAuthzSnapshot({ ...makeSnapshot(1), epoch: 'db-1' });
    const holder = AuthzSnapshotHolder.hold(first);
    expect(serialiser.bytes(first).toString('utf8')).toBe(
      JSON.stringify(first),
    );
    let previous = first;
    for (let version = 2; version <= 6; version++) {
      const next = {
        ...previous,
        version,
        applications: previous.applications.map((a, i) =>
          i === version % previous.applications.length
            ? { ...a, read: [...a.read, `brom.extra-${version}`] }
            : a,
        ),
        credentials: previous.credentials.filter(
          (_, i) => version !== 4 || i !== 0,
        ),
      };
      const prepared = holder.prepare(
        JSON.parse(
          authzSnapshotDeltaBody(authzSnapshotEntries(previous), {
            snapshot: next,
            entries: authzSnapshotEntries(next),
          }),
        ),
      );
      prepared.commit();
      const text = serialiser.bytes(prepared.snapshot).toString('utf8');
      expect(text).toBe(JSON.stringify(prepared.snapshot));
      expect(parseAuthzSnapshot(JSON.parse(text))).toEqual(next);
      previous = prepared.snapshot;
    }
  });

  it('writes a snapshot without an epoch, or with its properties in another order, as JSON.stringify does', () => {
    const serialiser = new SnapshotSerialiser();
    const plain = parseAuthzSnapshot(makeSnapshot(3));
    expect(serialiser.bytes(plain).toString('utf8')).toBe(
      JSON.stringify(plain),
    );
    const { applications, ...rest } = plain;
    const reordered = { applications, ...rest };
    expect(serialiser.bytes(reordered).toString('utf8')).toBe(
      JSON.stringify(reordered),
    );
  });
});

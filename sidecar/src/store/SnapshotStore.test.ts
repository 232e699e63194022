import { promises as fs } from 'node:fs';
import {
  AuthzSnapshot,
  authzSnapshotDeltaBody,
  authzSnapshotEntries,
} from '@internal/brom-authz-snapshot';
import {
  makeSnapshot,
  memoryLogger,
  temporaryDirectory,
} from '../__testUtils__/fixtures';
import { SnapshotStore, journalPath } from './SnapshotStore';

const bytes = (value: unknown) => Buffer.from(JSON.stringify(value));

function delta(from: AuthzSnapshot, to: AuthzSnapshot): Buffer {
  return Buffer.from(
    authzSnapshotDeltaBody(authzSnapshotEntries(from), {
      snapshot: to,
      entries: authzSnapshotEntries(to),
    }),
  );
}

/** Versions 1–4 of one epoch: each drops or adds an entry. */
function versions(epoch = 'db-1'): AuthzSnapshot[] {
  const v1 = makeSnapshot(1, { epoch });
  const v2 = makeSnapshot(2, {
    epoch,
    credentials: v1.credentials.filter(c => c.username !== 'orders-1'),
  });
  const v3 = makeSnapshot(3, {
    epoch,
    credentials: v2.credentials,
    applications: [
      ...v2.applications,
      { name: 'audit', write: [], read: ['brom.audit'], topicWrite: [] },
    ],
  });
  const v4 = makeSnapshot(4, { ...v3, version: 4 });
  return [v1, v2, v3, v4];
}

describe('SnapshotStore', () => {
  let dir: { path: string; remove: () => Promise<void> };
  let path: string;

  beforeEach(async () => {
    dir = await temporaryDirectory();
    path = `${dir.path}/state/snapshot.json`;
  });

  afterEach(async () => {
    await dir.remove();
  });

  const open = () => {
    const { logger, lines } = memoryLogger();
    const store = SnapshotStore.create({ path, logger });
    const warnings = () =>
      lines
        .map(l => JSON.parse(l))
        .filter(l => l.level === 'warn' || l.level === 'error');
    return { store, warnings };
  };

  it('loads the whole copy with the deltas appended after it, each file readable by the owner only', async () => {
    const [v1, v2, v3] = versions();
    const { store, warnings } = open();
    await store.checkWritable();
    await store.write(bytes(v1));
    await store.append(delta(v1, v2));
    await store.append(delta(v2, v3));
    expect(await store.load()).toEqual({ snapshot: v3, journalDeltas: 2 });
    for (const file of [path, journalPath(path)]) {
      expect((await fs.stat(file)).mode & 0o777).toBe(0o600);
    }
    // A whole write empties the journal.
    await store.write(bytes(v3));
    expect(await fs.readFile(journalPath(path), 'utf8')).toBe('');
    expect(await store.load()).toEqual({ snapshot: v3, journalDeltas: 0 });
    expect(warnings()).toEqual([]);
  });

  it('ignores a last line cut short, and the rest of the journal after a line that does not apply', async () => {
    const [v1, v2, v3, v4] = versions();
    const { store, warnings } = open();
    await store.write(bytes(v1));
    await store.append(delta(v1, v2));
    await fs.appendFile(journalPath(path), delta(v2, v3).subarray(0, 40));
    expect(await store.load()).toEqual({ snapshot: v2, journalDeltas: 1 });
    expect(warnings()).toMatchObject([
      {
        msg: 'Ignoring the rest of the snapshot journal',
        applied: 1,
        reason: 'line 2 is cut short',
      },
    ]);

    // A line for another version (a gap), then one that would apply: both ignored.
    const second = open();
    await second.store.write(bytes(v1));
    await second.store.append(delta(v1, v2));
    await second.store.append(delta(v3, v4));
    await second.store.append(delta(v2, v3));
    expect(await second.store.load()).toEqual({
      snapshot: v2,
      journalDeltas: 1,
    });
    expect(second.warnings()).toMatchObject([
      { applied: 1, reason: expect.stringMatching(/^line 2: delta from/) },
    ]);

    // A refused delta (a credential naming no application) ends the journal too.
    const third = open();
    await third.store.write(bytes(v1));
    const bad = JSON.parse(delta(v1, v2).toString('utf8'));
    bad.credentials.put = [{ ...v1.credentials[0], application: 'ghost' }];
    await third.store.append(bytes(bad));
    expect(await third.store.load()).toEqual({
      snapshot: v1,
      journalDeltas: 0,
    });
    expect(third.warnings()).toMatchObject([
      { applied: 0, reason: expect.stringMatching(/^line 1: .*application/) },
    ]);
  });

  it('skips lines of versions the whole copy holds (a crash between its rename and emptying the journal), and lines of another epoch', async () => {
    const [v1, v2, v3, v4] = versions();
    const { store, warnings } = open();
    await store.write(bytes(v1));
    await store.append(delta(v1, v2));
    await store.append(delta(v2, v3));
    // The new whole copy is in place; the journal was not emptied.
    await fs.writeFile(path, bytes(v3));
    expect(await store.load()).toEqual({ snapshot: v3, journalDeltas: 0 });
    // Lines after the skipped ones still apply when they follow on.
    await fs.appendFile(
      journalPath(path),
      Buffer.concat([delta(v3, v4), Buffer.from('\n')]),
    );
    expect(await store.load()).toEqual({ snapshot: v4, journalDeltas: 1 });
    expect(warnings()).toEqual([]);

    // A whole copy of a new epoch with a journal of the old one: the whole copy alone.
    const [n1] = versions('db-2');
    await fs.writeFile(path, bytes(n1));
    const other = open();
    expect(await other.store.load()).toEqual({
      snapshot: n1,
      journalDeltas: 0,
    });
    expect(other.warnings()).toMatchObject([
      { reason: expect.stringMatching(/^line 1: .*epoch/) },
    ]);
  });

  it('never creates a journal by appending: only a whole write starts one', async () => {
    const [v1, v2] = versions();
    const { store } = open();
    await store.checkWritable();
    await expect(store.append(delta(v1, v2))).rejects.toThrow(/ENOENT/);
    await expect(fs.readdir(`${dir.path}/state`)).resolves.toEqual([]);
  });
});

import { promises as fs } from 'node:fs';
import { SidecarHandle, startSidecar } from '../main';
import { Backoff } from '../feed/backoff';
import { FakePortal } from '../__testUtils__/FakePortal';
import { ManualTimers } from '../__testUtils__/ManualTimers';
import {
  PRODUCER_SECRET,
  askPost,
  makeSnapshot,
  memoryLogger,
  rawRequest,
  temporaryDirectory,
  testConfig,
  waitFor,
} from '../__testUtils__/fixtures';
import { SidecarMetrics } from '../metrics';
import { MIN_JOURNAL_BYTES, SnapshotSaver } from './SnapshotSaver';
import { SnapshotStore, SnapshotStoreError } from './SnapshotStore';

// Real sockets, a real portal and a real file system; waitFor's own bounds name what did not
// happen.
jest.setTimeout(30_000);

/** The feed's backoff: a millisecond, so a test never waits on it. */
const SHORT: Backoff = { delayMs: () => 1 };
/** The save retries' backoff: 1 s, 2 s, 4 s, …; the fake clock decides when they fire. */
const DOUBLING: Backoff = { delayMs: attempt => 1000 * 2 ** (attempt - 1) };

async function producerAllowed(sidecar: SidecarHandle): Promise<boolean> {
  return (
    (await askPost(sidecar.authPort, 'user', {
      username: 'orders-1',
      password: PRODUCER_SECRET,
    })) === 'allow'
  );
}

async function metric(sidecar: SidecarHandle, name: string): Promise<number> {
  const text = (
    await rawRequest({ port: sidecar.adminPort, path: '/metrics' })
  ).body.toString('utf8');
  const line = text.split('\n').find(l => l.startsWith(`${name} `));
  return Number(line?.split(' ')[1]);
}

async function readyz(
  sidecar: SidecarHandle,
): Promise<{ status: number; body: any }> {
  const response = await rawRequest({
    port: sidecar.adminPort,
    path: '/readyz',
  });
  return {
    status: response.status,
    body: JSON.parse(response.body.toString('utf8')),
  };
}

function messages(lines: string[], msg: string): any[] {
  return lines.map(l => JSON.parse(l)).filter(l => l.msg === msg);
}

const WRITE_FAILED =
  'Cannot write snapshot to disk; serving it from memory, not naming it to the portal until a write succeeds';

/**
 * A saver over a store in memory that records its writes and appends (`write <bytes>`,
 * `append <bytes>`); `failAppends(true)` makes appends fail.
 */
function memorySaver(saved?: { version: number; epoch: string }) {
  const calls: string[] = [];
  let failing = false;
  const store = {
    path: '/memory',
    write: async (bytes: Uint8Array) => {
      calls.push(`write ${Buffer.from(bytes).toString('utf8')}`);
    },
    append: async (bytes: Uint8Array) => {
      if (failing) throw new Error('disk full');
      calls.push(`append ${Buffer.from(bytes).toString('utf8')}`);
    },
  } as unknown as SnapshotStore;
  const saver = SnapshotSaver.create({
    store,
    backoff: DOUBLING,
    timers: new ManualTimers(),
    logger: memoryLogger().logger,
    metrics: SidecarMetrics.create(),
    now: () => 0,
    saved,
  });
  return {
    calls,
    saver,
    failAppends: (fail: boolean) => {
      failing = fail;
    },
  };
}

describe('the disk copy and what the portal is told', () => {
  let dir: { path: string; remove: () => Promise<void> };
  let portal: FakePortal | undefined;
  let sidecar: SidecarHandle | undefined;
  let stateDir: string;
  let snapshotPath: string;

  beforeEach(async () => {
    dir = await temporaryDirectory();
    stateDir = `${dir.path}/state`;
    snapshotPath = `${stateDir}/snapshot.json`;
  });

  afterEach(async () => {
    await sidecar?.stop({ drainMs: 0 });
    await portal?.close();
    sidecar = undefined;
    portal = undefined;
    await dir.remove();
  });

  /**
   * Makes every write fail as it would on a broken volume, even for root (which ignores
   * permission bits): the snapshot's directory becomes a regular file (ENOTDIR/EEXIST).
   */
  async function breakDisk() {
    await fs.rm(stateDir, { recursive: true, force: true });
    await fs.writeFile(`${stateDir}`, 'not a directory');
  }

  async function repairDisk() {
    await fs.rm(stateDir, { force: true });
  }

  it('serves a snapshot it cannot write, names only the version on disk to the portal, retries with backoff and names the new version once a write succeeds', async () => {
    portal = await FakePortal.start({ holdMs: 60_000 });
    const v1 = makeSnapshot(1);
    portal.publish(v1);
    const saveTimers = new ManualTimers();
    const { logger, lines } = memoryLogger();
    sidecar = await startSidecar(
      testConfig({ portalUrls: [portal.url], snapshotPath }),
      { logger, backoff: SHORT, saveTimers, saveBackoff: DOUBLING },
    );
    await waitFor(() => sidecar!.savedVersion === 1, 'version 1 on disk');
    await waitFor(
      () => portal!.polls.find(p => p.ifNoneMatch === '"1"'),
      'a poll naming "1"',
    );
    expect(await producerAllowed(sidecar)).toBe(true);

    await breakDisk();
    // Version 2 revokes the producer.
    portal.publish(
      makeSnapshot(2, {
        credentials: v1.credentials.filter(c => c.username !== 'orders-1'),
      }),
    );
    await waitFor(() => saveTimers.pending === 1, 'a scheduled retry');
    // Served from memory (the more correct snapshot), but not named to the portal.
    expect(sidecar.version).toBe(2);
    expect(sidecar.savedVersion).toBe(1);
    expect(await producerAllowed(sidecar)).toBe(false);
    expect(portal.polls.filter(p => p.ifNoneMatch === '"2"')).toEqual([]);
    const failing = await readyz(sidecar);
    // Readiness is about answering the broker correctly, which it does.
    expect(failing.status).toBe(200);
    expect(failing.body).toMatchObject({
      ready: true,
      snapshot: { version: 2, source: 'feed' },
      disk: {
        savedVersion: 1,
        failure: { version: 2, attempts: 1 },
      },
    });
    expect(failing.body.disk.failure.error).toMatch(/ENOTDIR|EEXIST/);
    expect(await metric(sidecar, 'brom_sidecar_snapshot_unsaved')).toBe(1);
    expect(await metric(sidecar, 'brom_sidecar_snapshot_saved_version')).toBe(
      1,
    );
    expect(
      await metric(sidecar, 'brom_sidecar_snapshot_save_failures_total'),
    ).toBe(1);
    expect(messages(lines, WRITE_FAILED)).toMatchObject([
      { version: 2, savedVersion: 1, retryInMs: 1000 },
    ]);

    // A newer snapshot comes while the disk is still broken: the retry of version 2 fails, the
    // poll it lets through (naming "1") brings version 3, whose write is tried at once.
    const pollsBefore = portal.polls.length;
    portal.publish(makeSnapshot(3));
    saveTimers.fireNext();
    await waitFor(() => sidecar!.version === 3, 'version 3 served');
    await waitFor(
      () => saveTimers.pending === 1 && saveTimers.requested.length === 3,
      'the next retry scheduled',
    );
    expect(
      portal.polls.slice(pollsBefore).map(p => [p.ifNoneMatch, p.delta]),
    ).toEqual([['"1"', undefined]]);
    expect(await producerAllowed(sidecar)).toBe(true);
    expect(sidecar.savedVersion).toBe(1);
    expect((await readyz(sidecar)).body.disk).toMatchObject({
      savedVersion: 1,
      failure: { version: 3 },
    });
    expect(
      await metric(sidecar, 'brom_sidecar_snapshot_save_failures_total'),
    ).toBe(3);
    // Logged once per streak; the retries' own failures are debug lines.
    expect(messages(lines, WRITE_FAILED)).toHaveLength(1);
    // 1 s, then 2 s after the retry failed, then 4 s after version 3's first write failed
    // (tried at once, cancelling the 2 s wait).
    expect(saveTimers.requested).toEqual([1000, 2000, 4000]);

    // The disk recovers: the retry writes version 3, and only then is it named to the portal.
    await repairDisk();
    const beforeRepair = portal.polls.length;
    saveTimers.fireNext();
    await waitFor(() => sidecar!.savedVersion === 3, 'version 3 on disk');
    await waitFor(
      () => portal!.polls.find(p => p.ifNoneMatch === '"3"'),
      'a poll naming "3"',
    );
    expect(portal.polls.slice(beforeRepair)[0].ifNoneMatch).toBe('"3"');
    expect(JSON.parse(await fs.readFile(snapshotPath, 'utf8')).version).toBe(3);
    const recovered = await readyz(sidecar);
    expect(recovered.body.disk).toEqual({ savedVersion: 3 });
    expect(await metric(sidecar, 'brom_sidecar_snapshot_unsaved')).toBe(0);
    expect(await metric(sidecar, 'brom_sidecar_snapshot_saved_version')).toBe(
      3,
    );
    expect(
      messages(lines, 'Snapshot written to disk after failed writes'),
    ).toMatchObject([{ version: 3, failedWrites: 3 }]);
    expect(saveTimers.pending).toBe(0);
  });

  it('with no disk copy and a failing write, names no version at all, and stops without waiting for a retry', async () => {
    // Nothing published yet: the first poll is held until the disk is broken.
    portal = await FakePortal.start({ holdMs: 60_000 });
    const saveTimers = new ManualTimers();
    const { logger, lines } = memoryLogger();
    sidecar = await startSidecar(
      testConfig({ portalUrls: [portal.url], snapshotPath }),
      { logger, backoff: SHORT, saveTimers, saveBackoff: DOUBLING },
    );
    // Breaks after the startup check, before the first snapshot is written.
    await breakDisk();
    portal.publish(makeSnapshot(1));
    await waitFor(() => saveTimers.pending === 1, 'a scheduled retry');
    expect(sidecar.version).toBe(1);
    expect(sidecar.savedVersion).toBeUndefined();
    expect(await producerAllowed(sidecar)).toBe(true);
    saveTimers.fireNext();
    await waitFor(() => portal!.polls.length === 2, 'the poll after a retry');
    expect(portal.polls.map(p => p.ifNoneMatch)).toEqual([
      undefined,
      undefined,
    ]);
    await waitFor(() => saveTimers.pending === 1, 'the next retry');

    await sidecar.stop({ drainMs: 0 });
    sidecar = undefined;
    expect(saveTimers.pending).toBe(0);
    expect(
      messages(lines, 'Stopping with the served snapshot not on disk'),
    ).toMatchObject([{ version: 1, savedVersion: null }]);
  });

  it('refuses to start when the directory of the disk copy cannot be written', async () => {
    const blocker = `${dir.path}/blocker`;
    await fs.writeFile(blocker, 'a file where a directory should be');
    const started = startSidecar(
      testConfig({ snapshotPath: `${blocker}/state/snapshot.json` }),
      { logger: memoryLogger().logger },
    );
    await expect(started).rejects.toBeInstanceOf(SnapshotStoreError);
    await expect(started).rejects.toThrow(
      `The snapshot directory ${blocker}/state is not writable`,
    );
    // The probe leaves nothing behind in a directory it could write.
    await fs.mkdir(stateDir);
    sidecar = await startSidecar(testConfig({ snapshotPath }), {
      logger: memoryLogger().logger,
    });
    expect(await fs.readdir(stateDir)).toEqual([]);
  });

  it("serialises a delta's result when its write starts, not in the call that installed it, and never one a newer replaced", async () => {
    const { calls, saver } = memorySaver();
    const serialised: number[] = [];
    // Deltas with no journal to take them (this saver has written nothing yet): each is
    // written whole, serialised only when its write starts.
    const lazily = (version: number) => ({
      from: { version: version - 1, epoch: 'db-1' },
      delta: Buffer.from(`d${version}`),
      whole: () => {
        serialised.push(version);
        return Buffer.from(`{"version":${version}}`);
      },
    });
    const first = saver.save(lazily(1), { version: 1, epoch: 'db-1' });
    expect(serialised).toEqual([]);
    // Installed before the first was serialised: the first never is.
    const second = saver.save(lazily(2), { version: 2, epoch: 'db-1' });
    await Promise.all([first, second]);
    expect(serialised).toEqual([2]);
    expect(calls).toEqual(['write {"version":2}']);
    expect(saver.saved).toEqual({ version: 2, epoch: 'db-1' });

    // Bytes as they came are written as they are.
    await saver.save(Buffer.from('{"version":3}'), {
      version: 3,
      epoch: 'db-1',
    });
    expect(calls).toEqual(['write {"version":2}', 'write {"version":3}']);
  });

  it('appends a delta to the journal when it ends at the version the delta applies to, and otherwise writes the whole snapshot', async () => {
    // A copy an earlier process left: its journal is not this saver's to append to.
    const { calls, saver, failAppends } = memorySaver({
      version: 1,
      epoch: 'db-1',
    });
    const id = (version: number, epoch = 'db-1') => ({ version, epoch });
    const deltaTo = (version: number, size = 10, epoch = 'db-1') => ({
      from: id(version - 1, epoch),
      delta: Buffer.from(`d${version}`.padEnd(size, '.')),
      whole: () => Buffer.from(`w${version}`),
    });

    await saver.save(deltaTo(2), id(2));
    await saver.save(deltaTo(3), id(3));
    await saver.save(deltaTo(4), id(4));
    expect(calls.splice(0)).toEqual([
      'write w2',
      'append d3........',
      'append d4........',
    ]);
    expect(saver.saved).toEqual(id(4));
    expect(saver.journalEnd).toEqual(id(4));

    // Not from the journal's end (another epoch, or a version skipped): whole.
    await saver.save(deltaTo(6), id(6));
    await saver.save(deltaTo(7, 10, 'db-2'), id(7, 'db-2'));
    await saver.save(deltaTo(8, 10, 'db-2'), id(8, 'db-2'));
    expect(calls.splice(0)).toEqual([
      'write w6',
      'write w7',
      'append d8........',
    ]);

    // The journal holds a quarter of the whole copy, and at least MIN_JOURNAL_BYTES.
    const big = MIN_JOURNAL_BYTES / 2;
    await saver.save(deltaTo(9, big, 'db-2'), id(9, 'db-2'));
    await saver.save(deltaTo(10, big, 'db-2'), id(10, 'db-2'));
    expect(calls.map(c => c.slice(0, 10))).toEqual(['append d9.', 'write w10']);
    calls.length = 0;

    // A failed append leaves a journal that may end in half a line: the retry is whole.
    failAppends(true);
    await saver.save(deltaTo(11, 10, 'db-2'), id(11, 'db-2'));
    expect(saver.saved).toEqual(id(10, 'db-2'));
    expect(saver.journalEnd).toBeUndefined();
    failAppends(false);
    await saver.save(deltaTo(12, 10, 'db-2'), id(12, 'db-2'));
    expect(calls).toEqual(['write w12']);
    expect(saver.saved).toEqual(id(12, 'db-2'));
  });
});

import { promises as fs } from 'node:fs';
import { createServer } from 'node:http';
import { AddressInfo } from 'node:net';
import {
  AUTHZ_SNAPSHOT_HTTP,
  AuthzSnapshot,
  authzSnapshotDeltaBody,
  authzSnapshotEntries,
} from '@internal/brom-authz-snapshot';
import { SidecarHandle, startSidecar } from '../main';
import { CONFIG_DEFAULTS } from '../config';
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
import { Backoff, exponentialBackoff } from './backoff';
import { SnapshotFeed } from './SnapshotFeed';
import { SidecarMetrics } from '../metrics';
import { SnapshotStore } from '../store/SnapshotStore';
import type { SnapshotBytes } from '../store/SnapshotSaver';

// Real sockets and a real portal: allow a loaded CI machine more than Jest's 5 s; waitFor's own
// bounds name what did not happen.
jest.setTimeout(30_000);

/** A port nothing listens on: connections to it are refused at once. */
async function closedPortUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>(resolve => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}

/** Records every backoff it is asked for and waits only a millisecond. */
function recordingBackoff(): Backoff & { attempts: number[] } {
  const attempts: number[] = [];
  return {
    attempts,
    delayMs(attempt: number) {
      attempts.push(attempt);
      return 1;
    },
  };
}

async function producerAllowed(sidecar: SidecarHandle): Promise<boolean> {
  return (
    (await askPost(sidecar.authPort, 'user', {
      username: 'orders-1',
      password: PRODUCER_SECRET,
    })) === 'allow'
  );
}

async function metricsText(sidecar: SidecarHandle): Promise<string> {
  return (
    await rawRequest({ port: sidecar.adminPort, path: '/metrics' })
  ).body.toString('utf8');
}

async function feedErrors(
  sidecar: SidecarHandle,
  reason: string,
): Promise<number> {
  const line = (await metricsText(sidecar))
    .split('\n')
    .find(l =>
      l.startsWith(`brom_sidecar_feed_errors_total{reason="${reason}"} `),
    );
  return Number(line?.split(' ')[1]);
}

/** The whole snapshot's bytes for the disk, and a delta's line and its parsed body. */
function diskBytes(bytes: SnapshotBytes): {
  whole: Uint8Array;
  delta?: { bytes: Uint8Array; body: object };
} {
  if (bytes instanceof Uint8Array) return { whole: bytes };
  return {
    whole: bytes.whole(),
    delta: {
      bytes: bytes.delta,
      body: JSON.parse(Buffer.from(bytes.delta).toString('utf8')),
    },
  };
}

describe('snapshot feed', () => {
  let dir: { path: string; remove: () => Promise<void> };
  let portal: FakePortal | undefined;
  let sidecar: SidecarHandle | undefined;
  let snapshotPath: string;

  beforeEach(async () => {
    dir = await temporaryDirectory();
    snapshotPath = `${dir.path}/state/snapshot.json`;
  });

  afterEach(async () => {
    await sidecar?.stop({ drainMs: 0 });
    await portal?.close();
    sidecar = undefined;
    portal = undefined;
    await dir.remove();
  });

  it('long-polls with the service token, instance id and held version, and swaps in news', async () => {
    portal = await FakePortal.start({ holdMs: 60_000 });
    portal.publish(makeSnapshot(1));
    const { logger, lines } = memoryLogger();
    sidecar = await startSidecar(
      testConfig({
        portalUrls: [portal.url],
        snapshotPath,
        instanceId: 'node-a',
        waitSeconds: 25,
      }),
      { logger },
    );
    await waitFor(() => sidecar!.version === 1, 'version 1');
    // The sidecar is now held in a long poll naming version 1.
    await waitFor(
      () => portal!.polls.find(p => p.ifNoneMatch === '"1"'),
      'a poll naming "1"',
    );
    portal.publish(makeSnapshot(2));
    await waitFor(() => sidecar!.version === 2, 'version 2');

    expect(portal.polls[0]).toEqual({
      path: AUTHZ_SNAPSHOT_HTTP.path,
      sidecar: 'node-a',
      waitSeconds: '25',
      ifNoneMatch: undefined,
      authorization: 'Bearer test-service-token',
      connection: 'keep-alive',
    });
    expect(
      portal.polls
        .slice(1)
        .every(p => p.authorization === 'Bearer test-service-token'),
    ).toBe(true);
    expect(lines.join('\n')).not.toContain('test-service-token');
  });

  it('asks for deltas once it holds a snapshot from the feed, applies them, and asks for the whole snapshot after a gap', async () => {
    portal = await FakePortal.start({ holdMs: 60_000 });
    const v1 = makeSnapshot(1);
    portal.publish(v1);
    const { logger, lines } = memoryLogger();
    sidecar = await startSidecar(
      testConfig({ portalUrls: [portal.url], snapshotPath }),
      {
        logger,
      },
    );
    await waitFor(() => sidecar!.version === 1, 'version 1');
    await waitFor(
      () => portal!.polls.find(p => p.ifNoneMatch === '"1"'),
      'a poll naming "1"',
    );
    expect(portal.polls[0].delta).toBeUndefined();
    expect(portal.polls.at(-1)!.delta).toBe('1');

    // A delta from the held version: the producer's credential goes.
    const v2 = makeSnapshot(2, {
      credentials: v1.credentials.filter(c => c.username !== 'orders-1'),
    });
    const deltaText = (from: AuthzSnapshot, to: AuthzSnapshot) =>
      authzSnapshotDeltaBody(authzSnapshotEntries(from), {
        snapshot: to,
        entries: authzSnapshotEntries(to),
      });
    portal.publishText(2, JSON.stringify(v2), deltaText(v1, v2));
    await waitFor(() => sidecar!.version === 2, 'version 2');
    expect(await producerAllowed(sidecar)).toBe(false);
    expect(lines.some(l => l.includes('Snapshot delta applied'))).toBe(true);
    // The delta's change updated the index; the first snapshot was compiled whole.
    const serving = lines
      .map(l => JSON.parse(l))
      .filter(l => l.msg === 'Serving snapshot')
      .map(l => [l.version, l.compiled]);
    expect(serving).toEqual([
      [1, 'whole'],
      [2, 'change'],
    ]);
    // On disk: the whole snapshot the feed served and a journal with the delta after it, which
    // together make the snapshot the delta made.
    await sidecar.flush();
    expect(JSON.parse(await fs.readFile(snapshotPath, 'utf8'))).toEqual(v1);
    expect(await fs.readFile(`${snapshotPath}.journal`, 'utf8')).toBe(
      `${deltaText(v1, v2)}\n`,
    );
    const stored = await SnapshotStore.create({
      path: snapshotPath,
      logger: memoryLogger().logger,
    }).load();
    expect(stored).toEqual({ snapshot: v2, journalDeltas: 1 });

    // A delta from a version it does not hold: a gap, so it asks again for the whole snapshot.
    const v4 = makeSnapshot(4);
    // The poll held now names version 2 and accepts a delta.
    const polls = portal.polls.length - 1;
    portal.publishText(4, JSON.stringify(v4), deltaText(makeSnapshot(3), v4));
    await waitFor(() => sidecar!.version === 4, 'version 4');
    const since = portal.polls.slice(polls);
    expect(since.slice(0, 2).map(p => [p.ifNoneMatch, p.delta])).toEqual([
      ['"2"', '1'],
      ['"2"', undefined],
    ]);
    expect(await producerAllowed(sidecar)).toBe(true);
    expect(lines.some(l => l.includes('Snapshot delta does not apply'))).toBe(
      true,
    );
    expect(await feedErrors(sidecar, 'invalid_snapshot')).toBe(0);
    // A whole snapshot is written whole, and empties the journal.
    await sidecar.flush();
    expect(JSON.parse(await fs.readFile(snapshotPath, 'utf8'))).toEqual(v4);
    expect(await fs.readFile(`${snapshotPath}.journal`, 'utf8')).toBe('');
  });

  it('names a new version to the portal only once accept (the disk copy) resolved, and chains deltas', async () => {
    portal = await FakePortal.start({ holdMs: 60_000 });
    const v1 = makeSnapshot(1);
    portal.publish(v1);
    let held: number | undefined;
    const accepted: Array<{ version: number; change: boolean }> = [];
    // Each accept resolves only when the test says so, which records how many polls the
    // portal had seen by then.
    const pending: Array<() => void> = [];
    const resolvedAt: number[] = [];
    const feed = SnapshotFeed.create({
      portalUrls: [portal.url],
      token: 'test-service-token',
      instanceId: 'node-a',
      waitSeconds: 25,
      backoff: recordingBackoff(),
      heldVersion: () => held,
      accept: ({ head, whole, bytes, change }) => {
        const snapshot = whole();
        expect(head).toEqual({
          ...snapshot,
          applications: undefined,
          credentials: undefined,
        });
        held = snapshot.version;
        accepted.push({ version: snapshot.version, change: !!change });
        // A delta's result is written as the delta (or the whole snapshot, serialised when it
        // is written), a whole snapshot as it came.
        expect(bytes instanceof Uint8Array).toBe(!change);
        const { whole: written, delta } = diskBytes(bytes);
        expect(JSON.parse(Buffer.from(written).toString('utf8'))).toEqual(
          snapshot,
        );
        expect(
          delta && JSON.parse(Buffer.from(delta.bytes).toString('utf8')),
        ).toEqual(
          change && {
            ...delta?.body,
            from: change.from,
            version: snapshot.version,
          },
        );
        return new Promise<void>(resolve =>
          pending.push(() => {
            resolvedAt.push(portal!.polls.length);
            resolve();
          }),
        );
      },
      metrics: SidecarMetrics.create(),
      logger: memoryLogger().logger,
    });
    feed.start();
    try {
      const deltaText = (from: AuthzSnapshot, to: AuthzSnapshot) =>
        authzSnapshotDeltaBody(authzSnapshotEntries(from), {
          snapshot: to,
          entries: authzSnapshotEntries(to),
        });
      let previous = v1;
      const feedPortal = portal;
      for (let version = 1; version <= 4; version++) {
        if (version > 1) {
          const next = makeSnapshot(version, {
            credentials: previous.credentials.filter(
              (_, i) => i !== version % 2,
            ),
          });
          portal.publishText(
            version,
            JSON.stringify(next),
            deltaText(previous, next),
          );
          previous = next;
        }
        await waitFor(() => pending.length === version, `accept ${version}`);
        // Not a wait for an outcome: it gives a feed that polled before the disk copy was
        // durable the time to do so; the check below is on the order of events, not timing.
        await new Promise(resolve => setTimeout(resolve, 100));
        pending[version - 1]();
        await waitFor(
          () => feedPortal.polls.find(p => p.ifNoneMatch === `"${version}"`),
          `a poll naming "${version}"`,
        );
      }
      // Polls naming a version before the accept of that version resolved: none.
      const early = portal.polls.filter((poll, i) => {
        const named = Number(JSON.parse(poll.ifNoneMatch ?? '"0"'));
        return named > 0 && i < resolvedAt[named - 1];
      });
      expect(early).toEqual([]);
      expect(accepted).toEqual([
        { version: 1, change: false },
        { version: 2, change: true },
        { version: 3, change: true },
        { version: 4, change: true },
      ]);
    } finally {
      pending.forEach(resolve => resolve());
      await feed.stop();
    }
  });

  it('stops asking a portal that refuses delta polls for deltas', async () => {
    portal = await FakePortal.start({ holdMs: 60_000 });
    portal.refuseDeltas = true;
    portal.publish(makeSnapshot(1));
    sidecar = await startSidecar(
      testConfig({ portalUrls: [portal.url], snapshotPath }),
      {
        logger: memoryLogger().logger,
      },
    );
    await waitFor(() => sidecar!.version === 1, 'version 1');
    await waitFor(
      () =>
        portal!.polls.find(
          p => p.ifNoneMatch === '"1"' && p.delta === undefined,
        ),
      'a whole-snapshot poll naming "1"',
    );
    portal.publish(makeSnapshot(2));
    await waitFor(() => sidecar!.version === 2, 'version 2');
    expect(portal.polls.filter(p => p.delta === '1')).toHaveLength(1);
    expect(await feedErrors(sidecar, 'status')).toBe(0);
  });

  it('polls again after a 304 at the end of the wait', async () => {
    portal = await FakePortal.start({ holdMs: 20 });
    portal.publish(makeSnapshot(1));
    sidecar = await startSidecar(
      testConfig({ portalUrls: [portal.url], snapshotPath }),
      {
        logger: memoryLogger().logger,
      },
    );
    await waitFor(
      () => portal!.polls.filter(p => p.ifNoneMatch === '"1"').length >= 3,
      'three 304s',
    );
    expect(sidecar.version).toBe(1);
    expect(await producerAllowed(sidecar)).toBe(true);
    expect(await feedErrors(sidecar, 'status')).toBe(0);
    expect(await feedErrors(sidecar, 'network')).toBe(0);
  });

  it('refuses a snapshot older than the one it holds and keeps serving the held one', async () => {
    portal = await FakePortal.start({ holdMs: 60_000 });
    portal.publish(makeSnapshot(3));
    const { logger, lines } = memoryLogger();
    const backoff = recordingBackoff();
    sidecar = await startSidecar(
      testConfig({ portalUrls: [portal.url], snapshotPath }),
      {
        logger,
        backoff,
      },
    );
    await waitFor(() => sidecar!.version === 3, 'version 3');
    const older = makeSnapshot(2);
    older.credentials = [];
    portal.publish(older);
    await waitFor(
      async () => (await feedErrors(sidecar!, 'older_version')) >= 2,
      'two refusals',
    );
    expect(sidecar.version).toBe(3);
    expect(await producerAllowed(sidecar)).toBe(true);
    expect(lines.some(l => l.includes('older than the held 3'))).toBe(true);
    expect(backoff.attempts.slice(0, 2)).toEqual([1, 2]);
  });

  it('takes the snapshot of a restored or rebuilt portal database, whatever its version', async () => {
    portal = await FakePortal.start({ holdMs: 60_000 });
    portal.publish(makeSnapshot(3, { epoch: 'database-a' }));
    const { logger, lines } = memoryLogger();
    sidecar = await startSidecar(
      testConfig({ portalUrls: [portal.url], snapshotPath }),
      {
        logger,
        backoff: recordingBackoff(),
      },
    );
    await waitFor(() => sidecar!.version === 3, 'version 3 of database-a');
    const rebuilt = makeSnapshot(1, { epoch: 'database-b' });
    rebuilt.credentials = [];
    portal.publish(rebuilt);
    await waitFor(() => sidecar!.version === 1, 'version 1 of database-b');
    // The new database's policy holds: the producer's credential is gone from it.
    expect(await producerAllowed(sidecar)).toBe(false);
    expect(lines.some(l => l.includes('Portal database changed'))).toBe(true);
  });

  it('refuses an invalid snapshot from the portal', async () => {
    portal = await FakePortal.start({ holdMs: 60_000 });
    portal.publish(makeSnapshot(1));
    const { logger, lines } = memoryLogger();
    sidecar = await startSidecar(
      testConfig({ portalUrls: [portal.url], snapshotPath }),
      {
        logger,
        backoff: recordingBackoff(),
      },
    );
    await waitFor(() => sidecar!.version === 1, 'version 1');
    portal.publishText(2, '{"format":1,"version":2}');
    await waitFor(
      () =>
        lines.some(l =>
          l.includes('Invalid authz snapshot at $.generatedAt: is required'),
        ),
      'the refusal of an incomplete snapshot',
    );
    portal.publishText(3, 'not json');
    await waitFor(
      () => lines.some(l => l.includes('is not valid JSON')),
      'the refusal of a response that is not JSON',
    );
    expect(
      await feedErrors(sidecar, 'invalid_snapshot'),
    ).toBeGreaterThanOrEqual(2);
    expect(sidecar.version).toBe(1);
    expect(await producerAllowed(sidecar)).toBe(true);
  });

  it('backs off on portal errors, keeps serving, and recovers', async () => {
    portal = await FakePortal.start({ holdMs: 60_000 });
    portal.publish(makeSnapshot(1));
    const backoff = recordingBackoff();
    sidecar = await startSidecar(
      testConfig({ portalUrls: [portal.url], snapshotPath }),
      {
        logger: memoryLogger().logger,
        backoff,
      },
    );
    await waitFor(() => sidecar!.version === 1, 'version 1');
    // Only a poll the portal holds gets version 2 once it fails: wait until there is one.
    await waitFor(
      () => portal!.polls.find(p => p.ifNoneMatch === '"1"'),
      'a poll naming "1"',
    );
    portal.failWith(500);
    portal.publish(makeSnapshot(2)); // releases the held poll; the next ones fail
    await waitFor(() => sidecar!.version === 2, 'version 2');
    await waitFor(() => backoff.attempts.length >= 5, 'five failed polls');
    expect(backoff.attempts.slice(0, 5)).toEqual([1, 2, 3, 4, 5]);
    expect(await producerAllowed(sidecar)).toBe(true);
    expect(await feedErrors(sidecar, 'status')).toBeGreaterThanOrEqual(5);

    portal.failWith(undefined);
    portal.publish(makeSnapshot(3));
    await waitFor(() => sidecar!.version === 3, 'version 3 after recovery');
  });

  it('does not keep a failing portal’s connection alive, so a portal shutting down can close', async () => {
    portal = await FakePortal.start({ holdMs: 60_000 });
    portal.publish(makeSnapshot(1));
    sidecar = await startSidecar(
      testConfig({ portalUrls: [portal.url], snapshotPath }),
      { logger: memoryLogger().logger, backoff: recordingBackoff() },
    );
    await waitFor(() => sidecar!.version === 1, 'version 1');
    // Version 2 reaches the sidecar on the poll the portal holds; fail only once it holds one.
    await waitFor(
      () => portal!.polls.some(p => p.ifNoneMatch === '"1"'),
      'a held poll naming "1"',
    );
    portal.failWith(503);
    portal.publish(makeSnapshot(2));
    await waitFor(() => sidecar!.version === 2, 'version 2');
    const holdingTwo = () => portal!.polls.filter(p => p.ifNoneMatch === '"2"');
    await waitFor(() => holdingTwo().length >= 4, 'four failed polls');
    // The first failing poll came on the kept-alive connection; every poll after a failure
    // asks the portal to close the connection once it has answered.
    expect(holdingTwo()[0].connection).toBe('keep-alive');
    expect(
      holdingTwo()
        .slice(1, 4)
        .map(p => p.connection),
    ).toEqual(['close', 'close', 'close']);

    portal.failWith(undefined);
    portal.publish(makeSnapshot(3));
    await waitFor(() => sidecar!.version === 3, 'version 3 after recovery');
    const holdingThree = await waitFor(
      () => portal!.polls.find(p => p.ifNoneMatch === '"3"'),
      'a poll naming "3"',
    );
    expect(holdingThree.connection).toBe('keep-alive');
  });

  it('takes news within 4 s of a down portal answering again, polling it every 2 to 4 s meanwhile', async () => {
    portal = await FakePortal.start({ holdMs: 60_000 });
    portal.publish(makeSnapshot(1));
    const timers = new ManualTimers();
    sidecar = await startSidecar(
      testConfig({
        portalUrls: [portal.url],
        snapshotPath,
        backoffInitialMs: CONFIG_DEFAULTS.BROM_SIDECAR_BACKOFF_INITIAL_MS,
        backoffMaxMs: CONFIG_DEFAULTS.BROM_SIDECAR_BACKOFF_MAX_MS,
      }),
      { logger: memoryLogger().logger, feedTimers: timers },
    );
    await waitFor(
      () => portal!.polls.find(p => p.ifNoneMatch === '"1"'),
      'a poll naming "1"',
    );
    portal.failWith(503);
    portal.publish(makeSnapshot(2)); // releases the held poll; the next ones fail
    await waitFor(() => sidecar!.version === 2, 'version 2');
    for (let i = 0; i < 12; i++) {
      await waitFor(() => timers.pending === 1, `backoff wait ${i + 1}`);
      timers.fireNext();
    }
    await waitFor(() => timers.pending === 1, 'the wait after 12 failures');
    // Never more than 4 s between polls, and once the backoff reaches its cap, never less
    // than 2 s: one cheap request per 2 to 4 s per sidecar is all a down portal sees.
    expect(Math.max(...timers.requested)).toBeLessThanOrEqual(4_000);
    expect(timers.requested.slice(4).every(ms => ms >= 2_000)).toBe(true);

    portal.failWith(undefined);
    portal.publish(makeSnapshot(3));
    const healthyAtMs = timers.now;
    timers.fireNext();
    await waitFor(() => sidecar!.version === 3, 'version 3 after recovery');
    expect(timers.now - healthyAtMs).toBeLessThanOrEqual(4_000);
  });

  it('moves to the next portal at once when one fails, and takes no older snapshot from any', async () => {
    const first = await FakePortal.start({ holdMs: 60_000 });
    portal = await FakePortal.start({ holdMs: 60_000 });
    try {
      first.publish(makeSnapshot(1));
      portal.publish(makeSnapshot(1));
      const timers = new ManualTimers();
      const { logger, lines } = memoryLogger();
      sidecar = await startSidecar(
        testConfig({ portalUrls: [first.url, portal.url], snapshotPath }),
        { logger, feedTimers: timers },
      );
      await waitFor(
        () => first.polls.find(p => p.ifNoneMatch === '"1"'),
        'a poll held by the first portal',
      );
      expect(portal.polls).toEqual([]);

      // The first portal stops, cutting the poll it held: the second is asked without a wait.
      await first.close();
      portal.publish(makeSnapshot(2));
      await waitFor(() => sidecar!.version === 2, 'version 2 from the second');
      expect(timers.requested).toEqual([]);
      expect(
        lines.some(l => l.includes('trying the next portal at once')),
      ).toBe(true);
      expect(lines.some(l => l.includes('Following another portal'))).toBe(
        true,
      );

      // A replica serving an older version is refused; the other one is down, so the round
      // has failed and the feed backs off, still serving version 2.
      const older = makeSnapshot(1);
      older.credentials = [];
      portal.publish(older);
      await waitFor(() => timers.pending === 1, 'a backoff wait');
      expect(timers.requested).toHaveLength(1);
      expect(sidecar.version).toBe(2);
      expect(await producerAllowed(sidecar)).toBe(true);
      expect(await feedErrors(sidecar, 'older_version')).toBe(1);
      expect(await feedErrors(sidecar, 'network')).toBe(2);
    } finally {
      await first.close();
    }
  });

  it('backs off exponentially with jitter up to the cap', () => {
    const low = exponentialBackoff({
      initialMs: 100,
      maxMs: 1_000,
      random: () => 0,
    });
    const high = exponentialBackoff({
      initialMs: 100,
      maxMs: 1_000,
      random: () => 0.999999,
    });
    expect([1, 2, 3, 4, 5, 50].map(a => low.delayMs(a))).toEqual([
      50, 100, 200, 400, 500, 500,
    ]);
    expect([1, 2, 3, 4, 5, 50].map(a => Math.round(high.delayMs(a)))).toEqual([
      100, 200, 400, 800, 1000, 1000,
    ]);
  });

  it('persists each accepted snapshot with mode 0600 and restarts from it when the portal is down', async () => {
    portal = await FakePortal.start({ holdMs: 60_000 });
    portal.publish(makeSnapshot(4));
    sidecar = await startSidecar(
      testConfig({ portalUrls: [portal.url], snapshotPath }),
      {
        logger: memoryLogger().logger,
      },
    );
    await waitFor(() => sidecar!.version === 4, 'version 4');
    await sidecar.flush();
    const stat = await fs.stat(snapshotPath);
    expect(stat.mode & 0o777).toBe(0o600);
    expect(JSON.parse(await fs.readFile(snapshotPath, 'utf8')).version).toBe(4);
    expect(
      (await fs.readdir(`${dir.path}/state`)).filter(n => n.endsWith('.tmp')),
    ).toEqual([]);
    await sidecar.stop({ drainMs: 0 });
    await portal.close();
    portal = undefined;

    const { logger, lines } = memoryLogger();
    sidecar = await startSidecar(
      testConfig({ portalUrls: [await closedPortUrl()], snapshotPath }),
      { logger, backoff: recordingBackoff() },
    );
    // Loaded before the ports opened, without waiting for the portal.
    expect(sidecar.version).toBe(4);
    expect(sidecar.ready).toBe(true);
    expect(await producerAllowed(sidecar)).toBe(true);
    const ready = await rawRequest({
      port: sidecar.adminPort,
      path: '/readyz',
    });
    expect(ready.status).toBe(200);
    expect(JSON.parse(ready.body.toString('utf8')).snapshot).toMatchObject({
      version: 4,
      source: 'disk',
    });
    await waitFor(
      () => lines.some(l => l.includes('Snapshot poll failed')),
      'a failed poll',
    );
  });

  it('reads a snapshot sent without Content-Length, and keeps it when a later body is cut short', async () => {
    const first = JSON.stringify(makeSnapshot(1));
    const second = JSON.stringify(makeSnapshot(2));
    let requests = 0;
    const server = createServer((req, res) => {
      requests++;
      if (req.headers['if-none-match'] === undefined) {
        // Chunked: the sidecar cannot know the size beforehand.
        res.writeHead(200, { 'content-type': 'application/json' });
        res.write(first.slice(0, 100));
        res.write(first.slice(100, 200));
        res.end(first.slice(200));
        return;
      }
      res.writeHead(200, {
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(second),
      });
      res.write(second.slice(0, 50), () => res.destroy());
    });
    await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      sidecar = await startSidecar(
        testConfig({ portalUrls: [`http://127.0.0.1:${port}`], snapshotPath }),
        { logger: memoryLogger().logger, backoff: recordingBackoff() },
      );
      await waitFor(() => sidecar!.version === 1, 'version 1');
      await waitFor(
        async () => (await feedErrors(sidecar!, 'network')) >= 2,
        'two cut-short bodies',
      );
      expect(requests).toBeGreaterThanOrEqual(3);
      expect(sidecar.version).toBe(1);
      expect(await producerAllowed(sidecar)).toBe(true);
      await sidecar.flush();
      expect(await fs.readFile(snapshotPath, 'utf8')).toBe(first);
    } finally {
      await sidecar?.stop({ drainMs: 0 });
      sidecar = undefined;
      server.closeAllConnections();
      await new Promise<void>(resolve => server.close(() => resolve()));
    }
  });

  it('denies everything when no snapshot was ever loaded and there is no disk copy', async () => {
    sidecar = await startSidecar(
      testConfig({ portalUrls: [await closedPortUrl()], snapshotPath }),
      { logger: memoryLogger().logger, backoff: recordingBackoff() },
    );
    expect(sidecar.version).toBeUndefined();
    expect(await producerAllowed(sidecar)).toBe(false);
    expect(
      await askPost(sidecar.authPort, 'vhost', {
        username: 'orders-1',
        vhost: 'brom',
      }),
    ).toBe('deny');
    expect(
      (await rawRequest({ port: sidecar.adminPort, path: '/readyz' })).status,
    ).toBe(503);
  });

  it.each([
    ['not JSON', '{"format":1,'],
    ['JSON that is not a snapshot', '{"format":1,"version":9}'],
    ['an empty file', ''],
  ])(
    'ignores a corrupt disk copy (%s) and denies until the portal answers',
    async (_name, text) => {
      await fs.mkdir(`${dir.path}/state`, { recursive: true });
      await fs.writeFile(snapshotPath, text, { mode: 0o600 });
      const { logger, lines } = memoryLogger();
      sidecar = await startSidecar(
        testConfig({ portalUrls: [await closedPortUrl()], snapshotPath }),
        { logger, backoff: recordingBackoff() },
      );
      expect(sidecar.version).toBeUndefined();
      expect(await producerAllowed(sidecar)).toBe(false);
      expect(
        lines.some(l => l.includes('Ignoring invalid snapshot on disk')),
      ).toBe(true);
    },
  );

  it('replaces a stale disk copy with the portal’s newer snapshot', async () => {
    await fs.mkdir(`${dir.path}/state`, { recursive: true });
    await fs.writeFile(snapshotPath, JSON.stringify(makeSnapshot(5)), {
      mode: 0o644,
    });
    portal = await FakePortal.start({ holdMs: 60_000 });
    portal.publish(makeSnapshot(6));
    const { logger, lines } = memoryLogger();
    sidecar = await startSidecar(
      testConfig({ portalUrls: [portal.url], snapshotPath }),
      { logger },
    );
    expect(lines.some(l => l.includes('readable by others'))).toBe(true);
    await waitFor(() => sidecar!.version === 6, 'version 6');
    expect(portal.polls[0].ifNoneMatch).toBe('"5"');
    await sidecar.flush();
    expect((await fs.stat(snapshotPath)).mode & 0o777).toBe(0o600);
    expect(JSON.parse(await fs.readFile(snapshotPath, 'utf8')).version).toBe(6);
  });
});

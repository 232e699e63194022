import { SidecarHandle, startSidecar } from '../main';
import { FakePortal } from '../__testUtils__/FakePortal';
import {
  NOW,
  PRODUCER_SECRET,
  askPost,
  makeSnapshot,
  memoryLogger,
  rawRequest,
  temporaryDirectory,
  testConfig,
  waitFor,
} from '../__testUtils__/fixtures';

// Real sockets and a real portal: allow a loaded CI machine more than Jest's 5 s; waitFor's own
// bounds name what did not happen.
jest.setTimeout(30_000);

describe('admin port', () => {
  let dir: { path: string; remove: () => Promise<void> };
  let portal: FakePortal;
  let sidecar: SidecarHandle | undefined;

  beforeEach(async () => {
    dir = await temporaryDirectory();
    portal = await FakePortal.start({ holdMs: 60_000 });
  });

  afterEach(async () => {
    await sidecar?.stop({ drainMs: 0 });
    sidecar = undefined;
    await portal.close();
    await dir.remove();
  });

  it('is live at once, ready only once a snapshot is loaded, and reports its version and age', async () => {
    sidecar = await startSidecar(
      testConfig({
        portalUrls: [portal.url],
        snapshotPath: `${dir.path}/s.json`,
      }),
      { logger: memoryLogger().logger, now: () => NOW },
    );
    expect(
      (await rawRequest({ port: sidecar.adminPort, path: '/livez' })).status,
    ).toBe(200);
    const before = await rawRequest({
      port: sidecar.adminPort,
      path: '/readyz',
    });
    expect(before.status).toBe(503);
    expect(JSON.parse(before.body.toString('utf8'))).toEqual({
      ready: false,
      draining: false,
      disk: { savedVersion: null },
    });

    portal.publish(makeSnapshot(7));
    await waitFor(() => sidecar!.version === 7, 'version 7');
    await sidecar.flush();
    const after = await rawRequest({
      port: sidecar.adminPort,
      path: '/readyz',
    });
    expect(after.status).toBe(200);
    expect(after.headers['content-type']).toBe('application/json');
    expect(JSON.parse(after.body.toString('utf8'))).toEqual({
      ready: true,
      draining: false,
      snapshot: {
        version: 7,
        generatedAt: new Date(NOW - 60_000).toISOString(),
        ageSeconds: 60,
        source: 'feed',
      },
      feedLastSuccessAgeSeconds: 0,
      disk: { savedVersion: 7 },
    });
    expect(
      (await rawRequest({ port: sidecar.adminPort, path: '/nope' })).status,
    ).toBe(404);
  });

  it('exposes Prometheus metrics for decisions, latency, snapshot and feed', async () => {
    portal.publish(makeSnapshot(3));
    sidecar = await startSidecar(
      testConfig({
        portalUrls: [portal.url],
        snapshotPath: `${dir.path}/s.json`,
      }),
      { logger: memoryLogger().logger, now: () => NOW },
    );
    await waitFor(() => sidecar!.version === 3, 'version 3');
    await askPost(sidecar.authPort, 'user', {
      username: 'orders-1',
      password: PRODUCER_SECRET,
    });
    await askPost(sidecar.authPort, 'user', {
      username: 'orders-1',
      password: 'nope',
    });
    await askPost(sidecar.authPort, 'user', {
      username: 'ghost',
      password: 'nope',
    });
    await askPost(sidecar.authPort, 'topic', {
      username: 'orders-1',
      vhost: 'brom',
      resource: 'topic',
      name: 'brom.orders',
      permission: 'write',
      routing_key: 'audit.x',
    });

    const response = await rawRequest({
      port: sidecar.adminPort,
      path: '/metrics',
    });
    expect(response.status).toBe(200);
    expect(response.headers['content-type']).toBe(
      'text/plain; version=0.0.4; charset=utf-8',
    );
    const text = response.body.toString('utf8');
    const lines = text.split('\n');
    expect(lines).toEqual(
      expect.arrayContaining([
        '# TYPE brom_sidecar_decisions_total counter',
        'brom_sidecar_decisions_total{endpoint="user",result="allow"} 1',
        'brom_sidecar_decisions_total{endpoint="user",result="deny"} 2',
        'brom_sidecar_decisions_total{endpoint="topic",result="allow"} 1',
        'brom_sidecar_decisions_total{endpoint="vhost",result="allow"} 0',
        '# TYPE brom_sidecar_decision_duration_seconds histogram',
        'brom_sidecar_decision_duration_seconds_bucket{endpoint="user",le="+Inf"} 3',
        'brom_sidecar_decision_duration_seconds_count{endpoint="user"} 3',
        'brom_sidecar_failed_auth_total 1',
        'brom_sidecar_failed_auth_rate_limited_total 0',
        'brom_sidecar_feed_errors_total{reason="network"} 0',
        'brom_sidecar_snapshot_loads_total{source="feed"} 1',
        'brom_sidecar_snapshot_version 3',
        'brom_sidecar_snapshot_age_seconds 60',
        'brom_sidecar_ready 1',
      ]),
    );
    // Every sample line is `name{labels} value` or `name value`, as the format requires.
    for (const line of lines.filter(l => l && !l.startsWith('#'))) {
      expect(line).toMatch(
        /^[a-z_]+(\{[a-z_]+="[^"]*"(,[a-z_]+="[^"]*")*\})? [0-9.e+-]+$/,
      );
    }
    // Bucket counts are cumulative.
    const buckets = lines
      .filter(l =>
        l.startsWith(
          'brom_sidecar_decision_duration_seconds_bucket{endpoint="user"',
        ),
      )
      .map(l => Number(l.split(' ')[1]));
    expect(buckets).toEqual([...buckets].sort((a, b) => a - b));
  });

  it('drains on stop: not ready, still answering the broker, then closed', async () => {
    portal.publish(makeSnapshot(1));
    let endDrain: () => void = () => {};
    let drainRequestedMs: number | undefined;
    sidecar = await startSidecar(
      testConfig({
        portalUrls: [portal.url],
        snapshotPath: `${dir.path}/s.json`,
        drainSeconds: 5,
      }),
      {
        logger: memoryLogger().logger,
        drainWait: ms => {
          drainRequestedMs = ms;
          return new Promise(resolve => {
            endDrain = resolve;
          });
        },
      },
    );
    await waitFor(() => sidecar!.version === 1, 'version 1');
    const { authPort, adminPort } = sidecar;

    const stopped = sidecar.stop();
    expect(sidecar.stop()).toBe(stopped);
    const draining = await rawRequest({ port: adminPort, path: '/readyz' });
    expect(draining.status).toBe(503);
    expect(JSON.parse(draining.body.toString('utf8'))).toMatchObject({
      ready: false,
      draining: true,
    });
    expect(sidecar.ready).toBe(false);
    expect(drainRequestedMs).toBe(5000);
    expect(
      await askPost(authPort, 'user', {
        username: 'orders-1',
        password: PRODUCER_SECRET,
      }),
    ).toBe('allow');
    expect(
      (await rawRequest({ port: adminPort, path: '/metrics' })).body.toString(),
    ).toContain('brom_sidecar_ready 0');

    await waitFor(
      () => drainRequestedMs !== undefined && endDrain,
      'the drain to begin',
    );
    endDrain();
    await stopped;
    await expect(
      rawRequest({ port: authPort, path: '/auth/user' }),
    ).rejects.toThrow(/ECONNREFUSED/);
    await expect(
      rawRequest({ port: adminPort, path: '/livez' }),
    ).rejects.toThrow(/ECONNREFUSED/);
    sidecar = undefined;
  });
});

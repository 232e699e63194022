import { spawn } from 'node:child_process';
import { resolve as resolvePath } from 'node:path';
import { FakePortal } from './__testUtils__/FakePortal';
import {
  PRODUCER_SECRET,
  askPost,
  makeSnapshot,
  rawRequest,
  temporaryDirectory,
  waitFor,
} from './__testUtils__/fixtures';

// Starts the real command from source (through Backstage's SWC node transform), as an operator
// would, and stops it with SIGTERM.
describe('bin/brom-sidecar.js', () => {
  it('runs from source, serves decisions and exits cleanly on SIGTERM', async () => {
    const dir = await temporaryDirectory();
    const portal = await FakePortal.start({ holdMs: 60_000 });
    portal.publish(makeSnapshot(11));
    const child = spawn(
      process.execPath,
      [resolvePath(__dirname, '../bin/brom-sidecar.js')],
      {
        env: {
          PATH: process.env.PATH,
          BROM_SIDECAR_PORTAL_URL: portal.url,
          BROM_SIDECAR_TOKEN: 'bin-test-token',
          BROM_SIDECAR_AUTH_PORT: '0',
          BROM_SIDECAR_ADMIN_PORT: '0',
          BROM_SIDECAR_SNAPSHOT_PATH: `${dir.path}/snapshot.json`,
          BROM_SIDECAR_DRAIN_SECONDS: '0',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let output = '';
    child.stdout.on('data', chunk => (output += chunk));
    child.stderr.on('data', chunk => (output += chunk));
    const exited = new Promise<number | null>(resolve =>
      child.on('exit', code => resolve(code)),
    );
    try {
      const started = await waitFor(
        () =>
          output.split('\n').find(line => line.includes('"Sidecar started"')),
        'the started log line',
        30_000,
      );
      const { authAddress, adminAddress } = JSON.parse(started);
      const authPort = Number(authAddress.split(':')[1]);
      const adminPort = Number(adminAddress.split(':')[1]);
      await waitFor(
        async () =>
          (await rawRequest({ port: adminPort, path: '/readyz' })).status ===
          200,
        'readiness',
      );
      expect(
        await askPost(authPort, 'user', {
          username: 'orders-1',
          password: PRODUCER_SECRET,
        }),
      ).toBe('allow');
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect(output).toContain('"Sidecar stopped"');
      expect(output).not.toContain('bin-test-token');
      for (const line of output.trim().split('\n')) {
        expect(() => JSON.parse(line)).not.toThrow();
      }
    } finally {
      child.kill('SIGKILL');
      await portal.close();
      await dir.remove();
    }
  }, 60_000);

  it('exits with status 2 and a clear message when configuration is missing', async () => {
    const child = spawn(
      process.execPath,
      [resolvePath(__dirname, '../bin/brom-sidecar.js')],
      {
        env: { PATH: process.env.PATH },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let output = '';
    child.stderr.on('data', chunk => (output += chunk));
    const code = await new Promise<number | null>(resolve =>
      child.on('exit', c => resolve(c)),
    );
    expect(code).toBe(2);
    expect(output).toContain('BROM_SIDECAR_PORTAL_URL is required');
  }, 60_000);
});

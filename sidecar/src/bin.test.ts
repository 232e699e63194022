import { execFileSync, spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import { dirname, resolve as resolvePath } from 'node:path';
import { FakePortal } from './__testUtils__/FakePortal';
import {
  PRODUCER_SECRET,
  askPost,
  makeSnapshot,
  rawRequest,
  temporaryDirectory,
  waitFor,
} from './__testUtils__/fixtures';

// Plain JavaScript beside the command; required here as the command requires it.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { chooseBuild } = require('../bin/chooseBuild') as {
  chooseBuild(options: {
    compiled: string;
    sourceDirectories: Array<string | undefined>;
    env: Record<string, string | undefined>;
  }): 'compiled' | 'source';
};

const BIN = resolvePath(__dirname, '../bin/brom-sidecar.js');

/**
 * Starts a command as an operator would, checks that it decides and names the build it runs,
 * and stops it with SIGTERM.
 */
async function runCommand(
  bin: string,
  env: Record<string, string>,
): Promise<{ build: string }> {
  const dir = await temporaryDirectory();
  const portal = await FakePortal.start({ holdMs: 60_000 });
  portal.publish(makeSnapshot(11));
  const child = spawn(process.execPath, [bin], {
    env: {
      PATH: process.env.PATH,
      BROM_SIDECAR_PORTAL_URL: portal.url,
      BROM_SIDECAR_TOKEN: 'bin-test-token',
      BROM_SIDECAR_AUTH_PORT: '0',
      BROM_SIDECAR_ADMIN_PORT: '0',
      BROM_SIDECAR_SNAPSHOT_PATH: `${dir.path}/snapshot.json`,
      BROM_SIDECAR_DRAIN_SECONDS: '0',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', chunk => (output += chunk));
  child.stderr.on('data', chunk => (output += chunk));
  const exited = new Promise<number | null>(resolve =>
    child.on('exit', code => resolve(code)),
  );
  try {
    const started = await waitFor(
      () => output.split('\n').find(line => line.includes('"Sidecar started"')),
      'the started log line',
      30_000,
    );
    const { authAddress, adminAddress, build } = JSON.parse(started);
    const authPort = Number(authAddress.split(':')[1]);
    const adminPort = Number(adminAddress.split(':')[1]);
    await waitFor(
      async () =>
        (await rawRequest({ port: adminPort, path: '/readyz' })).status === 200,
      'readiness',
    );
    expect(
      await askPost(authPort, 'user', {
        username: 'orders-1',
        password: PRODUCER_SECRET,
      }),
    ).toBe('allow');
    const topic = (routingKey: string) =>
      askPost(authPort, 'topic', {
        username: 'orders-1',
        vhost: 'brom',
        resource: 'topic',
        name: 'brom.orders',
        permission: 'write',
        routing_key: routingKey,
      });
    expect(await topic('order.1f.created')).toBe('allow');
    expect(await topic('order.1f.deleted')).toBe('deny');
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(output).toContain('"Sidecar stopped"');
    expect(output).not.toContain('bin-test-token');
    for (const line of output.trim().split('\n')) {
      expect(() => JSON.parse(line)).not.toThrow();
    }
    return { build };
  } finally {
    child.kill('SIGKILL');
    await portal.close();
    await dir.remove();
  }
}

/** Runs the sidecar's command with only `env` until it exits; its exit code and stderr. */
async function runToExit(env: NodeJS.ProcessEnv) {
  const child = spawn(process.execPath, [BIN], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stderr.on('data', chunk => (output += chunk));
  const code = await new Promise<number | null>(resolve =>
    child.on('exit', c => resolve(c)),
  );
  return { code, output };
}

describe('bin/brom-sidecar.js', () => {
  it('runs from source when told to, serves decisions and exits cleanly on SIGTERM', async () => {
    expect(
      await runCommand(BIN, { BROM_SIDECAR_RUN_FROM_SOURCE: '1' }),
    ).toEqual({ build: 'source' });
  }, 60_000);

  it('runs the compiled build, which carries the snapshot package within it', async () => {
    // The command's own layout (bin/ beside dist/) in a directory of its own, so that the test
    // neither needs nor touches the package's dist/. No src/ beside it: an installation that
    // ships only bin/ and dist/ runs the compiled file.
    const dir = await temporaryDirectory();
    try {
      await fs.mkdir(`${dir.path}/bin`);
      for (const file of ['brom-sidecar.js', 'chooseBuild.js']) {
        await fs.copyFile(
          resolvePath(__dirname, '../bin', file),
          `${dir.path}/bin/${file}`,
        );
      }
      execFileSync(
        process.execPath,
        [
          resolvePath(__dirname, '../scripts/build.js'),
          '--out',
          `${dir.path}/dist/main.js`,
        ],
        { stdio: 'ignore' },
      );
      // undici is a runtime dependency, found the way an installation finds it.
      const nodeModules = dirname(
        dirname(require.resolve('undici/package.json')),
      );
      expect(
        await runCommand(`${dir.path}/bin/brom-sidecar.js`, {
          NODE_PATH: nodeModules,
        }),
      ).toEqual({ build: 'compiled' });
    } finally {
      await dir.remove();
    }
  }, 60_000);

  it('exits with status 2 and a clear message when configuration is missing', async () => {
    const { code, output } = await runToExit({ PATH: process.env.PATH });
    expect(code).toBe(2);
    expect(output).toContain('BROM_SIDECAR_PORTAL_URL is required');
  }, 60_000);

  it('exits with status 2 and a clear message when the snapshot directory cannot be written', async () => {
    const dir = await temporaryDirectory();
    try {
      // A regular file where the directory should be: not writable, even for root.
      await fs.writeFile(`${dir.path}/state`, '');
      const { code, output } = await runToExit({
        PATH: process.env.PATH,
        BROM_SIDECAR_PORTAL_URL: 'http://127.0.0.1:9',
        BROM_SIDECAR_TOKEN: 'bin-test-token',
        BROM_SIDECAR_AUTH_PORT: '0',
        BROM_SIDECAR_ADMIN_PORT: '0',
        BROM_SIDECAR_SNAPSHOT_PATH: `${dir.path}/state/snapshot.json`,
      });
      expect(code).toBe(2);
      expect(JSON.parse(output.trim().split('\n').at(-1)!)).toMatchObject({
        level: 'error',
        msg: 'Cannot start',
        error: expect.stringContaining(
          `The snapshot directory ${dir.path}/state is not writable`,
        ),
      });
    } finally {
      await dir.remove();
    }
  }, 60_000);
});

describe('chooseBuild', () => {
  it('runs the compiled file only while no source is newer, and never when told not to', async () => {
    const dir = await temporaryDirectory();
    try {
      const compiled = `${dir.path}/dist/main.js`;
      const sources = `${dir.path}/src`;
      await fs.mkdir(`${sources}/index`, { recursive: true });
      await fs.writeFile(`${sources}/index/a.ts`, '');
      const options = {
        compiled,
        sourceDirectories: [sources, `${dir.path}/missing`, undefined],
        env: {},
      };
      expect(chooseBuild(options)).toBe('source');

      await fs.mkdir(`${dir.path}/dist`);
      await fs.writeFile(compiled, '');
      const built = new Date('2026-11-21T12:00:00Z');
      await fs.utimes(compiled, built, built);
      const before = new Date('2026-11-21T11:00:00Z');
      await fs.utimes(`${sources}/index/a.ts`, before, before);
      expect(chooseBuild(options)).toBe('compiled');
      expect(
        chooseBuild({
          ...options,
          env: { BROM_SIDECAR_RUN_FROM_SOURCE: '1' },
        }),
      ).toBe('source');

      const after = new Date('2026-11-21T13:00:00Z');
      await fs.utimes(`${sources}/index/a.ts`, after, after);
      expect(chooseBuild(options)).toBe('source');
      // Only TypeScript sources count.
      await fs.utimes(`${sources}/index/a.ts`, before, before);
      await fs.writeFile(`${sources}/notes.md`, '');
      expect(chooseBuild(options)).toBe('compiled');
    } finally {
      await dir.remove();
    }
  });
});

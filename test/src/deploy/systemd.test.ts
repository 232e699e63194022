import { spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT, ensureBuilt } from './productionTree';

/*
 * deploy/systemd as systemd reads it: `systemd-analyze verify` (syntax, known directives, an
 * executable ExecStart) and `systemd-analyze security --offline` (the exposure score). The
 * units name /usr/bin/node and the installation in /opt/brom; the check points them at this
 * Node.js and this checkout, whose build output is what /opt/brom holds.
 */

const UNITS = ['brom-backend.service', 'brom-sidecar.service'];

function analyze(args: string[]) {
  const result = spawnSync('systemd-analyze', args, { encoding: 'utf8' });
  if (result.error) {
    throw new Error(
      `systemd-analyze could not run (apt-get install systemd): ${result.error}`,
    );
  }
  return result;
}

describe('deploy/systemd', () => {
  let dir: string;

  beforeAll(async () => {
    await ensureBuilt();
    dir = mkdtempSync(join(tmpdir(), 'brom-systemd-'));
    for (const unit of UNITS) {
      const text = readFileSync(join(REPO_ROOT, 'deploy/systemd', unit), 'utf8')
        .replaceAll('/usr/bin/node ', `${process.execPath} `)
        .replaceAll('/opt/brom', REPO_ROOT);
      writeFileSync(join(dir, unit), text);
    }
  }, 20 * 60_000);

  afterAll(() => {
    if (dir) {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('verifies cleanly, with every file ExecStart runs in place', () => {
    const result = analyze([
      'verify',
      '--man=no',
      '--generators=no',
      ...UNITS.map(unit => join(dir, unit)),
    ]);
    expect({
      status: result.status,
      output: `${result.stdout}${result.stderr}`,
    }).toEqual({
      status: 0,
      output: '',
    });
    for (const unit of UNITS) {
      const execStart = readFileSync(join(dir, unit), 'utf8').match(
        /^ExecStart=(.*)$/m,
      )![1];
      for (const path of execStart
        .split(' ')
        .filter(word => word.startsWith('/'))) {
        expect({ unit, path, exists: existsSync(path) }).toEqual({
          unit,
          path,
          exists: true,
        });
      }
    }
  });

  it.each(UNITS)(
    '%s runs hardened, with an exposure of at most 1.4 of 10',
    unit => {
      const text = readFileSync(join(dir, unit), 'utf8');
      for (const directive of [
        'NoNewPrivileges=yes',
        'ProtectSystem=strict',
        'ProtectHome=yes',
        'PrivateTmp=yes',
        'CapabilityBoundingSet=\n',
      ]) {
        expect(text).toContain(directive);
      }
      expect(text).toMatch(/^User=brom(-sidecar)?$/m);
      const result = analyze([
        'security',
        '--offline=yes',
        '--threshold=14',
        join(dir, unit),
      ]);
      expect({ status: result.status, stderr: result.stderr }).toEqual({
        status: 0,
        stderr: '',
      });
    },
  );

  it('keeps the sidecar snapshot in its state directory, its token a credential', () => {
    const text = readFileSync(join(dir, 'brom-sidecar.service'), 'utf8');
    expect(text).toContain('StateDirectory=brom-sidecar\n');
    expect(text).toContain(
      'Environment=BROM_SIDECAR_SNAPSHOT_PATH=%S/brom-sidecar/authz-snapshot.json',
    );
    expect(text).toContain(
      'Environment=BROM_SIDECAR_TOKEN_FILE=%d/sidecar-token',
    );
    expect(text).not.toMatch(/^Environment=BROM_SIDECAR_TOKEN=/m);
  });

  it('names the users the units run as in the sysusers file', () => {
    const sysusers = readFileSync(
      join(REPO_ROOT, 'deploy/systemd/brom.sysusers.conf'),
      'utf8',
    );
    expect(sysusers).toMatch(/^u brom - /m);
    expect(sysusers).toMatch(/^u brom-sidecar - /m);
  });
});

import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { hostname } from 'node:os';
import {
  CONFIG_DEFAULTS,
  DEVELOPMENT_SIDECAR_TOKEN,
  SidecarConfigError,
  readSidecarConfig,
} from './config';
import { temporaryDirectory } from './__testUtils__/fixtures';

const REQUIRED = {
  BROM_SIDECAR_PORTAL_URL: 'https://portal.example.org',
  BROM_SIDECAR_TOKEN: 'service-token',
};

describe('readSidecarConfig', () => {
  it('applies the documented defaults, binding loopback only', () => {
    expect(readSidecarConfig(REQUIRED)).toEqual({
      portalUrls: ['https://portal.example.org'],
      token: 'service-token',
      instanceId: hostname(),
      authHost: '127.0.0.1',
      authPort: 8089,
      adminHost: '127.0.0.1',
      adminPort: 8090,
      snapshotPath: CONFIG_DEFAULTS.BROM_SIDECAR_SNAPSHOT_PATH,
      caFile: undefined,
      waitSeconds: 30,
      drainSeconds: 5,
      backoffInitialMs: 500,
      // Capped low so the feed takes news within about 4 s of the portal answering again.
      backoffMaxMs: 4_000,
      failedAuthBurst: 10,
      failedAuthRefillPerSecond: 0.1,
      maxBodyBytes: 8192,
      logLevel: 'info',
    });
  });

  it('reads every variable', () => {
    const config = readSidecarConfig({
      ...REQUIRED,
      BROM_SIDECAR_INSTANCE_ID: 'rabbit-0',
      BROM_SIDECAR_AUTH_HOST: '10.0.0.5',
      BROM_SIDECAR_AUTH_PORT: '0',
      BROM_SIDECAR_ADMIN_PORT: '9100',
      BROM_SIDECAR_SNAPSHOT_PATH: '/tmp/s.json',
      BROM_SIDECAR_CA_FILE: '/etc/ssl/ca.pem',
      BROM_SIDECAR_WAIT_SECONDS: '50',
      BROM_SIDECAR_DRAIN_SECONDS: '0.5',
      BROM_SIDECAR_LOG_LEVEL: 'debug',
    });
    expect(config).toMatchObject({
      instanceId: 'rabbit-0',
      authHost: '10.0.0.5',
      authPort: 0,
      adminPort: 9100,
      snapshotPath: '/tmp/s.json',
      caFile: '/etc/ssl/ca.pem',
      waitSeconds: 50,
      drainSeconds: 0.5,
      logLevel: 'debug',
    });
  });

  it('reads the token from a file, trimmed', async () => {
    const dir = await temporaryDirectory();
    try {
      writeFileSync(`${dir.path}/token`, 'from-file\n');
      const config = readSidecarConfig({
        BROM_SIDECAR_PORTAL_URL: 'http://localhost:7007',
        BROM_SIDECAR_TOKEN_FILE: `${dir.path}/token`,
      });
      expect(config.token).toBe('from-file');
    } finally {
      await dir.remove();
    }
  });

  it('reads a comma-separated list of portal URLs, in order', () => {
    expect(
      readSidecarConfig({
        ...REQUIRED,
        BROM_SIDECAR_PORTAL_URL:
          ' https://portal-a.example.org , https://portal-b.example.org/backstage',
      }).portalUrls,
    ).toEqual([
      'https://portal-a.example.org',
      'https://portal-b.example.org/backstage',
    ]);
  });

  it.each<[Record<string, string>, string]>([
    [
      { ...REQUIRED, BROM_SIDECAR_PORTAL_URL: 'https://a,ftp://b' },
      'BROM_SIDECAR_PORTAL_URL entry 2 must be an http or https URL',
    ],
    [
      { ...REQUIRED, BROM_SIDECAR_PORTAL_URL: 'https://a,' },
      'BROM_SIDECAR_PORTAL_URL entry 2 is not a valid URL',
    ],
    [
      { ...REQUIRED, BROM_SIDECAR_PORTAL_URL: 'https://a,https://A/' },
      'BROM_SIDECAR_PORTAL_URL entry 2 is listed twice',
    ],
    [{ BROM_SIDECAR_TOKEN: 't' }, 'BROM_SIDECAR_PORTAL_URL is required'],
    [{ ...REQUIRED, BROM_SIDECAR_PORTAL_URL: 'portal' }, 'not a valid URL'],
    [{ ...REQUIRED, BROM_SIDECAR_PORTAL_URL: 'ftp://portal' }, 'http or https'],
    [
      { ...REQUIRED, BROM_SIDECAR_PORTAL_URL: 'https://u:p@portal' },
      'must not carry credentials',
    ],
    [
      { BROM_SIDECAR_PORTAL_URL: 'https://portal' },
      'BROM_SIDECAR_TOKEN or BROM_SIDECAR_TOKEN_FILE is required',
    ],
    [{ ...REQUIRED, BROM_SIDECAR_TOKEN_FILE: '/x' }, 'Set only one of'],
    [
      {
        BROM_SIDECAR_PORTAL_URL: 'https://portal',
        BROM_SIDECAR_TOKEN_FILE: '/nonexistent/token',
      },
      'Cannot read BROM_SIDECAR_TOKEN_FILE: ENOENT',
    ],
    [
      { ...REQUIRED, BROM_SIDECAR_AUTH_PORT: '65536' },
      'BROM_SIDECAR_AUTH_PORT must be an integer from 0 to 65535',
    ],
    [
      { ...REQUIRED, BROM_SIDECAR_ADMIN_PORT: 'http' },
      'BROM_SIDECAR_ADMIN_PORT must be',
    ],
    [
      { ...REQUIRED, BROM_SIDECAR_WAIT_SECONDS: '61' },
      'BROM_SIDECAR_WAIT_SECONDS must be an integer from 1 to 60',
    ],
    [
      {
        ...REQUIRED,
        BROM_SIDECAR_BACKOFF_INITIAL_MS: '1000',
        BROM_SIDECAR_BACKOFF_MAX_MS: '10',
      },
      'must not be below',
    ],
    [
      { ...REQUIRED, BROM_SIDECAR_LOG_LEVEL: 'verbose' },
      'BROM_SIDECAR_LOG_LEVEL must be one of',
    ],
  ])('refuses %j', (env, message) => {
    expect(() => readSidecarConfig(env)).toThrow(SidecarConfigError);
    expect(() => readSidecarConfig(env)).toThrow(message);
  });

  it('refuses the development default token, from the variable or a file', async () => {
    expect(() =>
      readSidecarConfig({
        ...REQUIRED,
        BROM_SIDECAR_TOKEN: DEVELOPMENT_SIDECAR_TOKEN,
      }),
    ).toThrow(
      new SidecarConfigError(
        'BROM_SIDECAR_TOKEN holds the development default token from app-config.yaml; give the portal and its sidecars a generated one',
      ),
    );
    const dir = await temporaryDirectory();
    try {
      writeFileSync(`${dir.path}/token`, `${DEVELOPMENT_SIDECAR_TOKEN}\n`);
      expect(() =>
        readSidecarConfig({
          BROM_SIDECAR_PORTAL_URL: 'https://portal.example.org',
          BROM_SIDECAR_TOKEN_FILE: `${dir.path}/token`,
        }),
      ).toThrow('BROM_SIDECAR_TOKEN_FILE holds the development default token');
    } finally {
      await dir.remove();
    }
  });

  it('knows the token app-config.yaml falls back to', () => {
    expect(
      readFileSync(join(__dirname, '../../app-config.yaml'), 'utf8'),
    ).toContain(`\${BROM_SIDECAR_TOKEN:-${DEVELOPMENT_SIDECAR_TOKEN}}`);
  });

  it('never puts the token in an error message', () => {
    let message = '';
    try {
      readSidecarConfig({ ...REQUIRED, BROM_SIDECAR_TOKEN_FILE: '/x' });
    } catch (error) {
      message = String(error);
    }
    expect(message).toContain('Set only one of');
    expect(message).not.toContain('service-token');
  });
});

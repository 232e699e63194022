import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { AUTHZ_SNAPSHOT_HTTP } from '@internal/brom-authz-snapshot';
import { LogLevel, isLogLevel } from './logger';

export interface SidecarConfig {
  /**
   * Base URLs of the portal's replicas serving the snapshot feed, in order of preference: the
   * feed follows one and moves to the next when a poll fails.
   */
  portalUrls: string[];
  /** Bearer token of the sidecars' service identity. Never logged. */
  token: string;
  /** Where the token was read from, if from a file: read again when it changes. */
  tokenFile?: string;
  /** Names this sidecar to the portal, which tracks the version each instance serves. */
  instanceId: string;
  authHost: string;
  authPort: number;
  adminHost: string;
  adminPort: number;
  /** Where the last snapshot is kept (mode 0600). */
  snapshotPath: string;
  /** PEM CA bundle for an HTTPS portal with a private CA. */
  caFile?: string;
  /** How long the portal may hold a long poll before answering 304. */
  waitSeconds: number;
  /** How long the auth port keeps answering after a shutdown signal, while not ready. */
  drainSeconds: number;
  backoffInitialMs: number;
  backoffMaxMs: number;
  /** Failed password checks per username reported one by one before only being counted. */
  failedAuthBurst: number;
  /** Rate at which that failure budget refills. */
  failedAuthRefillPerSecond: number;
  maxBodyBytes: number;
  logLevel: LogLevel;
}

/**
 * The sidecar token app-config.yaml falls back to when BROM_SIDECAR_TOKEN is unset, so a
 * development portal runs without setup. Anyone with the repository knows it, so a sidecar never
 * accepts it: `npm start` generates a token for its development sidecar.
 */
export const DEVELOPMENT_SIDECAR_TOKEN =
  'development-only-sidecar-token-change-me';

export const DEFAULT_SNAPSHOT_PATH =
  '/var/lib/brom-sidecar/authz-snapshot.json';

/** The defaults beside their environment variables (the README's table mirrors this). */
export const CONFIG_DEFAULTS = {
  BROM_SIDECAR_AUTH_HOST: '127.0.0.1',
  BROM_SIDECAR_AUTH_PORT: 8089,
  BROM_SIDECAR_ADMIN_HOST: '127.0.0.1',
  BROM_SIDECAR_ADMIN_PORT: 8090,
  BROM_SIDECAR_SNAPSHOT_PATH: DEFAULT_SNAPSHOT_PATH,
  BROM_SIDECAR_WAIT_SECONDS: 30,
  BROM_SIDECAR_DRAIN_SECONDS: 5,
  BROM_SIDECAR_BACKOFF_INITIAL_MS: 500,
  BROM_SIDECAR_BACKOFF_MAX_MS: 4_000,
  BROM_SIDECAR_FAILED_AUTH_BURST: 10,
  BROM_SIDECAR_FAILED_AUTH_REFILL_PER_SECOND: 0.1,
  BROM_SIDECAR_MAX_BODY_BYTES: 8192,
  BROM_SIDECAR_LOG_LEVEL: 'info',
} as const;

export class SidecarConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SidecarConfigError';
  }
}

type Env = Record<string, string | undefined>;

function text(env: Env, name: string): string | undefined {
  const value = env[name]?.trim();
  return value ? value : undefined;
}

function number(
  env: Env,
  name: keyof typeof CONFIG_DEFAULTS,
  check: { min: number; max: number; integer: boolean },
): number {
  const raw = text(env, name);
  if (raw === undefined) {
    return CONFIG_DEFAULTS[name] as number;
  }
  const value = Number(raw);
  if (
    !Number.isFinite(value) ||
    (check.integer && !Number.isInteger(value)) ||
    value < check.min ||
    value > check.max
  ) {
    throw new SidecarConfigError(
      `${name} must be ${check.integer ? 'an integer' : 'a number'} from ${
        check.min
      } to ${check.max}, got ${JSON.stringify(raw)}`,
    );
  }
  return value;
}

const PORT = { min: 0, max: 65535, integer: true };

/**
 * The portal URLs: one, or several separated by commas (a base URL needs no comma of its own).
 * Each must be http or https without credentials, and none may be listed twice.
 */
function portalUrlList(raw: string | undefined): string[] {
  if (!raw) {
    throw new SidecarConfigError('BROM_SIDECAR_PORTAL_URL is required');
  }
  const urls = raw.split(',').map(url => url.trim());
  const seen = new Set<string>();
  urls.forEach((url, i) => {
    const which =
      urls.length === 1
        ? 'BROM_SIDECAR_PORTAL_URL'
        : `BROM_SIDECAR_PORTAL_URL entry ${i + 1}`;
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new SidecarConfigError(`${which} is not a valid URL`);
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
      throw new SidecarConfigError(`${which} must be an http or https URL`);
    }
    if (parsed.username || parsed.password) {
      throw new SidecarConfigError(
        `${which} must not carry credentials; use BROM_SIDECAR_TOKEN(_FILE)`,
      );
    }
    if (seen.has(parsed.href)) {
      throw new SidecarConfigError(`${which} is listed twice`);
    }
    seen.add(parsed.href);
  });
  return urls;
}

/**
 * Reads the configuration from environment variables (see README.md). Reads the token file if
 * one is named. Throws SidecarConfigError naming the variable at fault.
 */
export function readSidecarConfig(env: Env = process.env): SidecarConfig {
  const portalUrls = portalUrlList(text(env, 'BROM_SIDECAR_PORTAL_URL'));

  const tokenFile = text(env, 'BROM_SIDECAR_TOKEN_FILE');
  let token = text(env, 'BROM_SIDECAR_TOKEN');
  if (token && tokenFile) {
    throw new SidecarConfigError(
      'Set only one of BROM_SIDECAR_TOKEN and BROM_SIDECAR_TOKEN_FILE',
    );
  }
  if (tokenFile) {
    try {
      token = readFileSync(tokenFile, 'utf8').trim();
    } catch (error) {
      throw new SidecarConfigError(
        `Cannot read BROM_SIDECAR_TOKEN_FILE: ${
          (error as NodeJS.ErrnoException).code ?? 'error'
        }`,
      );
    }
  }
  if (!token) {
    throw new SidecarConfigError(
      'BROM_SIDECAR_TOKEN or BROM_SIDECAR_TOKEN_FILE is required (and must not be empty)',
    );
  }
  if (token === DEVELOPMENT_SIDECAR_TOKEN) {
    throw new SidecarConfigError(
      `${
        tokenFile ? 'BROM_SIDECAR_TOKEN_FILE' : 'BROM_SIDECAR_TOKEN'
      } holds the development default token from app-config.yaml; give the portal and its sidecars a generated one`,
    );
  }

  const logLevel =
    text(env, 'BROM_SIDECAR_LOG_LEVEL') ??
    CONFIG_DEFAULTS.BROM_SIDECAR_LOG_LEVEL;
  if (!isLogLevel(logLevel)) {
    throw new SidecarConfigError(
      'BROM_SIDECAR_LOG_LEVEL must be one of debug, info, warn, error',
    );
  }

  const backoffInitialMs = number(env, 'BROM_SIDECAR_BACKOFF_INITIAL_MS', {
    min: 1,
    max: 600_000,
    integer: true,
  });
  const backoffMaxMs = number(env, 'BROM_SIDECAR_BACKOFF_MAX_MS', {
    min: 1,
    max: 3_600_000,
    integer: true,
  });
  if (backoffMaxMs < backoffInitialMs) {
    throw new SidecarConfigError(
      'BROM_SIDECAR_BACKOFF_MAX_MS must not be below BROM_SIDECAR_BACKOFF_INITIAL_MS',
    );
  }

  return {
    portalUrls,
    token,
    ...(tokenFile ? { tokenFile } : {}),
    instanceId: text(env, 'BROM_SIDECAR_INSTANCE_ID') ?? hostname(),
    authHost:
      text(env, 'BROM_SIDECAR_AUTH_HOST') ??
      CONFIG_DEFAULTS.BROM_SIDECAR_AUTH_HOST,
    authPort: number(env, 'BROM_SIDECAR_AUTH_PORT', PORT),
    adminHost:
      text(env, 'BROM_SIDECAR_ADMIN_HOST') ??
      CONFIG_DEFAULTS.BROM_SIDECAR_ADMIN_HOST,
    adminPort: number(env, 'BROM_SIDECAR_ADMIN_PORT', PORT),
    snapshotPath:
      text(env, 'BROM_SIDECAR_SNAPSHOT_PATH') ??
      CONFIG_DEFAULTS.BROM_SIDECAR_SNAPSHOT_PATH,
    caFile: text(env, 'BROM_SIDECAR_CA_FILE'),
    waitSeconds: number(env, 'BROM_SIDECAR_WAIT_SECONDS', {
      min: 1,
      max: AUTHZ_SNAPSHOT_HTTP.maxWaitSeconds,
      integer: true,
    }),
    drainSeconds: number(env, 'BROM_SIDECAR_DRAIN_SECONDS', {
      min: 0,
      max: 300,
      integer: false,
    }),
    backoffInitialMs,
    backoffMaxMs,
    failedAuthBurst: number(env, 'BROM_SIDECAR_FAILED_AUTH_BURST', {
      min: 1,
      max: 1_000_000,
      integer: true,
    }),
    failedAuthRefillPerSecond: number(
      env,
      'BROM_SIDECAR_FAILED_AUTH_REFILL_PER_SECOND',
      {
        min: 0.0001,
        max: 1_000_000,
        integer: false,
      },
    ),
    maxBodyBytes: number(env, 'BROM_SIDECAR_MAX_BODY_BYTES', {
      min: 512,
      max: 1024 * 1024,
      integer: true,
    }),
    logLevel,
  };
}

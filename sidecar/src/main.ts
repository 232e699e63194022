import { readFileSync } from 'node:fs';
import {
  AuthzSnapshot,
  AuthzSnapshotChange,
} from '@internal/brom-authz-snapshot';
import { SidecarConfig, SidecarConfigError, readSidecarConfig } from './config';
import { Backoff, exponentialBackoff } from './feed/backoff';
import { FeedTimers, SnapshotFeed } from './feed/SnapshotFeed';
import { tokenSource } from './feed/tokenSource';
import { AuthzDecider } from './index/AuthzDecider';
import { AuthzIndex } from './index/AuthzIndex';
import { JsonLogger, Logger, errorMessage } from './logger';
import { SidecarMetrics, SnapshotSource } from './metrics';
import { AdminServer, SidecarStatus } from './server/AdminServer';
import { AuthServer } from './server/AuthServer';
import { SnapshotStore } from './store/SnapshotStore';

/** Collaborators tests replace; production uses the defaults. */
export interface SidecarDependencies {
  logger?: Logger;
  /** Epoch milliseconds, for credential expiry, snapshot age and logs. */
  now?: () => number;
  /** Replaces the exponential backoff built from the configuration. */
  backoff?: Backoff;
  /** The timers the feed waits out its backoff with; tests pass a fake clock's. */
  feedTimers?: FeedTimers;
  /** Waits out the drain window on stop; tests end the window when they choose. */
  drainWait?: (drainMs: number) => Promise<void>;
  /** How the command runs the code (bin/brom-sidecar.js), named in the started log line. */
  build?: SidecarBuild;
}

/** The compiled dist/main.js, or the TypeScript sources through the SWC transform. */
export type SidecarBuild = 'compiled' | 'source';

export interface SidecarHandle {
  /** Ports actually bound (differ from the configuration when it asked for port 0). */
  readonly authPort: number;
  readonly adminPort: number;
  /** Version of the snapshot being served, or undefined while none is loaded. */
  readonly version: number | undefined;
  /** A snapshot is loaded and the sidecar is not draining. */
  readonly ready: boolean;
  /** Resolves once every snapshot accepted so far has been written to disk. */
  flush(): Promise<void>;
  /**
   * Flips readiness to not-ready, stops polling, keeps answering the broker for the drain window
   * (the configured one unless overridden), then closes both ports. Idempotent.
   */
  stop(options?: { drainMs?: number }): Promise<void>;
}

/**
 * Starts the sidecar: loads the disk copy (if valid) so decisions can start before the portal
 * answers, opens the auth and admin ports, and starts the feed. Fails closed: until a snapshot
 * is loaded from disk or the feed, every answer is deny.
 */
export async function startSidecar(
  config: SidecarConfig,
  dependencies: SidecarDependencies = {},
): Promise<SidecarHandle> {
  const now = dependencies.now ?? Date.now;
  const drainWait =
    dependencies.drainWait ??
    ((ms: number) => new Promise<void>(resolve => setTimeout(resolve, ms)));
  const logger =
    dependencies.logger ??
    JsonLogger.create({
      level: config.logLevel,
      now,
      context: { service: 'brom-sidecar' },
    });
  const metrics = SidecarMetrics.create();
  const decider = AuthzDecider.create({
    logger: logger.child({ component: 'decider' }),
    now,
    metrics,
    failedAuthBurst: config.failedAuthBurst,
    failedAuthRefillPerSecond: config.failedAuthRefillPerSecond,
  });
  const store = SnapshotStore.create({
    path: config.snapshotPath,
    logger: logger.child({ component: 'store' }),
  });

  let source: SnapshotSource | undefined;
  let draining = false;
  let pendingSave: Promise<void> = Promise.resolve();

  const install = (
    snapshot: AuthzSnapshot,
    from: SnapshotSource,
    change?: AuthzSnapshotChange,
  ) => {
    // A delta's change updates the index it was made from; anything else is compiled whole.
    const held = decider.index;
    const index =
      change !== undefined &&
      held !== undefined &&
      held.version === change.from &&
      held.epoch === snapshot.epoch
        ? held.apply({ snapshot, change })
        : AuthzIndex.compile({ snapshot });
    decider.swap(index);
    source = from;
    metrics.recordSnapshotLoaded(from, index.version, index.generatedAtMs);
    metrics.setReady(!draining);
    if (index.ignoredReservedNames.length > 0) {
      logger.warn(
        'Snapshot lists broker-reserved names; they are never granted',
        {
          version: index.version,
          names: index.ignoredReservedNames.join(','),
        },
      );
    }
    logger.info('Serving snapshot', {
      version: index.version,
      source: from,
      credentials: index.credentials.size,
      compiled: index.changesSinceCompile === 0 ? 'whole' : 'change',
      generatedAt: snapshot.generatedAt,
    });
  };

  // In a function of its own, so nothing keeps the disk copy's parsed snapshot once compiled.
  const installFromDisk = async () => {
    const stored = await store.load();
    if (stored) {
      try {
        install(stored.snapshot, 'disk');
      } catch (error) {
        logger.error('Cannot compile the snapshot on disk; ignoring it', {
          error: errorMessage(error),
        });
      }
    }
  };
  await installFromDisk();
  if (!decider.index) {
    logger.warn(
      'No snapshot loaded yet; denying everything until the portal serves one',
    );
  }

  const feed = SnapshotFeed.create({
    portalUrls: config.portalUrls,
    token: tokenSource({
      token: config.token,
      tokenFile: config.tokenFile,
      logger: logger.child({ component: 'feed' }),
    }),
    instanceId: config.instanceId,
    waitSeconds: config.waitSeconds,
    ca: config.caFile ? readFileSync(config.caFile) : undefined,
    backoff:
      dependencies.backoff ??
      exponentialBackoff({
        initialMs: config.backoffInitialMs,
        maxMs: config.backoffMaxMs,
      }),
    heldVersion: () => decider.index?.version,
    heldEpoch: () => decider.index?.epoch,
    accept: (snapshot, bytes, change) => {
      install(snapshot, 'feed', change);
      pendingSave = store.save(bytes);
      // The feed names the new version to the portal only once this resolves (decision 0012).
      return pendingSave;
    },
    metrics,
    logger: logger.child({ component: 'feed' }),
    now,
    timers: dependencies.feedTimers,
  });

  const status = (): SidecarStatus => {
    const index = decider.index;
    const lastSuccess = feed.lastSuccessMs;
    return {
      ready: index !== undefined && !draining,
      draining,
      ...(index && source
        ? {
            snapshot: {
              version: index.version,
              generatedAt: new Date(index.generatedAtMs).toISOString(),
              ageSeconds: Math.max(0, (now() - index.generatedAtMs) / 1000),
              source,
            },
          }
        : {}),
      ...(lastSuccess !== undefined
        ? {
            feedLastSuccessAgeSeconds: Math.max(
              0,
              (now() - lastSuccess) / 1000,
            ),
          }
        : {}),
    };
  };

  const auth = await AuthServer.create({
    host: config.authHost,
    port: config.authPort,
    decider,
    metrics,
    logger: logger.child({ component: 'auth' }),
    maxBodyBytes: config.maxBodyBytes,
    now,
  });
  let admin: AdminServer;
  try {
    admin = await AdminServer.create({
      host: config.adminHost,
      port: config.adminPort,
      status,
      metrics,
      logger: logger.child({ component: 'admin' }),
      now,
    });
  } catch (error) {
    await Promise.all([auth.close(), feed.stop()]);
    throw error;
  }

  feed.start();
  logger.info('Sidecar started', {
    authAddress: `${config.authHost}:${auth.port}`,
    adminAddress: `${config.adminHost}:${admin.port}`,
    portalUrls: config.portalUrls.join(','),
    instanceId: config.instanceId,
    snapshotPath: config.snapshotPath,
    ...(dependencies.build ? { build: dependencies.build } : {}),
  });

  let stopping: Promise<void> | undefined;
  const stop = async (drainMs: number) => {
    draining = true;
    metrics.setReady(false);
    logger.info('Draining: not ready, still answering the broker', { drainMs });
    await Promise.all([feed.stop(), drainWait(drainMs)]);
    await Promise.all([auth.close(), admin.close()]);
    await pendingSave;
    logger.info('Sidecar stopped');
  };

  return {
    authPort: auth.port,
    adminPort: admin.port,
    get version() {
      return decider.index?.version;
    },
    get ready() {
      return decider.index !== undefined && !draining;
    },
    flush: () => pendingSave,
    stop(options = {}) {
      stopping ??= stop(options.drainMs ?? config.drainSeconds * 1000);
      return stopping;
    },
  };
}

/**
 * The command-line entry point (bin/brom-sidecar.js): configuration from the environment, stop
 * with a drain on SIGTERM or SIGINT.
 */
export async function runFromEnvironment(
  env: NodeJS.ProcessEnv = process.env,
  options: { build?: SidecarBuild } = {},
): Promise<void> {
  let config: SidecarConfig;
  try {
    config = readSidecarConfig(env);
  } catch (error) {
    if (error instanceof SidecarConfigError) {
      process.stderr.write(
        `${JSON.stringify({
          level: 'error',
          msg: 'Invalid configuration',
          error: error.message,
        })}\n`,
      );
      process.exitCode = 2;
      return;
    }
    throw error;
  }
  const handle = await startSidecar(config, { build: options.build });
  const onSignal = (signal: NodeJS.Signals) => {
    // A second signal during the drain means "now".
    process.once(signal, () => process.exit(1));
    handle.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
}

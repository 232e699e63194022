import { readFileSync } from 'node:fs';
import { SidecarConfig, SidecarConfigError, readSidecarConfig } from './config';
import { Backoff, exponentialBackoff } from './feed/backoff';
import {
  AcceptedSnapshot,
  FeedTimers,
  SYSTEM_TIMERS,
  SnapshotFeed,
} from './feed/SnapshotFeed';
import { tokenSource } from './feed/tokenSource';
import { AuthzDecider } from './index/AuthzDecider';
import { AuthzIndex } from './index/AuthzIndex';
import { JsonLogger, Logger, errorMessage } from './logger';
import { SidecarMetrics, SnapshotSource } from './metrics';
import { AdminServer, SidecarStatus } from './server/AdminServer';
import { AuthServer } from './server/AuthServer';
import { SnapshotSaver } from './store/SnapshotSaver';
import { SnapshotStore, SnapshotStoreError } from './store/SnapshotStore';

/** Collaborators tests replace; production uses the defaults. */
export interface SidecarDependencies {
  logger?: Logger;
  /** Epoch milliseconds, for credential expiry, snapshot age and logs. */
  now?: () => number;
  /** Replaces the exponential backoff built from the configuration. */
  backoff?: Backoff;
  /** The timers the feed waits out its backoff with; tests pass a fake clock's. */
  feedTimers?: FeedTimers;
  /**
   * The timers a failed disk write is retried with; tests pass a fake clock's. Defaults to the
   * system's.
   */
  saveTimers?: FeedTimers;
  /** Replaces the backoff failed disk writes are retried with. */
  saveBackoff?: Backoff;
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
  /** The version on disk, which is the one named to the portal (decision 0012, amendment). */
  readonly savedVersion: number | undefined;
  /**
   * Resolves once the disk write in progress, if any, has ended: then every snapshot accepted so
   * far is on disk unless a write failed (`savedVersion` tells; a failed one is retried).
   */
  flush(): Promise<void>;
  /**
   * Flips readiness to not-ready, stops polling, keeps answering the broker for the drain window
   * (the configured one unless overridden), then closes both ports. Idempotent.
   */
  stop(options?: { drainMs?: number }): Promise<void>;
}

/** The milliseconds a failed disk write is retried after, at most (see the saver's backoff). */
const SAVE_RETRY_MAX_MS = 30_000;

/**
 * Starts the sidecar: checks the disk copy's directory is writable (rejects with a
 * `SnapshotStoreError` otherwise), loads the disk copy (if valid) so decisions can start before
 * the portal answers, opens the auth and admin ports, and starts the feed. Fails closed: until a
 * snapshot is loaded from disk or the feed, every answer is deny.
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

  // A volume that cannot take the disk copy would leave every version unconfirmed: say so now.
  await store.checkWritable();

  let source: SnapshotSource | undefined;
  let draining = false;

  const install = (
    accepted: Pick<AcceptedSnapshot, 'head' | 'whole' | 'change'>,
    from: SnapshotSource,
  ) => {
    const { head, change } = accepted;
    // A delta's change updates the index it was made from; anything else is compiled whole.
    const held = decider.index;
    const index =
      change !== undefined &&
      held !== undefined &&
      held.version === change.from &&
      held.epoch === head.epoch
        ? held.apply({ snapshot: head, change })
        : AuthzIndex.compile({ snapshot: accepted.whole() });
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
      generatedAt: head.generatedAt,
    });
  };

  // In a function of its own, so nothing keeps the disk copy's parsed snapshot once compiled.
  const installFromDisk = async () => {
    const stored = await store.load();
    if (stored) {
      try {
        const { snapshot } = stored;
        install({ head: snapshot, whole: () => snapshot }, 'disk');
      } catch (error) {
        logger.error('Cannot compile the snapshot on disk; ignoring it', {
          error: errorMessage(error),
        });
      }
    }
  };
  await installFromDisk();
  const saver = SnapshotSaver.create({
    store,
    backoff:
      dependencies.saveBackoff ??
      exponentialBackoff({
        initialMs: Math.min(config.backoffInitialMs, SAVE_RETRY_MAX_MS),
        // Each retry lets one poll through; more than the portal's 90 s staleness apart and it
        // would stop counting this sidecar.
        maxMs: Math.min(config.backoffMaxMs, SAVE_RETRY_MAX_MS),
      }),
    timers: dependencies.saveTimers ?? SYSTEM_TIMERS,
    logger: logger.child({ component: 'store' }),
    metrics,
    now,
    saved: decider.index
      ? { version: decider.index.version, epoch: decider.index.epoch }
      : undefined,
  });
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
    // The portal is told the version on disk, never a newer one held only in memory (0012).
    confirmed: () => saver.saved,
    untilNextSave: () => saver.nextAttempt(),
    accept: accepted => {
      install(accepted, 'feed');
      // The feed polls again once the first write has ended, naming `saver.saved`.
      return saver.save(accepted.bytes, {
        version: accepted.head.version,
        epoch: accepted.head.epoch,
      });
    },
    metrics,
    logger: logger.child({ component: 'feed' }),
    now,
    timers: dependencies.feedTimers,
  });

  const status = (): SidecarStatus => {
    const index = decider.index;
    const lastSuccess = feed.lastSuccessMs;
    const failure = saver.failure;
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
      disk: {
        savedVersion: saver.saved?.version ?? null,
        ...(failure
          ? {
              failure: {
                version: failure.version,
                failingForSeconds: Math.max(
                  0,
                  (now() - failure.sinceMs) / 1000,
                ),
                attempts: failure.attempts,
                error: failure.error,
              },
            }
          : {}),
      },
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
    await Promise.all([auth.close(), feed.stop(), saver.stop()]);
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
    await saver.stop();
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
    get savedVersion() {
      return saver.saved?.version;
    },
    flush: () => saver.settled(),
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
      failToStart('Invalid configuration', error);
      return;
    }
    throw error;
  }
  let handle: SidecarHandle;
  try {
    handle = await startSidecar(config, { build: options.build });
  } catch (error) {
    if (error instanceof SnapshotStoreError) {
      failToStart('Cannot start', error);
      return;
    }
    throw error;
  }
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

/** An error the operator can fix: one JSON line on stderr and exit status 2, no stack. */
function failToStart(msg: string, error: Error): void {
  process.stderr.write(
    `${JSON.stringify({ level: 'error', msg, error: error.message })}\n`,
  );
  process.exitCode = 2;
}

import { LoggerService } from '@backstage/backend-plugin-api';
import { ManagementClient } from '@internal/rabbitmq-management';
import { sidecarVersions } from '../../authz/createAuthzFeedRouter';
import { BromConfig } from '../../config';
import { systemClock } from '../core/backoff';
import { BromStore } from '../../store/BromStore';
import { StateWatcher } from '../../store/StateWatcher';
import { DatabaseLeaderLease } from './LeaderLease';
import { ManagementBrokerApi } from './ManagementBrokerApi';
import { createReconcilerMetrics } from './metrics';
import { Reconciler } from './Reconciler';
import { ReconcilerRunner } from './ReconcilerRunner';
import { SecretBox } from '../../service/secretBox';
import { DatabaseReconcilerStore } from './ReconcilerStore';

/**
 * A client of the broker's management API as configured, or undefined when no broker is
 * configured. Whoever creates one closes it (its pools keep connections alive).
 */
export function createManagementClient(
  config: BromConfig,
): ManagementClient | undefined {
  if (config.broker.managementUrls.length === 0 || !config.broker.password)
    return undefined;
  return ManagementClient.create({
    baseUrl: config.broker.managementUrls,
    username: config.broker.username,
    password: config.broker.password,
    headersTimeoutMs: config.broker.requestTimeoutMs,
    bodyTimeoutMs: config.broker.requestTimeoutMs,
    connectTimeoutMs: Math.min(config.broker.requestTimeoutMs, 5000),
  });
}

/** Builds the reconciler from config, or explains in the log why this backend runs none. */
export function createReconcilerRunner(options: {
  config: BromConfig;
  store: BromStore;
  watcher: StateWatcher;
  logger: LoggerService;
  /** Hears which applications' recorded broker status changed (see DatabaseReconcilerStore). */
  onStatusChange?: (applications: string[]) => void;
  /** Opens external producers' upstream passwords. */
  secrets?: SecretBox | null;
}): ReconcilerRunner | undefined {
  const { config, store, watcher } = options;
  const logger = options.logger.child({ component: 'reconciler' });
  if (!config.reconciler.enabled) {
    logger.info('The reconciler is disabled (brom.reconciler.enabled: false)');
    return undefined;
  }
  const client = createManagementClient(config);
  if (!client) {
    logger.warn(
      'No broker configured (brom.broker.managementUrl(s) and password): nothing is synced to RabbitMQ',
    );
    return undefined;
  }
  // The leader's own client: its pools serve only the reconciler's requests.
  const broker = ManagementBrokerApi.create({
    client,
    username: config.broker.username,
  });
  const clock = systemClock;
  const lease = DatabaseLeaderLease.create({ store, logger, clock });
  const reconciler = Reconciler.create({
    store: DatabaseReconcilerStore.create(store, {
      onStatusChange: options.onStatusChange,
      secrets: options.secrets,
    }),
    broker,
    logger,
    topology: {
      vhost: config.vhost,
      prefix: config.prefix,
      queueType: config.broker.queueType,
      policyPriority: config.broker.policyPriority,
      authzMode: config.authzMode,
      deadLetters: config.deadLetters,
    },
    concurrency: config.reconciler.concurrency,
    backoffBaseMs: config.reconciler.backoffBaseMs,
    backoffCapMs: config.reconciler.backoffCapMs,
    sidecarVersions: async () =>
      (
        await sidecarVersions(store, {
          now: new Date(clock.now()),
          withinMs: config.reconciler.sidecarStaleMs,
        })
      ).map(s => s.version),
    revocationGraceMs: config.reconciler.revocationGraceMs,
    metrics: createReconcilerMetrics(),
    clock,
    mayWrite: () => lease.holds(),
  });
  return ReconcilerRunner.create({
    reconciler,
    watcher,
    lease,
    logger,
    resyncMs: config.reconciler.resyncMs,
    clock,
    release: () => broker.close(),
  });
}

import { PermissionsService } from '@backstage/backend-plugin-api';
import { CatalogExport } from '@internal/plugin-brom-common';
import { BromUnitOfWork, DatabaseUnitOfWork } from '../store/BromRepositories';
import { BromStore } from '../store/BromStore';
import { desiredTopology } from '../reconciler/core/topology';
import { TopologyOptions } from '../reconciler/core/types';
import { DatabaseReconcilerStore } from '../reconciler/runtime/ReconcilerStore';
import { ApplicationAccess } from './ApplicationAccess';
import { ApplicationService } from './ApplicationService';
import { AuditService } from './AuditService';
import { CatalogExportService } from './CatalogExportService';
import { CredentialService } from './CredentialService';
import { DeadLetterBroker, DeadLetterService } from './DeadLetterService';
import { NotificationTypeService } from './NotificationTypeService';
import { SecretBox } from './secretBox';
import { StatusService, StatusVerification } from './StatusService';
import {
  BrokerStatsCache,
  BrokerStatsSource,
  QueueHealthService,
} from './QueueHealthService';
import { SubscriptionService } from './SubscriptionService';

/** The portal's services, one per aggregate, over one set of repositories. */
export interface PortalServices {
  work: BromUnitOfWork;
  applications: ApplicationService;
  notificationTypes: NotificationTypeService;
  subscriptions: SubscriptionService;
  credentials: CredentialService;
  audit: AuditService;
  status: StatusService;
  catalog: CatalogExportService;
  /** Undefined when no management API is configured. */
  health?: QueueHealthService;
  /** Peek, replay, purge; without a management API they answer 503 after the checks. */
  deadLetters: DeadLetterService;
}

/** Assembles the portal's services, for the plugin and for benchmarks that drive them directly. */
export function createPortalServices(options: {
  store: BromStore;
  permissions: PermissionsService;
  /** Names an application may not take: broker users and RabbitMQ's own. */
  reservedNames: string[];
  broker: CatalogExport['broker'];
  /** How the reconciler names broker objects: the status compares its records with them. */
  topology: TopologyOptions;
  /** Whether external producers may be registered, and what seals their passwords. */
  externalProducers?: { enabled: boolean; secrets: SecretBox | null };
  clock?: () => Date;
  /** The least a sunset may lie ahead when a type is deprecated. Default 30. */
  minimumSunsetDays?: number;
  /** The status's own look at an application's objects on the broker; none without. */
  statusVerification?: StatusVerification;
  /** Called after each committed write with the new state version. */
  onCommit?: (version: number) => void;
  /** The broker's statistics for queue health, read at most once per `ttlMs` (5 s). */
  brokerStats?: { source: BrokerStatsSource; ttlMs?: number };
  /** The management API the dead-letter tools use; none without. */
  deadLetterBroker?: DeadLetterBroker;
}): PortalServices {
  const clock = options.clock ?? (() => new Date());
  const work = DatabaseUnitOfWork.create({
    store: options.store,
    onCommit: options.onCommit,
  });
  const access = ApplicationAccess.create({
    permissions: options.permissions,
    applications: work.repositories.applications,
  });
  const subscriptions = SubscriptionService.create({ work, access, clock });
  // The status only needs the desired objects' keys: it reads without opening passwords.
  const reconcilerStore = DatabaseReconcilerStore.create(options.store);
  return {
    work,
    applications: ApplicationService.create({
      work,
      access,
      subscriptions,
      reservedNames: options.reservedNames,
      externalProducers: options.externalProducers,
      clock,
    }),
    notificationTypes: NotificationTypeService.create({
      work,
      access,
      subscriptions,
      clock,
      minimumSunsetDays: options.minimumSunsetDays,
    }),
    subscriptions,
    credentials: CredentialService.create({ work, access, clock }),
    audit: AuditService.create({ work, access }),
    status: StatusService.create({
      work,
      access,
      vhost: options.topology.vhost,
      prefix: options.topology.prefix,
      verification: options.statusVerification,
      clock,
      desired: async () =>
        desiredTopology((await reconcilerStore.read(clock())).input, options.topology),
    }),
    catalog: CatalogExportService.create({ work, broker: options.broker }),
    deadLetters: DeadLetterService.create({
      work,
      access,
      broker: options.deadLetterBroker,
      vhost: options.topology.vhost,
      prefix: options.topology.prefix,
      clock,
    }),
    health: options.brokerStats
      ? QueueHealthService.create({
          access,
          prefix: options.topology.prefix,
          cache: new BrokerStatsCache({
            source: options.brokerStats.source,
            ttlMs: options.brokerStats.ttlMs ?? 5000,
            clock,
          }),
        })
      : undefined,
  };
}

/**
 * Test utilities shared with the cross-package suites in test/: a BROM backend with the
 * real permission backend and policy, its users and groups, and an OpenAPI-checked client.
 */
export * from './backend';
export * from './client';

// The plugin's internals, assembled by benchmarks the way plugin.ts assembles them.
export {
  desiredTopology,
  nativePermissions,
} from '../reconciler/core/topology';
export { applicationObjectNames } from '../reconciler/core/naming';
export type { TopologyOptions } from '../reconciler/core/types';
export type { Actor } from '../service/Actor';
export { createPortalServices } from '../service/createPortalServices';
export { BromStore } from '../store/BromStore';
export { StateWatcher } from '../store/StateWatcher';
export { DatabaseLeaderLease } from '../reconciler/runtime/LeaderLease';
export { ManagementBrokerApi } from '../reconciler/runtime/ManagementBrokerApi';
export { Reconciler } from '../reconciler/runtime/Reconciler';
export { ReconcilerRunner } from '../reconciler/runtime/ReconcilerRunner';
export { DatabaseReconcilerStore } from '../reconciler/runtime/ReconcilerStore';
export { DatabaseApplicationStore } from '../store/ApplicationStore';
export { DatabaseSubscriptionStore } from '../store/SubscriptionStore';
export { buildAuthzSnapshot } from '../authz/AuthzPolicy';
export { AuthzSnapshotBuilder } from '../authz/AuthzSnapshotBuilder';
export { managementStatsSource } from '../service/managementStatsSource';
export { QUEUE_HEALTH_COLUMNS } from '../service/QueueHealthService';

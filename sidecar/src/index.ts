/**
 * The BROM authz sidecar: answers RabbitMQ's HTTP auth backend from an in-memory snapshot fed
 * by the portal. Run it with bin/brom-sidecar.js; the exports serve tests and embedding.
 *
 * @packageDocumentation
 */

export { startSidecar, runFromEnvironment } from './main';
export type { SidecarBuild, SidecarDependencies, SidecarHandle } from './main';
export {
  CONFIG_DEFAULTS,
  DEFAULT_SNAPSHOT_PATH,
  SidecarConfigError,
  readSidecarConfig,
} from './config';
export type { SidecarConfig } from './config';
export { hashSecret } from './index/hash';
export { AuthzIndex } from './index/AuthzIndex';
export { AuthzDecider } from './index/AuthzDecider';
export {
  SnapshotStore,
  SnapshotStoreError,
  journalPath,
} from './store/SnapshotStore';
export type { StoredSnapshot } from './store/SnapshotStore';
export { exponentialBackoff } from './feed/backoff';
export type { Backoff } from './feed/backoff';
export { JsonLogger } from './logger';
export type { Logger, LogLevel, LogSink } from './logger';

/**
 * The authz snapshot format shared by the BROM backend (which publishes it) and the authz
 * sidecar (which enforces it). Free of runtime dependencies, Node built-ins included, so that
 * both sides can import it anywhere.
 *
 * @packageDocumentation
 */

export {
  AUTHZ_SNAPSHOT_FORMAT,
  AuthzSnapshotError,
  parseAuthzSnapshot,
} from './snapshot';
export type {
  AuthzApplication,
  AuthzCredential,
  AuthzSnapshot,
  AuthzTopicWrite,
} from './snapshot';
export {
  MAX_ROUTING_KEY_LENGTH,
  ROUTING_KEY_WORD,
  RoutingKeyPatternError,
  compileRoutingKeyPattern,
  compileRoutingKeyPatterns,
  isValidRoutingKeyPattern,
  routingKeyPatternProblem,
  routingKeyPatternsOverlap,
  routingKeyPatternsToBrokerRegex,
  routingKeyPatternsToRegExp,
} from './routingKey';
export {
  CREDENTIAL_HASH_BYTES,
  CREDENTIAL_HASH_TEST_VECTOR,
  CREDENTIAL_SALT_BYTES,
  credentialDigest,
  credentialHash,
} from './credentialHash';
export type { Sha256 } from './credentialHash';
export {
  AuthzSnapshotDeltaGapError,
  AuthzSnapshotHolder,
  applyAuthzSnapshotDelta,
  applyAuthzSnapshotDeltaWithChange,
  authzSnapshotBody,
  authzSnapshotDeltaBody,
  authzSnapshotEntries,
  authzSnapshotHead,
  isAuthzSnapshotDelta,
} from './delta';
export type {
  AuthzSnapshotChange,
  AuthzSnapshotDelta,
  AuthzSnapshotEntries,
  AuthzSnapshotHead,
  AuthzSnapshotKeys,
  PreparedAuthzSnapshotDelta,
} from './delta';
export { LayeredMap } from './LayeredMap';
export type { LayeredMapDraft } from './LayeredMap';
export {
  AUTHZ_SNAPSHOT_HTTP,
  formatAuthzSnapshotETag,
  parseAuthzSnapshotETag,
} from './contract';

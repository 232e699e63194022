export * from './types';
export {
  DEFAULT_NAME_PREFIX,
  applicationObjectNames,
  bindingKey,
  describeKey,
  escapeRegex,
  exactNamePattern,
  exchangeKey,
  policyKey,
  queueKey,
  vhostKey,
} from './naming';
export type { ApplicationObjectNames } from './naming';
export { desiredTopology } from './topology';
export { plan, planIsEmpty, plannedWrites } from './plan';
export type {
  AdoptAction,
  BlockedAction,
  BlockedReason,
  ConflictAction,
  CreateAction,
  DeleteAction,
  Plan,
  PlanStage,
  PlanWave,
  TerminalAction,
  UpdateAction,
} from './plan';
export {
  nextCondition,
  plannedReadiness,
  summariseApplication,
} from './conditions';
export type {
  Condition,
  ConditionUpdate,
  ObjectStatus,
  Readiness,
} from './conditions';
export {
  Backoff,
  DEFAULT_BACKOFF_BASE_MS,
  DEFAULT_BACKOFF_CAP_MS,
  systemClock,
} from './backoff';
export type { BackoffDecision, BackoffOptions, Clock } from './backoff';
export { RateLimitedWorkQueue } from './workQueue';
export type { WorkQueueOptions } from './workQueue';

import type { Condition } from '@internal/plugin-brom-common';
import { compareCodeUnits, describeKey } from './naming';
import { Plan } from './plan';

// The condition's shape is the API's (brom-common); a type-only import keeps the core free of
// runtime dependencies.
export type { Condition };

/** A condition as a pass computes it, before it knows when the status last moved. */
export type ConditionUpdate = Omit<Condition, 'lastTransitionTime'>;

/** What a condition says, without the generation it was computed for. */
export type Readiness = Pick<Condition, 'status' | 'reason' | 'message'>;

/**
 * The condition to store. `lastTransitionTime` moves only when the status moves, so it
 * says how long an object has been ready (or failing), not when it was last looked at.
 */
export function nextCondition(
  previous: Condition | undefined,
  next: ConditionUpdate,
  now: Date,
): Condition {
  return {
    ...next,
    lastTransitionTime:
      previous && previous.status === next.status
        ? previous.lastTransitionTime
        : now.toISOString(),
  };
}

const IN_PROGRESS_REASON = {
  create: 'Creating',
  update: 'Updating',
  delete: 'Deleting',
} as const;

const IN_PROGRESS_MESSAGE = {
  create: 'creating on the broker',
  delete: 'deleting from the broker',
} as const;

/**
 * What each object's readiness is before the plan is applied, keyed by object key: in
 * sync or adopted objects are ready, writes are in progress (the applier replaces that
 * with the outcome), conflicts, terminal and held-back actions say why they are not.
 */
export function plannedReadiness(p: Plan): Map<string, Readiness> {
  const readiness = new Map<string, Readiness>();
  for (const key of p.inSync) {
    readiness.set(key, {
      status: 'True',
      reason: 'InSync',
      message: 'matches the broker',
    });
  }
  for (const { key, readiness: health } of p.running) {
    readiness.set(key, health);
  }
  for (const adoption of p.adoptions) {
    readiness.set(adoption.key, {
      status: 'True',
      reason: 'Adopted',
      message: 'an identical object already existed and is now managed by BROM',
    });
  }
  for (const wave of p.waves) {
    for (const action of wave.actions) {
      readiness.set(action.key, {
        status: 'Unknown',
        reason: IN_PROGRESS_REASON[action.action],
        message:
          action.action === 'update'
            ? `updating: ${action.differences.join('; ')}`
            : IN_PROGRESS_MESSAGE[action.action],
      });
    }
  }
  for (const problem of [...p.conflicts, ...p.terminal, ...p.blocked]) {
    readiness.set(problem.key, {
      status: 'False',
      reason: problem.reason,
      message: problem.message,
    });
  }
  return readiness;
}

/** One object's condition, as a summary reads it. */
export interface ObjectStatus {
  key: string;
  condition: Readiness;
}

const DETAILS_SHOWN = 3;

/**
 * One line for an application's status, e.g.
 * `3 of 4 objects ready; binding brom.orders->queue:brom.billing:order.* failing: … (Conflict)`.
 * Failures come before objects still in progress; the rest are counted, not listed.
 */
export function summariseApplication(objects: readonly ObjectStatus[]): string {
  if (objects.length === 0) return 'no broker objects';
  const ready = objects.filter(o => o.condition.status === 'True').length;
  const notReady = objects
    .filter(o => o.condition.status !== 'True')
    .sort((a, b) => {
      const rank = (o: ObjectStatus) =>
        o.condition.status === 'False' ? 0 : 1;
      return rank(a) - rank(b) || compareCodeUnits(a.key, b.key);
    });
  const details = notReady.slice(0, DETAILS_SHOWN).map(o => {
    const { kind, name } = describeKey(o.key);
    const verb = o.condition.status === 'False' ? 'failing' : 'pending';
    return `${kind} ${name} ${verb}: ${o.condition.message} (${o.condition.reason})`;
  });
  if (notReady.length > DETAILS_SHOWN) {
    details.push(`${notReady.length - DETAILS_SHOWN} more not ready`);
  }
  return [`${ready} of ${objects.length} objects ready`, ...details].join('; ');
}

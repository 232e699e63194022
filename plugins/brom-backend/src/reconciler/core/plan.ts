import type { Readiness } from './conditions';
import { desiredObjects, KINDS, kindOf, ObservedOf, observedObjects, PlanStage } from './kinds';
import {
  applicationKey,
  applicationObjectNames,
  bindingKey,
  compareCodeUnits,
  describeKey,
  exchangeKey,
  policyKey,
  queueKey,
  shovelKey,
} from './naming';
import {
  BrokerObjectKind,
  BrokerTopology,
  DesiredObject,
  ObservedObject,
  ObservedTopology,
  TopologyOptions,
} from './types';

/** Put a desired object that the broker does not have. */
export interface CreateAction {
  action: 'create';
  key: string;
  object: DesiredObject;
}

/** Re-put a managed object that can change in place (see `updatable` in `kinds.ts`). */
export interface UpdateAction {
  action: 'update';
  key: string;
  object: DesiredObject;
  observed: ObservedOf<BrokerObjectKind>;
  differences: string[];
}

type DeletableObject = Exclude<ObservedObject, { kind: 'vhost' }>;

/** Delete a managed object nothing asks for any more; `observed` names it for the API. */
export type DeleteAction = { action: 'delete' } & DeletableObject;

/** Record as managed an object that already matches exactly; no broker write. */
export interface AdoptAction {
  action: 'adopt';
  key: string;
  object: DesiredObject;
}

/** An object we do not manage stands where a desired one should be; never touched. */
export interface ConflictAction {
  action: 'conflict';
  key: string;
  reason: 'Conflict';
  message: string;
  object: DesiredObject;
  observed: ObservedObject;
  differences: string[];
}

/**
 * A managed object differs in what the broker cannot change in place. Retrying cannot
 * help: it waits for the spec (or an operator) to change.
 */
export interface TerminalAction {
  action: 'terminal';
  key: string;
  reason: 'InequivalentArguments';
  message: string;
  object: DesiredObject;
  observed: ObservedObject;
  differences: string[];
}

export type BlockedReason =
  | 'QueueNotEmpty'
  | 'QueueMessageCountUnknown'
  | 'DependencyConflict';

/** A write the plan holds back, with the action it would have been. */
export interface BlockedAction {
  action: 'blocked';
  key: string;
  reason: BlockedReason;
  message: string;
  heldBack: CreateAction | UpdateAction | DeleteAction;
}

/** Writes that do not depend on each other: an applier may run them concurrently. */
export type PlanWave =
  | {
      stage: PlanStage;
      operation: 'put';
      actions: Array<CreateAction | UpdateAction>;
    }
  | {
      stage: Exclude<PlanStage, 'vhost'>;
      operation: 'delete';
      actions: DeleteAction[];
    };

export interface Plan {
  /**
   * Broker writes in the order they must happen: puts in the order of `KINDS` (vhost,
   * exchanges, policies, queues, bindings), then deletions in reverse. Puts come first so
   * that a binding whose routing key changed is replaced make-before-break. Empty when the
   * broker already matches.
   */
  waves: PlanWave[];
  adoptions: AdoptAction[];
  conflicts: ConflictAction[];
  terminal: TerminalAction[];
  blocked: BlockedAction[];
  /** Desired, observed, managed and equal. */
  inSync: string[];
  /**
   * Desired, observed, managed and equal objects that run (a shovel), with how they are
   * doing; their readiness is theirs, not `InSync`.
   */
  running: Array<{ key: string; readiness: Readiness }>;
  /** Deleted rows whose managed broker objects are all gone: the finalizer may remove them. */
  finalizable: { applicationIds: string[]; notificationTypeIds: string[] };
}

/**
 * Which applications' names a broker object carries. Ownership is the managed record; this
 * only says which application a managed object was made for, to decide whose confirmation
 * a queue deletion needs and which deleted rows still have objects on the broker.
 */
class ApplicationAttribution {
  private constructor(
    /** Application id by the key of each named object made for it. */
    private readonly named: Map<string, string>,
    private readonly queueGroupMembers: Map<string, string>,
    readonly confirmed: Set<string>,
    readonly names: Map<string, string>,
  ) {}

  static of(
    desired: BrokerTopology,
    options: TopologyOptions,
  ): ApplicationAttribution {
    const named = new Map<string, string>();
    const queueGroupMembers = new Map<string, string>();
    for (const application of desired.applications) {
      const names = applicationObjectNames(options.prefix, application.name);
      for (const key of [
        // What its credentials' broker users and permissions are made for (native mode).
        applicationKey(application.name),
        exchangeKey(names.exchange),
        exchangeKey(names.deadLetterExchange),
        queueKey(names.queue),
        queueKey(names.deadLetterQueue),
        policyKey(names.policy),
        policyKey(names.legacyDeadLetterPolicy),
        shovelKey(names.base),
      ]) {
        named.set(key, application.id);
      }
      for (const key of [
        queueKey(names.queue),
        queueKey(names.deadLetterQueue),
        exchangeKey(names.deadLetterExchange),
        bindingKey(
          names.deadLetterExchange,
          'queue',
          names.deadLetterQueue,
          '',
        ),
        policyKey(names.policy),
        policyKey(names.legacyDeadLetterPolicy),
      ]) {
        queueGroupMembers.set(key, application.id);
      }
    }
    return new ApplicationAttribution(
      named,
      queueGroupMembers,
      new Set(
        desired.applications
          .filter(a => a.queueDeletionConfirmed)
          .map(a => a.id),
      ),
      new Map(desired.applications.map(a => [a.id, a.name])),
    );
  }

  applicationsOf(object: ObservedObject): string[] {
    return kindOf(object.kind)
      .madeFor(object.observed)
      .map(key => this.named.get(key))
      .filter((id): id is string => id !== undefined);
  }

  /**
   * The consumer whose queue group (queue, dead-letter queue and exchange, the binding
   * between them, the policy) this object belongs to; producers' bindings into the queue
   * are not part of it.
   */
  queueGroupOf(key: string): string | undefined {
    return this.queueGroupMembers.get(key);
  }
}

/**
 * The difference between what the store asks for and what the broker has, as writes in a
 * safe order. Pure. `managed` is the set of keys the store records as created or adopted
 * in this vhost: that record, never an object's name, decides what we may change or delete.
 */
export function plan(
  desired: BrokerTopology,
  observed: ObservedTopology,
  managed: ReadonlySet<string>,
  options: TopologyOptions,
): Plan {
  const observedByKey = new Map(observedObjects(observed).map(o => [o.key, o]));
  const wanted = desiredObjects(desired);
  const desiredKeys = new Set(wanted.map(o => o.key));

  const puts: Array<CreateAction | UpdateAction> = [];
  const adoptions: AdoptAction[] = [];
  const conflicts: ConflictAction[] = [];
  const terminal: TerminalAction[] = [];
  const blocked: BlockedAction[] = [];
  const inSync: string[] = [];
  const running: Plan['running'] = [];

  for (const object of wanted) {
    const found = observedByKey.get(object.key);
    if (!found) {
      puts.push({ action: 'create', key: object.key, object });
      continue;
    }
    const compare = kindOf(object.kind).compare;
    const differences = compare?.differences(object, found.observed) ?? [];
    const summary = differences.join('; ');
    const health = kindOf(object.kind).health;
    if (managed.has(object.key)) {
      if (differences.length === 0) {
        const readiness = health?.(object, found.observed);
        if (readiness) running.push({ key: object.key, readiness });
        else inSync.push(object.key);
      } else if (compare?.updatable) {
        puts.push({
          action: 'update',
          key: object.key,
          object,
          observed: found.observed,
          differences,
        });
      } else {
        const { kind, name } = describeKey(object.key);
        terminal.push({
          action: 'terminal',
          key: object.key,
          reason: 'InequivalentArguments',
          message: `${kind} ${name} cannot be changed in place: ${summary}`,
          object,
          observed: found,
          differences,
        });
      }
    } else if (differences.length === 0) {
      adoptions.push({ action: 'adopt', key: object.key, object });
    } else {
      conflicts.push({
        action: 'conflict',
        key: object.key,
        reason: 'Conflict',
        message: `an unmanaged ${found.kind} with the same identity exists and differs: ${summary}`,
        object,
        observed: found,
        differences,
      });
    }
  }

  // Writing a binding or policy onto an object someone else owns would route our messages
  // into it or change its behaviour: that is touching it, so such writes wait.
  const conflictKeys = new Set(conflicts.map(c => c.key));
  const unblockedPuts = puts.filter(put => {
    const conflicting = put.object.dependsOn.filter(k => conflictKeys.has(k));
    if (conflicting.length === 0) return true;
    const on = conflicting.join(', ');
    blocked.push({
      action: 'blocked',
      key: put.key,
      reason: 'DependencyConflict',
      message: `waits for the conflict on ${on} to be resolved`,
      heldBack: put,
    });
    return false;
  });

  const attribution = ApplicationAttribution.of(desired, options);
  const deletions: DeleteAction[] = [];
  // A managed key neither desired nor observed gets no outcome: its record is dropped.
  for (const key of [...managed].sort()) {
    if (desiredKeys.has(key)) continue;
    const found = observedByKey.get(key);
    if (found && kindOf(found.kind).remove) {
      deletions.push({ action: 'delete', ...found } as DeleteAction);
    }
  }
  const unblockedDeletions = holdBackNonEmptyQueues(
    deletions,
    attribution,
    blocked,
  );

  const waves: PlanWave[] = [];
  for (const { kind, stage } of KINDS) {
    const actions = unblockedPuts
      .filter(a => a.object.kind === kind)
      .sort(byKey);
    if (actions.length > 0) waves.push({ stage, operation: 'put', actions });
  }
  for (const { kind, stage, remove } of [...KINDS].reverse()) {
    if (!remove || stage === 'vhost') continue;
    const actions = unblockedDeletions
      .filter(a => a.kind === kind)
      .sort(byKey);
    if (actions.length > 0) waves.push({ stage, operation: 'delete', actions });
  }

  // A deleted row may go once none of its managed objects is still on the broker. This
  // reads observed state, so a row whose objects this plan deletes goes on the next pass.
  const remaining = [...managed].filter(k => observedByKey.has(k));
  const applicationsWithObjects = new Set(
    remaining.flatMap(k => attribution.applicationsOf(observedByKey.get(k)!)),
  );
  const finalizable = {
    applicationIds: desired.applications
      .filter(a => a.deleted && !applicationsWithObjects.has(a.id))
      .map(a => a.id),
    notificationTypeIds: desired.deletedNotificationTypes
      .filter(
        t =>
          !t.bindingKeys.some(
            k => managed.has(k) && observedByKey.has(k) && !desiredKeys.has(k),
          ),
      )
      .map(t => t.id),
  };

  return {
    waves,
    adoptions: adoptions.sort(byKey),
    conflicts: conflicts.sort(byKey),
    terminal: terminal.sort(byKey),
    blocked: blocked.sort(byKey),
    inSync: inSync.sort(),
    running: running.sort(byKey),
    finalizable,
  };
}

/** Every broker write of the plan, in wave order. */
export function plannedWrites(
  p: Plan,
): Array<CreateAction | UpdateAction | DeleteAction> {
  return p.waves.flatMap(
    (wave): Array<CreateAction | UpdateAction | DeleteAction> => wave.actions,
  );
}

function byKey(a: { key: string }, b: { key: string }): number {
  return compareCodeUnits(a.key, b.key);
}

/**
 * Deleting a queue that holds messages discards them, so it needs the application's
 * confirmation. Without it the whole queue group stays as it is: deleting the policy or
 * the dead-letter exchange of a kept queue would change what happens to its messages.
 * Bindings into the queue still go, so nothing new arrives.
 */
function holdBackNonEmptyQueues(
  deletions: DeleteAction[],
  attribution: ApplicationAttribution,
  blocked: BlockedAction[],
): DeleteAction[] {
  const heldGroups = new Map<string, string>();
  const heldKeys = new Set<string>();
  for (const deletion of deletions) {
    if (deletion.kind !== 'queue') continue;
    const messages = deletion.observed.messages;
    if (messages === 0) continue;
    const group = attribution.queueGroupOf(deletion.key);
    if (group !== undefined && attribution.confirmed.has(group)) continue;
    const unknown = messages === undefined;
    const whose =
      group === undefined
        ? 'it belongs to no application that could confirm its deletion'
        : `application ${attribution.names.get(
            group,
          )} has not confirmed that its queued messages may be discarded`;
    blocked.push({
      action: 'blocked',
      key: deletion.key,
      reason: unknown ? 'QueueMessageCountUnknown' : 'QueueNotEmpty',
      message: unknown
        ? `queue ${deletion.observed.name} may hold messages (the broker reports no count) and ${whose}`
        : `queue ${deletion.observed.name} holds ${messages} messages and ${whose}`,
      heldBack: deletion,
    });
    heldKeys.add(deletion.key);
    if (group !== undefined && !heldGroups.has(group)) {
      heldGroups.set(group, deletion.observed.name);
    }
  }
  return deletions.filter(deletion => {
    if (heldKeys.has(deletion.key)) return false;
    const group = attribution.queueGroupOf(deletion.key);
    const queue = group === undefined ? undefined : heldGroups.get(group);
    if (queue === undefined) return true;
    blocked.push({
      action: 'blocked',
      key: deletion.key,
      reason: 'QueueNotEmpty',
      message: `kept with queue ${queue}, which still holds messages`,
      heldBack: deletion,
    });
    return false;
  });
}

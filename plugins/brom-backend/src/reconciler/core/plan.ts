import {
  applicationObjectNames,
  bindingKey,
  bindingWithArgumentsKey,
  compareCodeUnits,
  exchangeKey,
  policyKey,
  queueKey,
  vhostKey,
} from './naming';
import {
  BrokerArguments,
  BrokerObjectKind,
  BrokerTopology,
  DesiredExchange,
  DesiredObject,
  DesiredPolicy,
  DesiredQueue,
  JsonValue,
  ObservedExchange,
  ObservedObject,
  ObservedPolicy,
  ObservedQueue,
  ObservedTopology,
  TopologyOptions,
} from './types';

/** Put a desired object that the broker does not have. */
export interface CreateAction {
  action: 'create';
  key: string;
  object: DesiredObject;
}

/** Re-put a managed object that can change in place (only policies can). */
export interface UpdateAction {
  action: 'update';
  key: string;
  object: DesiredPolicy;
  observed: ObservedPolicy;
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
  object: DesiredExchange | DesiredQueue;
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

export type PlanStage =
  | 'vhost'
  | 'exchanges'
  | 'queues'
  | 'policies'
  | 'bindings';

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
   * Broker writes in the order they must happen: puts in dependency order (vhost,
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
  /** Deleted rows whose managed broker objects are all gone: the finalizer may remove them. */
  finalizable: { applicationIds: string[]; notificationTypeIds: string[] };
}

// Policies go before the queues they are for: a queue is then declared with its
// dead-lettering, TTL and length limit already in force (no window in which messages
// arrive without them), and policy writes stay fast: written after thousands of quorum
// queues, each took over a second (bench/README.md, "bench:reconciler"). A policy's
// pattern names exactly one queue, so creating it first affects nothing else.
const PUT_ORDER: PlanStage[] = [
  'vhost',
  'exchanges',
  'policies',
  'queues',
  'bindings',
];
const DELETE_ORDER: Exclude<PlanStage, 'vhost'>[] = [
  'bindings',
  'queues',
  'policies',
  'exchanges',
];
const STAGE_OF: Record<BrokerObjectKind, PlanStage> = {
  vhost: 'vhost',
  exchange: 'exchanges',
  queue: 'queues',
  policy: 'policies',
  binding: 'bindings',
};

/**
 * Which applications' names a broker object carries. Ownership is the managed record; this
 * only says which application a managed object was made for, to decide whose confirmation
 * a queue deletion needs and which deleted rows still have objects on the broker.
 */
class ApplicationAttribution {
  private constructor(
    private readonly exchanges: Map<string, string>,
    private readonly queues: Map<string, string>,
    private readonly policies: Map<string, string>,
    private readonly queueGroupMembers: Map<string, string>,
    readonly confirmed: Set<string>,
    readonly names: Map<string, string>,
  ) {}

  static of(
    desired: BrokerTopology,
    options: TopologyOptions,
  ): ApplicationAttribution {
    const exchanges = new Map<string, string>();
    const queues = new Map<string, string>();
    const policies = new Map<string, string>();
    const queueGroupMembers = new Map<string, string>();
    for (const application of desired.applications) {
      const names = applicationObjectNames(options.prefix, application.name);
      exchanges.set(names.exchange, application.id);
      exchanges.set(names.deadLetterExchange, application.id);
      queues.set(names.queue, application.id);
      queues.set(names.deadLetterQueue, application.id);
      policies.set(names.policy, application.id);
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
      ]) {
        queueGroupMembers.set(key, application.id);
      }
    }
    return new ApplicationAttribution(
      exchanges,
      queues,
      policies,
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
    const found: (string | undefined)[] = [];
    switch (object.kind) {
      case 'vhost':
        break;
      case 'exchange':
        found.push(this.exchanges.get(object.observed.name));
        break;
      case 'queue':
        found.push(this.queues.get(object.observed.name));
        break;
      case 'policy':
        found.push(this.policies.get(object.observed.name));
        break;
      case 'binding':
        found.push(this.exchanges.get(object.observed.source));
        if (object.observed.destination_type === 'queue') {
          found.push(this.queues.get(object.observed.destination));
        }
        break;
      default:
        return unreachable(object);
    }
    return found.filter((id): id is string => id !== undefined);
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
  const observedByKey = indexObserved(observed);
  const desiredObjects: DesiredObject[] = [
    desired.vhost,
    ...desired.exchanges,
    ...desired.queues,
    ...desired.policies,
    ...desired.bindings,
  ];
  const desiredKeys = new Set(desiredObjects.map(o => o.key));

  const puts: Array<CreateAction | UpdateAction> = [];
  const adoptions: AdoptAction[] = [];
  const conflicts: ConflictAction[] = [];
  const terminal: TerminalAction[] = [];
  const blocked: BlockedAction[] = [];
  const inSync: string[] = [];

  for (const object of desiredObjects) {
    const found = observedByKey.get(object.key);
    if (!found) {
      puts.push({ action: 'create', key: object.key, object });
      continue;
    }
    const differences = differencesFrom(object, found);
    const summary = differences.join('; ');
    if (managed.has(object.key)) {
      if (differences.length === 0) {
        inSync.push(object.key);
      } else if (object.kind === 'policy' && found.kind === 'policy') {
        puts.push({
          action: 'update',
          key: object.key,
          object,
          observed: found.observed,
          differences,
        });
      } else if (object.kind === 'exchange' || object.kind === 'queue') {
        terminal.push({
          action: 'terminal',
          key: object.key,
          reason: 'InequivalentArguments',
          message: `${object.kind} ${object.name} cannot be changed in place: ${summary}`,
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
    if (found && found.kind !== 'vhost') {
      // The vhost is configuration, not something an application asked for: never deleted.
      deletions.push({ action: 'delete', ...found });
    }
  }
  const unblockedDeletions = holdBackNonEmptyQueues(
    deletions,
    attribution,
    blocked,
  );

  const waves: PlanWave[] = [];
  for (const stage of PUT_ORDER) {
    const actions = unblockedPuts
      .filter(a => STAGE_OF[a.object.kind] === stage)
      .sort(byKey);
    if (actions.length > 0) waves.push({ stage, operation: 'put', actions });
  }
  for (const stage of DELETE_ORDER) {
    const actions = unblockedDeletions
      .filter(a => STAGE_OF[a.kind] === stage)
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

function indexObserved(
  observed: ObservedTopology,
): Map<string, ObservedObject> {
  const index = new Map<string, ObservedObject>();
  if (observed.vhost) {
    const key = vhostKey(observed.vhost.name);
    index.set(key, { kind: 'vhost', key, observed: observed.vhost });
  }
  for (const exchange of observed.exchanges) {
    const key = exchangeKey(exchange.name);
    index.set(key, { kind: 'exchange', key, observed: exchange });
  }
  for (const queue of observed.queues) {
    const key = queueKey(queue.name);
    index.set(key, { kind: 'queue', key, observed: queue });
  }
  for (const policy of observed.policies) {
    const key = policyKey(policy.name);
    index.set(key, { kind: 'policy', key, observed: policy });
  }
  for (const binding of observed.bindings) {
    // The default exchange's implicit binding to every queue cannot be managed or removed.
    if (binding.source === '') continue;
    const key = isEmpty(binding.arguments)
      ? bindingKey(
          binding.source,
          binding.destination_type,
          binding.destination,
          binding.routing_key,
        )
      : bindingWithArgumentsKey(
          binding.source,
          binding.destination_type,
          binding.destination,
          binding.routing_key,
          binding.properties_key,
        );
    index.set(key, { kind: 'binding', key, observed: binding });
  }
  return index;
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

function differencesFrom(
  desired: DesiredObject,
  found: ObservedObject,
): string[] {
  switch (desired.kind) {
    case 'vhost':
      return [];
    case 'exchange':
      return found.kind === 'exchange'
        ? exchangeDifferences(desired, found.observed)
        : [];
    case 'queue':
      return found.kind === 'queue'
        ? queueDifferences(desired, found.observed)
        : [];
    case 'policy':
      return found.kind === 'policy'
        ? policyDifferences(desired, found.observed)
        : [];
    case 'binding':
      // A binding's definition is its identity, which the key already holds.
      return [];
    default:
      return unreachable(desired);
  }
}

function unreachable(value: never): never {
  throw new Error(`unexpected broker object ${JSON.stringify(value)}`);
}

function exchangeDifferences(
  desired: DesiredExchange,
  observed: ObservedExchange,
): string[] {
  return [
    ...field('type', observed.type, desired.type),
    ...field('durable', observed.durable, desired.durable),
    ...field('auto_delete', observed.auto_delete ?? false, desired.autoDelete),
    ...field('internal', observed.internal ?? false, desired.internal),
    ...argumentDifferences(
      'arguments',
      observed.arguments ?? {},
      desired.arguments,
    ),
  ];
}

function queueDifferences(
  desired: DesiredQueue,
  observed: ObservedQueue,
): string[] {
  // Brokers differ in whether `arguments` repeats the type they report in `type`; a queue
  // declared without one is classic.
  const observedArguments: BrokerArguments = {
    'x-queue-type': observed.type ?? 'classic',
    ...(observed.arguments ?? {}),
  };
  const desiredArguments: BrokerArguments = {
    'x-queue-type': 'classic',
    ...desired.arguments,
  };
  return [
    ...field('durable', observed.durable, desired.durable),
    ...field('auto_delete', observed.auto_delete ?? false, desired.autoDelete),
    ...field('exclusive', observed.exclusive ?? false, desired.exclusive),
    ...argumentDifferences('arguments', observedArguments, desiredArguments),
  ];
}

function policyDifferences(
  desired: DesiredPolicy,
  observed: ObservedPolicy,
): string[] {
  return [
    ...field('pattern', observed.pattern, desired.pattern),
    ...field('apply-to', observed['apply-to'] ?? 'all', desired.applyTo),
    ...field('priority', observed.priority ?? 0, desired.priority),
    ...argumentDifferences(
      'definition',
      observed.definition,
      desired.definition as unknown as Record<string, JsonValue>,
    ),
  ];
}

function field(
  name: string,
  observed: JsonValue,
  desired: JsonValue,
): string[] {
  return canonicalJson(observed) === canonicalJson(desired)
    ? []
    : [
        `${name} is ${canonicalJson(observed)} on the broker, ${canonicalJson(
          desired,
        )} desired`,
      ];
}

function argumentDifferences(
  name: string,
  observed: Record<string, JsonValue>,
  desired: Record<string, JsonValue>,
): string[] {
  const keys = [
    ...new Set([...Object.keys(observed), ...Object.keys(desired)]),
  ].sort();
  return keys.flatMap(key => {
    const has = (record: Record<string, JsonValue>) =>
      Object.prototype.hasOwnProperty.call(record, key);
    const describe = (record: Record<string, JsonValue>) =>
      has(record) ? canonicalJson(record[key]) : 'absent';
    return describe(observed) === describe(desired)
      ? []
      : [
          `${name}.${key} is ${describe(observed)} on the broker, ${describe(
            desired,
          )} desired`,
        ];
  });
}

/** JSON with object keys sorted, so that key order never makes two values differ. */
function canonicalJson(value: JsonValue | undefined): string {
  if (value === undefined) return 'undefined';
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  return `{${Object.keys(value)
    .sort()
    .map(k => `${JSON.stringify(k)}:${canonicalJson(value[k])}`)
    .join(',')}}`;
}

function isEmpty(record: Record<string, unknown> | undefined): boolean {
  return record === undefined || Object.keys(record).length === 0;
}

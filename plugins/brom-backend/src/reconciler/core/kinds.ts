import { BrokerApi, UserHasConnectionsError } from './BrokerApi';
import type { Readiness } from './conditions';
import { argumentDifferences, fieldDifference } from './compare';
import {
  applicationKey,
  applicationOfUsername,
  bindingKey,
  bindingWithArgumentsKey,
  exchangeKey,
  permissionsKey,
  policyKey,
  queueKey,
  userKey,
  shovelKey,
  vhostKey,
} from './naming';
import {
  BrokerArguments,
  BrokerObjectKind,
  BrokerTopology,
  DesiredObject,
  JsonValue,
  ObservedObject,
  ObservedTopology,
} from './types';

/**
 * Where a kind's objects sit in a topology, and the name of the wave its writes go in.
 * Every kind but the vhost is a list in `BrokerTopology` and `ObservedTopology`.
 */
export type PlanStage =
  | 'vhost'
  | 'exchanges'
  | 'queues'
  | 'policies'
  | 'bindings'
  | 'users'
  | 'permissions'
  | 'shovels';

export type DesiredOf<K extends BrokerObjectKind> = Extract<DesiredObject, { kind: K }>;
export type ObservedOf<K extends BrokerObjectKind> = Extract<
  ObservedObject,
  { kind: K }
>['observed'];

/** Names one broker object for a targeted read; its `key` is the planner's key. */
export type ObjectRef =
  | { kind: 'exchange'; key: string; name: string }
  | { kind: 'queue'; key: string; name: string }
  | { kind: 'policy'; key: string; name: string }
  | {
      kind: 'binding';
      key: string;
      source: string;
      destination: string;
      destinationType: 'queue' | 'exchange';
      routingKey: string;
    }
  | { kind: 'user'; key: string; name: string }
  | { kind: 'permissions'; key: string; user: string }
  | { kind: 'shovel'; key: string; name: string };

type RefOf<K extends BrokerObjectKind> = Extract<ObjectRef, { kind: K }>;

/**
 * Everything the reconciler knows about one kind of broker object, in the shape of the
 * topology operator's per-kind reconcilers: how it is keyed, observed, compared, written and
 * deleted. `plan`, the applier, the observation and status look kinds up here; none of them
 * switches on a kind. Adding a kind is one entry in {@link KINDS}, plus what only it can
 * say: its desired and observed types, its `BrokerApi` calls and its naming in
 * `desiredTopology`.
 */
export interface ObjectKind<K extends BrokerObjectKind = BrokerObjectKind> {
  kind: K;
  stage: PlanStage;
  /**
   * The key an observed object would have if we managed it; `undefined` for objects that
   * can never be managed.
   */
  keyOf(observed: ObservedOf<K>): string | undefined;
  /**
   * Keys of the named objects an observed one is made for, to tell which application a
   * managed object belongs to (a binding: its source exchange and destination queue).
   */
  madeFor(observed: ObservedOf<K>): string[];
  /**
   * How a pass reads this kind. Absent for the vhost: it is read before anything else,
   * since nothing exists in a vhost that does not.
   */
  observe?: {
    /** All objects of the kind in the vhost, for a full pass. */
    list(broker: BrokerApi, vhost: string): Promise<ObservedOf<K>[]>;
    /**
     * Targeted reads for an incremental pass, each a request the caller runs within its
     * concurrency limit; what they find may include objects beyond the named ones.
     */
    reads(
      broker: BrokerApi,
      vhost: string,
      refs: RefOf<K>[],
    ): Array<() => Promise<ObservedOf<K>[]>>;
    ref(desired: DesiredOf<K>): RefOf<K>;
    refOfObserved(observed: ObservedOf<K>, key: string): RefOf<K>;
  };
  /**
   * How a managed object is compared with its definition. Absent when the key is the
   * whole definition (nothing else can differ).
   */
  compare?: {
    /** What differs, one human-readable line each; empty when equivalent. */
    differences(desired: DesiredOf<K>, observed: ObservedOf<K>): string[];
    /** True when a differing object is updated by writing it again, false when that is terminal. */
    updatable: boolean;
  };
  /**
   * How a managed object that matches its definition is doing, for objects that run (a
   * shovel connects to its upstream); absent when matching is all there is to it.
   */
  health?(desired: DesiredOf<K>, observed: ObservedOf<K>): Readiness;
  put(broker: BrokerApi, vhost: string, desired: DesiredOf<K>): Promise<void>;
  /** Absent when objects of this kind are never deleted. */
  remove?(broker: BrokerApi, vhost: string, observed: ObservedOf<K>): Promise<void>;
}

/** Queues per targeted listing: the name pattern stays well under URL length limits. */
const QUEUES_PER_READ = 40;

const vhost: ObjectKind<'vhost'> = {
  kind: 'vhost',
  stage: 'vhost',
  keyOf: observed => vhostKey(observed.name),
  madeFor: () => [],
  put: (broker, name) => broker.putVhost(name),
  // The vhost is configuration, not something an application asked for: never deleted.
};

const exchange: ObjectKind<'exchange'> = {
  kind: 'exchange',
  stage: 'exchanges',
  keyOf: observed => exchangeKey(observed.name),
  madeFor: observed => [exchangeKey(observed.name)],
  observe: {
    list: (broker, name) => broker.listExchanges(name),
    reads: (broker, name, refs) =>
      refs.map(ref => async () => optional(await broker.getExchange(name, ref.name))),
    ref: desired => ({ kind: 'exchange', key: desired.key, name: desired.name }),
    refOfObserved: (observed, key) => ({ kind: 'exchange', key, name: observed.name }),
  },
  compare: {
    differences: (desired, observed) => [
      ...fieldDifference('type', observed.type, desired.type),
      ...fieldDifference('durable', observed.durable, desired.durable),
      ...fieldDifference('auto_delete', observed.auto_delete ?? false, desired.autoDelete),
      ...fieldDifference('internal', observed.internal ?? false, desired.internal),
      ...argumentDifferences('arguments', observed.arguments ?? {}, desired.arguments),
    ],
    updatable: false,
  },
  put: (broker, name, desired) => broker.putExchange(name, desired),
  remove: (broker, name, observed) => broker.deleteExchange(name, observed.name),
};

const queue: ObjectKind<'queue'> = {
  kind: 'queue',
  stage: 'queues',
  keyOf: observed => queueKey(observed.name),
  madeFor: observed => [queueKey(observed.name)],
  observe: {
    list: (broker, name) => broker.listQueues(name),
    reads: (broker, name, refs) => {
      const reads: Array<() => Promise<ObservedOf<'queue'>[]>> = [];
      for (let i = 0; i < refs.length; i += QUEUES_PER_READ) {
        const names = refs.slice(i, i + QUEUES_PER_READ).map(ref => ref.name);
        reads.push(() => broker.listQueuesNamed(name, names));
      }
      return reads;
    },
    ref: desired => ({ kind: 'queue', key: desired.key, name: desired.name }),
    refOfObserved: (observed, key) => ({ kind: 'queue', key, name: observed.name }),
  },
  compare: {
    differences: (desired, observed) => {
      // Brokers differ in whether `arguments` repeats the type they report in `type`; a
      // queue declared without one is classic.
      const observedArguments: BrokerArguments = {
        'x-queue-type': observed.type ?? 'classic',
        ...(observed.arguments ?? {}),
      };
      const desiredArguments: BrokerArguments = {
        'x-queue-type': 'classic',
        ...desired.arguments,
      };
      return [
        ...fieldDifference('durable', observed.durable, desired.durable),
        ...fieldDifference('auto_delete', observed.auto_delete ?? false, desired.autoDelete),
        ...fieldDifference('exclusive', observed.exclusive ?? false, desired.exclusive),
        ...argumentDifferences('arguments', observedArguments, desiredArguments),
      ];
    },
    // Queue arguments are fixed at declaration: the broker refuses a different one.
    updatable: false,
  },
  put: (broker, name, desired) => broker.putQueue(name, desired),
  remove: (broker, name, observed) => broker.deleteQueue(name, observed.name),
};

const policy: ObjectKind<'policy'> = {
  kind: 'policy',
  stage: 'policies',
  keyOf: observed => policyKey(observed.name),
  madeFor: observed => [policyKey(observed.name)],
  observe: {
    list: (broker, name) => broker.listPolicies(name),
    reads: (broker, name, refs) =>
      refs.map(ref => async () => optional(await broker.getPolicy(name, ref.name))),
    ref: desired => ({ kind: 'policy', key: desired.key, name: desired.name }),
    refOfObserved: (observed, key) => ({ kind: 'policy', key, name: observed.name }),
  },
  compare: {
    differences: (desired, observed) => [
      ...fieldDifference('pattern', observed.pattern, desired.pattern),
      ...fieldDifference('apply-to', observed['apply-to'] ?? 'all', desired.applyTo),
      ...fieldDifference('priority', observed.priority ?? 0, desired.priority),
      ...argumentDifferences(
        'definition',
        observed.definition,
        desired.definition as unknown as Record<string, JsonValue>,
      ),
    ],
    updatable: true,
  },
  put: (broker, name, desired) => broker.putPolicy(name, desired),
  remove: (broker, name, observed) => broker.deletePolicy(name, observed.name),
};

const binding: ObjectKind<'binding'> = {
  kind: 'binding',
  stage: 'bindings',
  keyOf: observed => {
    // The default exchange's implicit binding to every queue cannot be managed or removed.
    if (observed.source === '') return undefined;
    // Bindings with arguments are never ours: a key of their own kind, never desired.
    return isEmpty(observed.arguments)
      ? bindingKey(
          observed.source,
          observed.destination_type,
          observed.destination,
          observed.routing_key,
        )
      : bindingWithArgumentsKey(
          observed.source,
          observed.destination_type,
          observed.destination,
          observed.routing_key,
          observed.properties_key,
        );
  },
  madeFor: observed =>
    observed.destination_type === 'queue'
      ? [exchangeKey(observed.source), queueKey(observed.destination)]
      : [exchangeKey(observed.source)],
  observe: {
    list: (broker, name) => broker.listBindings(name),
    reads: (broker, name, refs) =>
      refs.map(ref => async () =>
        (
          await broker.listBindingsBetween(
            name,
            ref.source,
            ref.destination,
            ref.destinationType,
          )
        ).filter(b => b.routing_key === ref.routingKey),
      ),
    ref: desired => ({
      kind: 'binding',
      key: desired.key,
      source: desired.source,
      destination: desired.destination,
      destinationType: desired.destinationType,
      routingKey: desired.routingKey,
    }),
    refOfObserved: (observed, key) => ({
      kind: 'binding',
      key,
      source: observed.source,
      destination: observed.destination,
      destinationType: observed.destination_type,
      routingKey: observed.routing_key,
    }),
  },
  // A binding's definition is its identity, which the key already holds: no `compare`.
  put: (broker, name, desired) => broker.createBinding(name, desired),
  remove: (broker, name, observed) => broker.deleteBinding(name, observed),
};

// Authorisation (docs/decisions/0017-native-authorisation-mode.md): a broker user per live
// credential in both modes, and its permissions in the native mode only. Users are not
// vhost-scoped, so the listing holds every user of the broker; only recorded ones are ever ours.

const user: ObjectKind<'user'> = {
  kind: 'user',
  stage: 'users',
  keyOf: observed => userKey(observed.name),
  madeFor: observed => [applicationKey(applicationOfUsername(observed.name))],
  observe: {
    list: broker => broker.listUsers(),
    reads: (broker, _vhost, refs) =>
      refs.map(ref => async () => optional(await broker.getUser(ref.name))),
    ref: desired => ({ kind: 'user', key: desired.key, name: desired.name }),
    refOfObserved: (observed, key) => ({ kind: 'user', key, name: observed.name }),
  },
  compare: {
    // The sidecar authenticates the user: an internal password would let it log in past
    // expiry and revocation, and tags would open the management API.
    differences: (_desired, observed) => [
      ...(observed.password_hash ? ['has an internal password (it must have none)'] : []),
      ...fieldDifference('tags', userTags(observed.tags).join(','), ''),
    ],
    updatable: true,
  },
  put: (broker, _vhost, desired) => broker.putUser(desired.name),
  // Only a credential whose access ended loses its user (switching modes keeps users). Its
  // permissions are gone by now (they are deleted first); the revocation enforcer closes its
  // connections, with the reason, once every sidecar has caught up, and the user goes after:
  // deleting it first would close them before that (RabbitMQ closes a deleted user's
  // connections).
  remove: async (broker, _vhost, observed) => {
    const open = await broker.listUserConnections(observed.name);
    if (open.length > 0) throw new UserHasConnectionsError(observed.name, open.length);
    await broker.deleteUser(observed.name);
  },
};

const permissions: ObjectKind<'permissions'> = {
  kind: 'permissions',
  stage: 'permissions',
  keyOf: observed => permissionsKey(observed.user),
  madeFor: observed => [applicationKey(applicationOfUsername(observed.user))],
  observe: {
    list: (broker, name) => broker.listPermissions(name),
    reads: (broker, name, refs) =>
      refs.map(ref => async () => optional(await broker.getPermissions(name, ref.user))),
    ref: desired => ({ kind: 'permissions', key: desired.key, user: desired.user }),
    refOfObserved: (observed, key) => ({ kind: 'permissions', key, user: observed.user }),
  },
  compare: {
    differences: (desired, observed) => {
      const found = new Map(observed.topic.map(t => [t.exchange, t]));
      return [
        ...fieldDifference('configure', observed.configure ?? null, desired.configure),
        ...fieldDifference('write', observed.write ?? null, desired.write),
        ...fieldDifference('read', observed.read ?? null, desired.read),
        ...desired.topic.flatMap(t => {
          const o = found.get(t.exchange);
          return [
            ...fieldDifference(`topic ${t.exchange} write`, o?.write ?? null, t.write),
            ...fieldDifference(`topic ${t.exchange} read`, o?.read ?? null, t.read),
          ];
        }),
        // A topic permission on another exchange only narrows what the user may publish
        // there; one the user should not have at all is removed.
        ...(desired.topic.length === 0 && observed.topic.length > 0
          ? [`topic permissions on ${observed.topic.map(t => t.exchange).join(', ')}`]
          : []),
      ];
    },
    updatable: true,
  },
  // The order matters: a user with `write` on an exchange but no topic permission for it may
  // publish any routing key. So topic permissions are written before the vhost permissions
  // (a failure stops there) and removed only after them.
  put: async (broker, name, desired) => {
    for (const topic of desired.topic) await broker.putTopicPermission(name, desired.user, topic);
    await broker.putVhostPermissions(name, desired.user, {
      configure: desired.configure,
      write: desired.write,
      read: desired.read,
    });
    if (desired.topic.length === 0) await broker.deleteTopicPermissions(name, desired.user);
  },
  remove: async (broker, name, observed) => {
    await broker.deleteVhostPermissions(name, observed.user);
    await broker.deleteTopicPermissions(name, observed.user);
  },
};

/**
 * A dynamic shovel from an external producer's upstream into its exchange: the `shovel`
 * runtime parameter, compared field by field and replaced when it differs (the broker then
 * restarts it). Its health is what the shovel plugin reports: running, starting (connecting
 * or waiting to reconnect) or terminated with a reason. The definition carries the upstream
 * password, so no message here ever shows `src-uri`, and reasons are redacted.
 */
const shovel: ObjectKind<'shovel'> = {
  kind: 'shovel',
  stage: 'shovels',
  keyOf: observed => shovelKey(observed.name),
  madeFor: observed => [shovelKey(observed.name)],
  observe: {
    list: (broker, name) => broker.listShovels(name),
    reads: (broker, name, refs) =>
      refs.map(ref => async () => optional(await broker.getShovel(name, ref.name))),
    ref: desired => ({ kind: 'shovel', key: desired.key, name: desired.name }),
    refOfObserved: (observed, key) => ({ kind: 'shovel', key, name: observed.name }),
  },
  compare: {
    differences: (desired, observed) => {
      const fields = [
        ...new Set([...Object.keys(desired.definition), ...Object.keys(observed.value)]),
      ].sort();
      return fields.flatMap(field => {
        const want = desired.definition[field];
        const have = observed.value[field];
        if (JSON.stringify(want) === JSON.stringify(have)) return [];
        // URIs carry credentials: say that they differ, never what they are.
        if (field.endsWith('-uri')) return [`${field} differs`];
        return fieldDifference(field, have ?? null, want ?? null);
      });
    },
    updatable: true,
  },
  health: (desired, observed) => {
    const status = observed.status;
    if (!status) {
      return {
        status: 'False',
        reason: 'ShovelNotReported',
        message: 'no node reports the shovel (is the rabbitmq_shovel_management plugin enabled?)',
      };
    }
    if (status.state === 'running') {
      return {
        status: 'True',
        reason: 'ShovelRunning',
        message: `running on ${status.node}`,
      };
    }
    if (status.state === 'terminated') {
      return {
        status: 'False',
        reason: 'ShovelTerminated',
        message: `terminated on ${status.node}: ${redact(status.reason ?? 'no reason given', desired.secrets)}`,
      };
    }
    return {
      status: 'False',
      reason: 'ShovelStarting',
      message: `${status.state} on ${status.node}: connecting to the upstream, or waiting to reconnect`,
    };
  },
  put: (broker, name, desired) => broker.putShovel(name, desired.name, desired.definition),
  remove: (broker, name, observed) => broker.deleteShovel(name, observed.name),
};

/** `text` with every secret (and its URI-encoded form) replaced by `***`. */
export function redact(text: string, secrets: readonly string[]): string {
  let result = text;
  for (const secret of secrets) {
    if (!secret) continue;
    for (const form of new Set([secret, encodeURIComponent(secret)])) {
      result = result.split(form).join('***');
    }
  }
  return result;
}

/**
 * Every kind, in the order puts happen; deletions run in reverse. Policies go before the
 * queues they are for: a queue is then declared with its dead-lettering, TTL and length
 * limit already in force (no window in which messages arrive without them), and policy
 * writes stay fast: written after thousands of quorum queues, each took over a second
 * (bench/README.md, "bench:reconciler"). A policy's pattern names exactly one queue, so
 * creating it first affects nothing else; the shared dead-letter bound's matches only
 * dead-letter queues BROM names.
 */
export const KINDS: readonly ObjectKind[] = [
  vhost,
  exchange,
  policy,
  queue,
  binding,
  user,
  permissions,
  // After the exchange it delivers to; deleted before it.
  shovel,
  // Each entry is typed by its own kind; lookups go by `kind`, so the union view is sound.
] as ObjectKind<any>[];

const BY_KIND = new Map<BrokerObjectKind, ObjectKind>(KINDS.map(k => [k.kind, k]));

/** The description of one kind. */
export function kindOf(kind: BrokerObjectKind): ObjectKind {
  return BY_KIND.get(kind)!;
}

/** The desired objects of a topology, the vhost first. */
export function desiredObjects(topology: BrokerTopology): DesiredObject[] {
  return KINDS.flatMap(k => desiredOfKind(topology, k.stage));
}

/** The generation each desired object derives from, by key (the topology's version for the vhost). */
export function desiredGenerations(topology: BrokerTopology): Map<string, number> {
  return new Map(
    desiredObjects(topology).map(o => [o.key, o.owner?.generation ?? topology.version]),
  );
}

/** The topology with only the objects `keep` accepts (the vhost always stays). */
export function filterTopology(
  topology: BrokerTopology,
  keep: (object: DesiredObject) => boolean,
): BrokerTopology {
  const filtered = { ...topology };
  for (const { stage } of KINDS) {
    if (stage !== 'vhost') {
      (filtered as Record<string, unknown>)[stage] = topology[stage].filter(keep);
    }
  }
  return filtered;
}

/** Every observed object with the key it would have if we managed it. */
export function observedObjects(observed: ObservedTopology): ObservedObject[] {
  const objects: ObservedObject[] = [];
  for (const k of KINDS) {
    for (const object of observedOfKind(observed, k.stage)) {
      const key = k.keyOf(object);
      if (key !== undefined) {
        objects.push({ kind: k.kind, key, observed: object } as ObservedObject);
      }
    }
  }
  return objects;
}

/** An observation with nothing in it, to which reads add what they find. */
export function emptyObservation(vhostName: string | null): ObservedTopology {
  const observed: Record<string, unknown> = {
    vhost: vhostName === null ? null : { name: vhostName },
  };
  for (const { stage } of KINDS) if (stage !== 'vhost') observed[stage] = [];
  return observed as unknown as ObservedTopology;
}

/** How to read an object that is desired or observed, for targeted reads. */
export function refOf(object: DesiredObject | ObservedObject): ObjectRef | undefined {
  const observe = kindOf(object.kind).observe;
  if (!observe) return undefined;
  return 'observed' in object
    ? observe.refOfObserved(object.observed, object.key)
    : observe.ref(object);
}

function observedOfKind(
  observed: ObservedTopology,
  stage: PlanStage,
): ObservedOf<BrokerObjectKind>[] {
  if (stage !== 'vhost') return observed[stage];
  return observed.vhost ? [observed.vhost] : [];
}

function desiredOfKind(topology: BrokerTopology, stage: PlanStage): DesiredObject[] {
  return stage === 'vhost' ? [topology.vhost] : topology[stage];
}

function optional<T>(found: T | undefined): T[] {
  return found === undefined ? [] : [found];
}

/** A user's tags as a list, whichever form the broker reports them in. */
function userTags(tags: string[] | string | undefined): string[] {
  if (tags === undefined) return [];
  const list = Array.isArray(tags) ? tags : tags.split(',');
  return list.map(t => t.trim()).filter(t => t.length > 0);
}

function isEmpty(record: Record<string, unknown> | undefined): boolean {
  return record === undefined || Object.keys(record).length === 0;
}

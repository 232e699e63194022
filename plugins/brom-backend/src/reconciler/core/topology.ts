import { filterTopology } from './kinds';
import { routingKeyPatternsToBrokerRegex } from '@internal/brom-authz-snapshot';
import {
  applicationObjectNames,
  bindingKey,
  deadLetterBoundPolicy,
  compareCodeUnits,
  escapeRegex,
  exactNamePattern,
  exchangeKey,
  permissionsKey,
  policyKey,
  queueKey,
  userKey,
  shovelKey,
  vhostKey,
} from './naming';
import {
  BrokerTopology,
  DEFAULT_DEAD_LETTER_BOUND,
  DesiredBinding,
  DesiredExchange,
  DesiredObject,
  DesiredPermissions,
  DesiredPolicy,
  DesiredQueue,
  DesiredUser,
  DesiredShovel,
  JsonValue,
  ObjectOwner,
  PolicyDefinition,
  ReconcilerApplication,
  ReconcilerInput,
  RetiredNotificationType,
  TopologyOptions,
} from './types';

const byName = (a: { name: string }, b: { name: string }) =>
  compareCodeUnits(a.name, b.name);
const byKey = (a: { key: string }, b: { key: string }) =>
  compareCodeUnits(a.key, b.key);
const byId = (a: { id: string }, b: { id: string }) =>
  compareCodeUnits(a.id, b.id);

/**
 * The broker topology the store asks for. Pure: the same input gives the same topology,
 * in the same order, whatever happened before.
 */
export function desiredTopology(
  input: ReconcilerInput,
  options: TopologyOptions,
): BrokerTopology {
  const applications = [...input.applications].sort(byName);
  const applicationsById = new Map(applications.map(a => [a.id, a]));
  const liveApplication = (id: string): ReconcilerApplication | undefined => {
    const application = applicationsById.get(id);
    return application && application.deletedAt === null
      ? application
      : undefined;
  };
  const notificationTypesById = new Map(
    input.notificationTypes.map(t => [t.id, t]),
  );
  const liveNotificationTypes = input.notificationTypes.filter(
    t => t.deletedAt === null && liveApplication(t.applicationId),
  );
  // An external producer is a producer from its registration: its shovel needs the exchange.
  const producerIds = new Set([
    ...liveNotificationTypes.map(t => t.applicationId),
    ...applications.filter(a => a.externalProducer).map(a => a.id),
  ]);
  // Any subscription row keeps the consumer's queue: revoking or rejecting must not
  // silently discard what is already queued; only deleting the application removes it.
  const consumerIds = new Set(
    input.subscriptions.map(s => s.consumerApplicationId),
  );

  const vhost = {
    kind: 'vhost' as const,
    key: vhostKey(options.vhost),
    name: options.vhost,
    dependsOn: [],
    owner: null,
  };
  const exchanges: DesiredExchange[] = [];
  const queues: DesiredQueue[] = [];
  const policies: DesiredPolicy[] = [];
  const bindings = new Map<string, DesiredBinding>();
  const shovels: DesiredShovel[] = [];

  // Every dead-letter queue's bound, in one policy whose pattern matches only BROM's
  // dead-letter queue names. Like the vhost it belongs to no application and always exists:
  // one policy instead of one per consumer, because RabbitMQ matches every queue against
  // every policy of the vhost (decision 0025).
  const bound = options.deadLetters ?? DEFAULT_DEAD_LETTER_BOUND;
  const boundPolicy = deadLetterBoundPolicy(options.prefix);
  policies.push({
    kind: 'policy',
    key: policyKey(boundPolicy.name),
    name: boundPolicy.name,
    queue: null,
    pattern: boundPolicy.pattern,
    applyTo: 'queues',
    priority: options.policyPriority,
    definition: { 'max-length': bound.maxLength, overflow: bound.overflow },
    owner: null,
    dependsOn: [vhost.key],
  });

  for (const application of applications) {
    if (application.deletedAt !== null) continue;
    const names = applicationObjectNames(options.prefix, application.name);
    const owner: ObjectOwner = {
      applicationId: application.id,
      subscriptionId: null,
      generation: application.generation,
    };
    if (producerIds.has(application.id)) {
      exchanges.push(exchange(names.exchange, 'topic', owner, vhost.key));
    }
    if (application.externalProducer) {
      shovels.push(
        shovel(names.base, names.exchange, application.externalProducer, owner, options, vhost.key),
      );
    }
    if (!consumerIds.has(application.id)) continue;

    exchanges.push(
      exchange(names.deadLetterExchange, 'fanout', owner, vhost.key),
    );
    // Applications registered since decision 0028 name the dead-letter exchange in the
    // queue's argument and need no policy of their own, which RabbitMQ 3.10 would match
    // against every queue of the vhost.
    const deadLetterArgument = application.deadLetterArgument === true;
    queues.push(
      queue(
        names.queue,
        'consumer',
        owner,
        options,
        vhost.key,
        deadLetterArgument ? names.deadLetterExchange : undefined,
      ),
    );
    queues.push(
      queue(names.deadLetterQueue, 'dead-letter', owner, options, vhost.key),
    );
    const deadLetterBinding = binding(
      names.deadLetterExchange,
      names.deadLetterQueue,
      '',
      owner,
    );
    bindings.set(deadLetterBinding.key, deadLetterBinding);

    const definition: PolicyDefinition = {
      'dead-letter-exchange': names.deadLetterExchange,
    };
    const { messageTtlMs, maxLength } = application.settings;
    const hasTtl = messageTtlMs !== undefined && messageTtlMs !== null;
    const hasMaxLength = maxLength !== undefined && maxLength !== null;
    // With the dead-letter exchange in the queue's argument, a policy only for the settings.
    // It names the same exchange, so which of the two RabbitMQ prefers changes nothing.
    if (deadLetterArgument && !hasTtl && !hasMaxLength) continue;
    if (hasTtl) definition['message-ttl'] = messageTtlMs;
    if (hasMaxLength) definition['max-length'] = maxLength;
    policies.push({
      kind: 'policy',
      key: policyKey(names.policy),
      name: names.policy,
      queue: names.queue,
      pattern: exactNamePattern(names.queue),
      applyTo: 'queues',
      priority: options.policyPriority,
      definition,
      owner,
      dependsOn: [
        vhost.key,
        queueKey(names.queue),
        exchangeKey(names.deadLetterExchange),
      ],
    });
  }

  // Sorted by id so that when two subscriptions yield the same binding (two types of one
  // producer with the same pattern), the same one owns it on every pass.
  for (const subscription of [...input.subscriptions].sort(byId)) {
    if (subscription.state !== 'approved') continue;
    const notificationType = notificationTypesById.get(
      subscription.notificationTypeId,
    );
    if (!notificationType || notificationType.deletedAt !== null) continue;
    const producer = liveApplication(notificationType.applicationId);
    const consumer = liveApplication(subscription.consumerApplicationId);
    if (!producer || !consumer) continue;
    const desired = binding(
      applicationObjectNames(options.prefix, producer.name).exchange,
      applicationObjectNames(options.prefix, consumer.name).queue,
      notificationType.routingKeyPattern,
      {
        applicationId: consumer.id,
        subscriptionId: subscription.id,
        generation: subscription.generation,
      },
    );
    if (!bindings.has(desired.key)) bindings.set(desired.key, desired);
  }

  const users: DesiredUser[] = [];
  const permissions: DesiredPermissions[] = [];
  // Each producer's routing-key patterns, looked up per credential (not a scan of every type).
  const patternsOf =
    options.authzMode === 'native'
      ? routingKeyPatternsByApplication(liveNotificationTypes)
      : new Map<string, string[]>();
  // Every live credential has a broker user in both modes (passwordless, no tags): the http
  // backend authenticates it, so in the live mode it changes no decision. Only its
  // permissions depend on the mode, so switching modes never deletes a user, which would
  // close its connections (docs/decisions/0017-native-authorisation-mode.md).
  for (const credential of input.credentials ?? []) {
    const application = liveApplication(credential.applicationId);
    if (!application) continue;
    const owner: ObjectOwner = {
      applicationId: application.id,
      subscriptionId: null,
      generation: application.generation,
    };
    const user = userKey(credential.username);
    users.push({
      kind: 'user',
      key: user,
      name: credential.username,
      owner,
      dependsOn: [],
    });
    if (options.authzMode !== 'native') continue;
    const names = applicationObjectNames(options.prefix, application.name);
    const patterns = patternsOf.get(application.id) ?? [];
    permissions.push({
      kind: 'permissions',
      key: permissionsKey(credential.username),
      user: credential.username,
      ...nativePermissions(names, patterns, consumerIds.has(application.id)),
      owner,
      dependsOn: [vhost.key, user],
    });
  }

  const deletedNotificationTypes: RetiredNotificationType[] =
    input.notificationTypes
      .filter(t => t.deletedAt !== null)
      .sort(byId)
      .map(notificationType => {
        const producer = applicationsById.get(notificationType.applicationId);
        const keys = new Set<string>();
        if (producer) {
          for (const subscription of input.subscriptions) {
            if (subscription.notificationTypeId !== notificationType.id)
              continue;
            const consumer = applicationsById.get(
              subscription.consumerApplicationId,
            );
            if (!consumer) continue;
            keys.add(
              bindingKey(
                applicationObjectNames(options.prefix, producer.name).exchange,
                'queue',
                applicationObjectNames(options.prefix, consumer.name).queue,
                notificationType.routingKeyPattern,
              ),
            );
          }
        }
        return {
          id: notificationType.id,
          applicationId: notificationType.applicationId,
          bindingKeys: [...keys].sort(),
        };
      });

  return {
    version: input.version,
    vhost,
    exchanges: exchanges.sort(byKey),
    queues: queues.sort(byKey),
    policies: policies.sort(byKey),
    bindings: [...bindings.values()].sort(byKey),
    users: users.sort(byKey),
    permissions: permissions.sort(byKey),
    shovels: shovels.sort(byKey),
    applications: applications.map(a => ({
      id: a.id,
      name: a.name,
      generation: a.generation,
      deleted: a.deletedAt !== null,
      queueDeletionConfirmed: a.queueDeletionConfirmedAt !== null,
    })),
    deletedNotificationTypes,
  };

  function binding(
    source: string,
    destination: string,
    routingKey: string,
    owner: ObjectOwner,
  ): DesiredBinding {
    return {
      kind: 'binding',
      key: bindingKey(source, 'queue', destination, routingKey),
      source,
      destination,
      destinationType: 'queue',
      routingKey,
      arguments: {},
      owner,
      dependsOn: [vhost.key, exchangeKey(source), queueKey(destination)],
    };
  }
}

/**
 * The shovel of an external producer: from the upstream exchange (through a queue the shovel
 * declares and binds there) or queue, into the producer's exchange on the node the shovel
 * runs on (`amqp:///vhost`, a direct connection as the reconciler's user), keeping each
 * message's routing key so subscriptions' bindings route it. `on-confirm`: a message leaves
 * the upstream only once our broker has it.
 */
function shovel(
  name: string,
  exchangeName: string,
  upstream: NonNullable<ReconcilerApplication['externalProducer']>,
  owner: ObjectOwner,
  options: TopologyOptions,
  vhostObjectKey: string,
): DesiredShovel {
  const at = upstream.upstreamUri.indexOf('//') + 2;
  const srcUri = `${upstream.upstreamUri.slice(0, at)}${encodeURIComponent(
    upstream.username,
  )}:${encodeURIComponent(upstream.password)}@${upstream.upstreamUri.slice(at)}`;
  const source: Record<string, JsonValue> = upstream.upstreamQueue
    ? { 'src-queue': upstream.upstreamQueue }
    : {
        'src-exchange': upstream.upstreamExchange ?? '',
        'src-exchange-key': upstream.upstreamRoutingKey ?? '#',
      };
  return {
    kind: 'shovel',
    key: shovelKey(name),
    name,
    definition: {
      'src-protocol': 'amqp091',
      'src-uri': srcUri,
      ...source,
      'dest-protocol': 'amqp091',
      'dest-uri': `amqp:///${encodeURIComponent(options.vhost)}`,
      'dest-exchange': exchangeName,
      'ack-mode': 'on-confirm',
      'reconnect-delay': 5,
    },
    secrets: [upstream.password],
    owner,
    dependsOn: [vhostObjectKey, exchangeKey(exchangeName)],
  };
}

function exchange(
  name: string,
  type: 'topic' | 'fanout',
  owner: ObjectOwner,
  vhostObjectKey: string,
): DesiredExchange {
  return {
    kind: 'exchange',
    key: exchangeKey(name),
    name,
    type,
    durable: true,
    autoDelete: false,
    internal: false,
    arguments: {},
    owner,
    dependsOn: [vhostObjectKey],
  };
}

function queue(
  name: string,
  role: 'consumer' | 'dead-letter',
  owner: ObjectOwner,
  options: TopologyOptions,
  vhostObjectKey: string,
  /** Set: declared with it as `x-dead-letter-exchange`, after that exchange. */
  deadLetterExchange?: string,
): DesiredQueue {
  return {
    kind: 'queue',
    key: queueKey(name),
    name,
    role,
    durable: true,
    autoDelete: false,
    exclusive: false,
    // Only what can never change goes here: queue arguments are fixed at declaration,
    // everything tunable (TTL, length) lives in a policy.
    arguments: {
      'x-queue-type': options.queueType,
      ...(deadLetterExchange ? { 'x-dead-letter-exchange': deadLetterExchange } : {}),
    },
    owner,
    dependsOn: deadLetterExchange
      ? [vhostObjectKey, exchangeKey(deadLetterExchange)]
      : [vhostObjectKey],
  };
}

/** Configure, and vhost read or write of nothing (RabbitMQ's own notation for "none"). */
const NO_RESOURCES = '';
/**
 * A topic permission that matches no routing key. Not `''`: the broker reads an empty topic
 * permission as `^$`, which would allow the empty routing key.
 */
const NO_ROUTING_KEYS = '(?!)';

/** `^name\z` for each name: exactly those names (PCRE's `$` would also accept a final newline). */
function exactNames(names: string[]): string {
  if (names.length === 0) return NO_RESOURCES;
  const escaped = names.map(escapeRegex);
  return escaped.length === 1
    ? `^${escaped[0]}\\z`
    : `^(?:${escaped.join('|')})\\z`;
}

/**
 * What the live sidecar allows an application, as broker permissions: `write` on its
 * exchange and the routing keys of its live types there (producers), `read` on its queue and
 * dead-letter queue (consumers), no `configure`, no topic `read`. The broker's vhost
 * permissions do not tell exchanges from queues, so a producer that also consumes may also
 * `write` to its queue and `read` its exchange (they share a name); what that could allow,
 * binding its queue to its exchange, needs topic `read`, which nobody gets.
 */
/**
 * Each application's routing-key patterns, by application id, in the types' order: what its
 * credentials may publish, to the native mode's topic permissions as to the sidecar's snapshot.
 */
export function routingKeyPatternsByApplication(
  types: ReadonlyArray<{ applicationId: string; routingKeyPattern: string }>,
): Map<string, string[]> {
  const patterns = new Map<string, string[]>();
  for (const t of types) {
    const list = patterns.get(t.applicationId);
    if (list) list.push(t.routingKeyPattern);
    else patterns.set(t.applicationId, [t.routingKeyPattern]);
  }
  return patterns;
}

export function nativePermissions(
  names: { exchange: string; queue: string; deadLetterQueue: string },
  routingKeyPatterns: string[],
  consumer: boolean,
): Pick<DesiredPermissions, 'configure' | 'write' | 'read' | 'topic'> {
  const producer = routingKeyPatterns.length > 0;
  return {
    configure: NO_RESOURCES,
    write: producer ? exactNames([names.exchange]) : NO_RESOURCES,
    read: consumer
      ? exactNames([names.queue, names.deadLetterQueue])
      : NO_RESOURCES,
    topic: producer
      ? [
          {
            exchange: names.exchange,
            write: routingKeyPatternsToBrokerRegex(routingKeyPatterns),
            read: NO_ROUTING_KEYS,
          },
        ]
      : [],
  };
}

/**
 * The applications whose rows a desired object derives from: its owner and, for a binding,
 * the producer whose exchange it starts at. A change of any of them may change or remove the
 * object, so an incremental pass that knows which applications changed looks at exactly the
 * objects of those applications.
 */
export function objectApplications(
  topology: BrokerTopology,
  options: Pick<TopologyOptions, 'prefix'>,
): (object: DesiredObject) => string[] {
  const producerByExchange = new Map(
    topology.applications.map(a => [
      applicationObjectNames(options.prefix, a.name).exchange,
      a.id,
    ]),
  );
  return object => {
    const owner = object.owner?.applicationId;
    const apps = owner ? [owner] : [];
    if (object.kind === 'binding') {
      const producer = producerByExchange.get(object.source);
      if (producer && producer !== owner) apps.push(producer);
    }
    return apps;
  };
}

/**
 * The rows that decide the objects of `applicationIds`, taken from a whole input: those
 * applications, their types, the subscriptions of their queues and to their types, and
 * the types and applications those subscriptions name (for names and patterns only).
 */
export function inputOfApplications(
  input: ReconcilerInput,
  applicationIds: ReadonlySet<string>,
): ReconcilerInput {
  const types = new Set(
    input.notificationTypes.filter(t => applicationIds.has(t.applicationId)).map(t => t.id),
  );
  const subscriptions = input.subscriptions.filter(
    s => applicationIds.has(s.consumerApplicationId) || types.has(s.notificationTypeId),
  );
  for (const s of subscriptions) types.add(s.notificationTypeId);
  const notificationTypes = input.notificationTypes.filter(t => types.has(t.id));
  const apps = new Set([
    ...applicationIds,
    ...notificationTypes.map(t => t.applicationId),
    ...subscriptions.map(s => s.consumerApplicationId),
  ]);
  return {
    version: input.version,
    applications: input.applications.filter(a => apps.has(a.id)),
    notificationTypes,
    subscriptions,
    ...(input.credentials && {
      credentials: input.credentials.filter(c => apps.has(c.applicationId)),
    }),
  };
}

/**
 * The desired objects of `applicationIds` only, from an input that holds at least the rows
 * {@link inputOfApplications} names: the same objects, with the same definitions, that
 * {@link desiredTopology} gives those applications from the whole store. Applications the
 * input holds only for their names keep their entry in `applications` (so that their
 * objects can be attributed) but none of their objects.
 */
export function desiredTopologyOf(
  input: ReconcilerInput,
  applicationIds: ReadonlySet<string>,
  options: TopologyOptions,
): BrokerTopology {
  const whole = desiredTopology(input, options);
  const applicationsOf = objectApplications(whole, options);
  const keep = (object: DesiredObject) =>
    applicationsOf(object).some(id => applicationIds.has(id));
  return {
    ...filterTopology(whole, keep),
    deletedNotificationTypes: whole.deletedNotificationTypes.filter(t =>
      applicationIds.has(t.applicationId),
    ),
  };
}

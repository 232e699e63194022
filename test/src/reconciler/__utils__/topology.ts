import type { ManagementClient } from '@internal/rabbitmq-management';

/**
 * A vhost's topology as the management API reports it, reduced to what defines each
 * object and sorted, so two snapshots compare with `toEqual`. Broker built-ins (the
 * default exchange, `amq.*`, the default exchange's implicit bindings) are left out.
 */
export interface TopologySnapshot {
  exchanges: Array<{
    name: string;
    type: string;
    durable: boolean;
    auto_delete: boolean;
    internal: boolean;
    arguments: Record<string, unknown>;
  }>;
  queues: Array<{
    name: string;
    type: string;
    durable: boolean;
    auto_delete: boolean;
    exclusive: boolean;
    arguments: Record<string, unknown>;
  }>;
  bindings: Array<{
    source: string;
    destination: string;
    destination_type: string;
    routing_key: string;
    arguments: Record<string, unknown>;
  }>;
  policies: Array<{
    name: string;
    pattern: string;
    'apply-to': string;
    priority: number;
    definition: Record<string, unknown>;
  }>;
}

const byJson = (a: unknown, b: unknown) => {
  const x = JSON.stringify(a);
  const y = JSON.stringify(b);
  if (x === y) return 0;
  return x < y ? -1 : 1;
};

export async function readTopology(
  management: ManagementClient,
  vhost: string,
): Promise<TopologySnapshot> {
  const [exchanges, queues, bindings, policies] = await Promise.all([
    management.listExchanges(vhost),
    management.listQueues(vhost, { disableStats: true }),
    management.listBindings(vhost),
    management.listPolicies(vhost),
  ]);
  return {
    exchanges: exchanges
      .filter(e => e.name !== '' && !e.name.startsWith('amq.'))
      .map(e => ({
        name: e.name,
        type: e.type,
        durable: e.durable,
        auto_delete: e.auto_delete,
        internal: e.internal,
        arguments: e.arguments ?? {},
      }))
      .sort(byJson),
    queues: queues
      .map(q => ({
        name: q.name,
        type: (q as { type?: string }).type ?? 'classic',
        durable: q.durable,
        auto_delete: q.auto_delete,
        exclusive: q.exclusive ?? false,
        arguments: q.arguments ?? {},
      }))
      .sort(byJson),
    bindings: bindings
      .filter(b => b.source !== '')
      .map(b => ({
        source: b.source,
        destination: b.destination,
        destination_type: b.destination_type,
        routing_key: b.routing_key,
        arguments: b.arguments ?? {},
      }))
      .sort(byJson),
    policies: policies
      .map(p => ({
        name: p.name,
        pattern: p.pattern,
        'apply-to': p['apply-to'],
        priority: p.priority,
        definition: p.definition as Record<string, unknown>,
      }))
      .sort(byJson),
  };
}

export interface TopologySpec {
  prefix: string;
  producers: string[];
  consumers: Array<{
    name: string;
    messageTtlMs?: number;
    maxLength?: number;
    /**
     * Registered before decision 0028: its policy names the dead-letter exchange and its
     * queue has no argument for it. Otherwise the queue's argument names it and a policy
     * exists only for a TTL or a length limit.
     */
    deadLetterByPolicy?: boolean;
  }>;
  /** Approved subscriptions: producer's exchange to consumer's queue with the type's pattern. */
  bindings: Array<{ producer: string; consumer: string; routingKey: string }>;
  queueType?: 'quorum' | 'classic';
  policyPriority?: number;
}

/**
 * What docs/architecture.md ("Broker topology") and the reconciler README ("Naming") say the
 * broker should hold, written out independently of the reconciler's own naming code.
 */
export function expectedTopology(spec: TopologySpec): TopologySnapshot {
  const p = spec.prefix;
  const queueType = spec.queueType ?? 'quorum';
  const priority = spec.policyPriority ?? 10;
  const exchange = (name: string, type: string) => ({
    name,
    type,
    durable: true,
    auto_delete: false,
    internal: false,
    arguments: {},
  });
  const queue = (name: string, deadLetterExchange?: string) => ({
    name,
    type: queueType,
    durable: true,
    auto_delete: false,
    exclusive: false,
    // In the order the management API lists them (by name): snapshots compare as JSON.
    arguments: {
      ...(deadLetterExchange ? { 'x-dead-letter-exchange': deadLetterExchange } : {}),
      'x-queue-type': queueType,
    },
  });
  const binding = (source: string, destination: string, routingKey: string) => ({
    source,
    destination,
    destination_type: 'queue',
    routing_key: routingKey,
    arguments: {},
  });
  const escape = (s: string) => s.replace(/[\\^$.|?*+()[\]{}]/g, '\\$&');
  return {
    exchanges: [
      ...spec.producers.map(name => exchange(`${p}${name}`, 'topic')),
      ...spec.consumers.map(c => exchange(`${p}${c.name}.dlx`, 'fanout')),
    ].sort(byJson),
    queues: spec.consumers
      .flatMap(c => [
        queue(`${p}${c.name}`, c.deadLetterByPolicy ? undefined : `${p}${c.name}.dlx`),
        queue(`${p}${c.name}.dlq`),
      ])
      .sort(byJson),
    bindings: [
      ...spec.consumers.map(c =>
        binding(`${p}${c.name}.dlx`, `${p}${c.name}.dlq`, ''),
      ),
      ...spec.bindings.map(b =>
        binding(`${p}${b.producer}`, `${p}${b.consumer}`, b.routingKey),
      ),
    ].sort(byJson),
    policies: [
      ...spec.consumers
        .filter(
          c => c.deadLetterByPolicy || c.messageTtlMs !== undefined || c.maxLength !== undefined,
        )
        .map(c => ({
        name: `${p}${c.name}`,
        pattern: `^${escape(`${p}${c.name}`)}$`,
        'apply-to': 'queues',
        priority,
        definition: {
          'dead-letter-exchange': `${p}${c.name}.dlx`,
          ...(c.messageTtlMs !== undefined ? { 'message-ttl': c.messageTtlMs } : {}),
          ...(c.maxLength !== undefined ? { 'max-length': c.maxLength } : {}),
        },
      })),
      // Every dead-letter queue's bound, always there (docs/operations.md, "Dead letters").
      {
        name: `${p}_dead-letters`,
        pattern: `^${escape(p)}[a-z0-9]+(?:-[a-z0-9]+)*\\.dlq$`,
        'apply-to': 'queues',
        priority,
        definition: { 'max-length': 10000, overflow: 'drop-head' },
      },
    ]
      .sort(byJson),
  };
}

/** A short description of how two snapshots differ, for timeout messages. */
export function describeDifference(
  actual: TopologySnapshot | undefined,
  expected: TopologySnapshot,
): string {
  if (!actual) return 'the topology could not be read';
  const lines: string[] = [];
  for (const kind of ['exchanges', 'queues', 'bindings', 'policies'] as const) {
    const have = new Set(actual[kind].map(o => JSON.stringify(o)));
    const want = new Set(expected[kind].map(o => JSON.stringify(o)));
    for (const o of want) if (!have.has(o)) lines.push(`missing ${kind}: ${o}`);
    for (const o of have) if (!want.has(o)) lines.push(`unexpected ${kind}: ${o}`);
  }
  return lines.length ? lines.slice(0, 20).join('\n') : 'no difference';
}

/** Removes objects whose names `keep` rejects, e.g. to compare only the managed prefix. */
export function filterTopology(
  snapshot: TopologySnapshot,
  keep: (name: string) => boolean,
): TopologySnapshot {
  return {
    exchanges: snapshot.exchanges.filter(e => keep(e.name)),
    queues: snapshot.queues.filter(q => keep(q.name)),
    bindings: snapshot.bindings.filter(b => keep(b.source) && keep(b.destination)),
    policies: snapshot.policies.filter(p => keep(p.name)),
  };
}

import { Plan } from '../core/plan';
import {
  DesiredObject,
  ObservedTopology,
  ReconcilerInput,
  TopologyOptions,
} from '../core/types';

export const OPTIONS: TopologyOptions = {
  vhost: 'brom',
  prefix: 'brom.',
  queueType: 'quorum',
  policyPriority: 10,
};

/** Orders produces two types; billing subscribes (approved), shipping asked (requested). */
export function sampleInput(): ReconcilerInput {
  return {
    version: 7,
    applications: [
      application('app-orders', 'orders'),
      application('app-billing', 'billing', { messageTtlMs: 60_000 }),
      application('app-shipping', 'shipping'),
    ],
    notificationTypes: [
      {
        id: 'type-created',
        applicationId: 'app-orders',
        name: 'order-created',
        routingKeyPattern: 'order.*.created',
        generation: 1,
        deletedAt: null,
      },
      {
        id: 'type-any',
        applicationId: 'app-orders',
        name: 'order-any',
        routingKeyPattern: 'order.#',
        generation: 1,
        deletedAt: null,
      },
    ],
    subscriptions: [
      {
        id: 'sub-billing',
        consumerApplicationId: 'app-billing',
        notificationTypeId: 'type-created',
        state: 'approved',
        generation: 2,
      },
      {
        id: 'sub-shipping',
        consumerApplicationId: 'app-shipping',
        notificationTypeId: 'type-any',
        state: 'requested',
        generation: 1,
      },
    ],
  };
}

export function application(
  id: string,
  name: string,
  settings: ReconcilerInput['applications'][number]['settings'] = {},
): ReconcilerInput['applications'][number] {
  return {
    id,
    name,
    generation: 1,
    deletedAt: null,
    queueDeletionConfirmedAt: null,
    settings,
  };
}

export function emptyBroker(): ObservedTopology {
  return {
    vhost: null,
    exchanges: [],
    queues: [],
    bindings: [],
    policies: [],
    users: [],
    permissions: [],
    shovels: [],
  };
}

/**
 * A faithful in-memory stand-in for the management API of one vhost: it answers the way
 * RabbitMQ does (quorum queues list their type in `arguments` and `type`, policy
 * definitions come back in the broker's key order, deleting a queue or exchange removes
 * its bindings) and records what the store would record as managed.
 */
export class FakeBroker {
  observed: ObservedTopology;
  readonly managed = new Set<string>();
  readonly writes: string[] = [];

  constructor(observed: ObservedTopology = emptyBroker()) {
    this.observed = observed;
  }

  apply(p: Plan): void {
    for (const wave of p.waves) {
      if (wave.operation === 'put') {
        for (const action of wave.actions) {
          this.writes.push(`${action.action} ${action.key}`);
          this.put(action.object);
          this.managed.add(action.key);
        }
      } else {
        for (const action of wave.actions) {
          this.writes.push(`delete ${action.key}`);
          this.remove(action);
          this.managed.delete(action.key);
        }
      }
    }
    for (const adoption of p.adoptions) this.managed.add(adoption.key);
  }

  put(object: DesiredObject): void {
    const o = this.observed;
    switch (object.kind) {
      case 'vhost':
        o.vhost = { name: object.name };
        break;
      case 'exchange':
        o.exchanges = o.exchanges.filter(e => e.name !== object.name);
        o.exchanges.push({
          name: object.name,
          vhost: OPTIONS.vhost,
          type: object.type,
          durable: true,
          auto_delete: false,
          internal: false,
          arguments: {},
        });
        break;
      case 'queue': {
        const type = String(object.arguments['x-queue-type'] ?? 'classic');
        o.queues = o.queues.filter(q => q.name !== object.name);
        o.queues.push({
          name: object.name,
          vhost: OPTIONS.vhost,
          durable: true,
          auto_delete: false,
          exclusive: false,
          arguments: { ...object.arguments },
          type,
          messages: 0,
        });
        break;
      }
      case 'policy':
        o.policies = o.policies.filter(p => p.name !== object.name);
        o.policies.push({
          vhost: OPTIONS.vhost,
          name: object.name,
          pattern: object.pattern,
          'apply-to': object.applyTo,
          // The broker keeps its own key order.
          definition: Object.fromEntries(
            Object.entries(object.definition).reverse(),
          ),
          priority: object.priority,
        });
        break;
      case 'binding':
        o.bindings.push({
          source: object.source,
          vhost: OPTIONS.vhost,
          destination: object.destination,
          destination_type: object.destinationType,
          routing_key: object.routingKey,
          arguments: {},
          properties_key: object.routingKey === '' ? '~' : object.routingKey,
        });
        break;
      case 'user':
        o.users = o.users.filter(u => u.name !== object.name);
        o.users.push({ name: object.name, password_hash: '', tags: [] });
        break;
      case 'permissions':
        o.permissions = o.permissions.filter(p => p.user !== object.user);
        o.permissions.push({
          user: object.user,
          configure: object.configure,
          write: object.write,
          read: object.read,
          topic: object.topic.map(t => ({ ...t })),
        });
        break;
      case 'shovel':
        o.shovels = o.shovels.filter(v => v.name !== object.name);
        // A shovel the fake declares starts at once on its only node.
        o.shovels.push({
          name: object.name,
          vhost: OPTIONS.vhost,
          value: { ...object.definition },
          status: { state: 'running', node: 'rabbit@fake' },
        });
        break;
      default:
        throw new Error(`unexpected object ${JSON.stringify(object)}`);
    }
  }

  remove(action: Plan['waves'][number]['actions'][number]): void {
    if (action.action !== 'delete') return;
    const o = this.observed;
    switch (action.kind) {
      case 'exchange':
        o.exchanges = o.exchanges.filter(e => e.name !== action.observed.name);
        o.bindings = o.bindings.filter(b => b.source !== action.observed.name);
        break;
      case 'queue':
        o.queues = o.queues.filter(q => q.name !== action.observed.name);
        o.bindings = o.bindings.filter(
          b =>
            !(
              b.destination_type === 'queue' &&
              b.destination === action.observed.name
            ),
        );
        break;
      case 'policy':
        o.policies = o.policies.filter(p => p.name !== action.observed.name);
        break;
      case 'binding':
        o.bindings = o.bindings.filter(b => b !== action.observed);
        break;
      case 'user':
        o.users = o.users.filter(u => u.name !== action.observed.name);
        o.permissions = o.permissions.filter(
          p => p.user !== action.observed.name,
        );
        break;
      case 'permissions':
        o.permissions = o.permissions.filter(
          p => p.user !== action.observed.user,
        );
        break;
      case 'shovel':
        o.shovels = o.shovels.filter(v => v.name !== action.observed.name);
        break;
      default:
        throw new Error(`unexpected deletion ${JSON.stringify(action)}`);
    }
  }

  setMessages(queue: string, messages: number | undefined): void {
    const found = this.observed.queues.find(q => q.name === queue);
    if (!found) throw new Error(`no queue ${queue}`);
    found.messages = messages;
  }
}

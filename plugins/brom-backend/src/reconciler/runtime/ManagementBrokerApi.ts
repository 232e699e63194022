import {
  isNotFoundError,
  ManagementApiError,
  ManagementClient,
} from '@internal/rabbitmq-management';
import {
  BrokerApi,
  BrokerConnection,
  BrokerRequestError,
  ObjectRef,
} from '../core/BrokerApi';
import { escapeRegex } from '../core/naming';
import {
  DesiredBinding,
  DesiredExchange,
  DesiredPolicy,
  DesiredQueue,
  ObservedBinding,
  ObservedTopology,
} from '../core/types';

/** {@link BrokerApi} over the RabbitMQ management API client. */
export class ManagementBrokerApi implements BrokerApi {
  readonly #client: ManagementClient;
  readonly #username: string;

  private constructor(client: ManagementClient, username: string) {
    this.#client = client;
    this.#username = username;
  }

  static create(options: { client: ManagementClient; username: string }) {
    return new ManagementBrokerApi(options.client, options.username);
  }

  async observe(vhost: string): Promise<ObservedTopology> {
    return translate(async () => {
      if (!(await absentOn404(() => this.#client.getVhost(vhost)))) {
        return { vhost: null, exchanges: [], queues: [], bindings: [], policies: [] };
      }
      const [exchanges, queues, bindings, policies] = await Promise.all([
        this.#client.listExchanges(vhost),
        // Without per-queue statistics the listing is much cheaper; the totals keep `messages`.
        this.#client.listQueues(vhost, { disableStats: true }),
        this.#client.listBindings(vhost),
        this.#client.listPolicies(vhost),
      ]);
      return {
        vhost: { name: vhost },
        exchanges: exchanges as ObservedTopology['exchanges'],
        queues: queues as ObservedTopology['queues'],
        bindings: bindings as ObservedTopology['bindings'],
        policies: policies as ObservedTopology['policies'],
      };
    });
  }

  async observeObjects(vhost: string, objects: ObjectRef[]): Promise<ObservedTopology> {
    return translate(async () => {
      const found: ObservedTopology = {
        vhost: { name: vhost },
        exchanges: [],
        queues: [],
        bindings: [],
        policies: [],
      };
      const vhostFound = await absentOn404(() => this.#client.getVhost(vhost));
      if (!vhostFound) return { ...found, vhost: null };
      // A queue's own GET omits a quorum queue's message count, which the deletion guard
      // needs; the listing filtered by name has it, and reads many queues at once.
      const queueNames = objects.flatMap(o => (o.kind === 'queue' ? [o.name] : []));
      const reads: Array<() => Promise<void>> = [];
      for (let i = 0; i < queueNames.length; i += 40) {
        const names = queueNames.slice(i, i + 40);
        reads.push(async () => {
          const wanted = new Set(names);
          const queues = await this.#client.listQueues(vhost, {
            disableStats: true,
            namePattern: `^(${names.map(escapeRegex).join('|')})$`,
          });
          for (const q of queues) {
            if (wanted.has(q.name)) found.queues.push(q as ObservedTopology['queues'][number]);
          }
        });
      }
      for (const ref of objects) {
        if (ref.kind !== 'queue') reads.push(() => this.#observeOne(vhost, ref, found));
      }
      let next = 0;
      const worker = async () => {
        while (next < reads.length) await reads[next++]();
      };
      await Promise.all(Array.from({ length: Math.min(8, reads.length) }, worker));
      return found;
    });
  }

  async #observeOne(vhost: string, ref: ObjectRef, found: ObservedTopology): Promise<void> {
    switch (ref.kind) {
      case 'exchange': {
        const e = await absentOn404(() => this.#client.getExchange(vhost, ref.name));
        if (e) found.exchanges.push(e as ObservedTopology['exchanges'][number]);
        return;
      }
      case 'policy': {
        const p = await absentOn404(() => this.#client.getPolicy(vhost, ref.name));
        if (p) found.policies.push(p as ObservedTopology['policies'][number]);
        return;
      }
      case 'binding': {
        const list = await absentOn404(() =>
          this.#client.listBindingsBetween(vhost, ref.source, ref.destination, ref.destinationType),
        );
        for (const b of list ?? []) {
          if (b.routing_key === ref.routingKey) {
            found.bindings.push(b as ObservedTopology['bindings'][number]);
          }
        }
        return;
      }
      default:
        throw new Error(`cannot observe ${ref.key} on its own`);
    }
  }

  /** Creates the vhost and gives the reconciler's own user full rights in it. */
  async putVhost(vhost: string): Promise<void> {
    await translate(async () => {
      await this.#client.putVhost(vhost);
      await this.#client.putPermissions(vhost, this.#username, {
        configure: '.*',
        write: '.*',
        read: '.*',
      });
    });
  }

  async putExchange(vhost: string, exchange: DesiredExchange): Promise<void> {
    await translate(() =>
      this.#client.putExchange(vhost, exchange.name, {
        type: exchange.type,
        durable: exchange.durable,
        auto_delete: exchange.autoDelete,
        internal: exchange.internal,
        arguments: exchange.arguments,
      }),
    );
  }

  async putQueue(vhost: string, queue: DesiredQueue): Promise<void> {
    await translate(() =>
      this.#client.putQueue(vhost, queue.name, {
        durable: queue.durable,
        auto_delete: queue.autoDelete,
        arguments: queue.arguments,
      }),
    );
  }

  async putPolicy(vhost: string, policy: DesiredPolicy): Promise<void> {
    await translate(() =>
      this.#client.putPolicy(vhost, policy.name, {
        pattern: policy.pattern,
        'apply-to': policy.applyTo,
        priority: policy.priority,
        definition: { ...policy.definition },
      }),
    );
  }

  async createBinding(vhost: string, binding: DesiredBinding): Promise<void> {
    await translate(() =>
      this.#client.bindQueue(vhost, binding.source, binding.destination, {
        routing_key: binding.routingKey,
        arguments: binding.arguments,
      }),
    );
  }

  async deleteExchange(vhost: string, name: string): Promise<void> {
    await translate(() => this.#client.deleteExchange(vhost, name, { ignoreNotFound: true }));
  }

  async deleteQueue(vhost: string, name: string): Promise<void> {
    await translate(() => this.#client.deleteQueue(vhost, name, { ignoreNotFound: true }));
  }

  async deletePolicy(vhost: string, name: string): Promise<void> {
    await translate(() => this.#client.deletePolicy(vhost, name, { ignoreNotFound: true }));
  }

  async deleteBinding(vhost: string, binding: ObservedBinding): Promise<void> {
    await translate(() =>
      this.#client.deleteBinding(
        {
          vhost,
          source: binding.source,
          destination: binding.destination,
          destination_type: binding.destination_type,
          properties_key: binding.properties_key,
        },
        { ignoreNotFound: true },
      ),
    );
  }

  async listUserConnections(username: string): Promise<BrokerConnection[]> {
    return translate(async () =>
      (await this.#client.listUserConnections(username)).map(c => ({
        name: c.name,
        user: c.user,
        vhost: c.vhost,
      })),
    );
  }

  async closeUserConnections(username: string, reason: string): Promise<void> {
    await translate(() => this.#client.closeUserConnections(username, reason));
  }
}

/** The read's result, or undefined when the broker answers 404. */
async function absentOn404<T>(read: () => Promise<T>): Promise<T | undefined> {
  try {
    return await read();
  } catch (error) {
    if (isNotFoundError(error)) return undefined;
    throw error;
  }
}

/** The reconciler classifies failures by status and body; keep those, drop the client's type. */
async function translate<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    if (error instanceof ManagementApiError) {
      throw new BrokerRequestError(error.message, error.status, error.body);
    }
    throw error;
  }
}

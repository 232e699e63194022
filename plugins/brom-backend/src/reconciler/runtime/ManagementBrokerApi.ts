import {
  isNotFoundError,
  ManagementApiError,
  ManagementClient,
  ShovelDefinition,
  ShovelParameter,
  ShovelStatus,
} from '@internal/rabbitmq-management';
import { redact } from '../core/kinds';
import {
  BrokerApi,
  BrokerConnection,
  BrokerRequestError,
} from '../core/BrokerApi';
import { escapeRegex } from '../core/naming';
import {
  DesiredBinding,
  DesiredExchange,
  DesiredPolicy,
  DesiredQueue,
  ObservedBinding,
  ObservedExchange,
  ObservedPermissions,
  ObservedPolicy,
  ObservedQueue,
  ObservedUser,
  TopicPermissionDefinition,
  ObservedShovel,
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

  /** Closes the client's connections once its requests in flight are answered. */
  async close(): Promise<void> {
    await this.#client.close();
  }

  async hasVhost(vhost: string): Promise<boolean> {
    return translate(
      async () =>
        (await absentOn404(() => this.#client.getVhost(vhost))) !== undefined,
    );
  }

  async listExchanges(vhost: string): Promise<ObservedExchange[]> {
    return translate(
      async () =>
        (await this.#client.listExchanges(vhost)) as ObservedExchange[],
    );
  }

  async getExchange(
    vhost: string,
    name: string,
  ): Promise<ObservedExchange | undefined> {
    return translate(
      async () =>
        (await absentOn404(() => this.#client.getExchange(vhost, name))) as
          | ObservedExchange
          | undefined,
    );
  }

  async listQueues(vhost: string): Promise<ObservedQueue[]> {
    // Without per-queue statistics the listing is much cheaper; the totals keep `messages`.
    return translate(
      async () =>
        (await this.#client.listQueues(vhost, {
          disableStats: true,
        })) as ObservedQueue[],
    );
  }

  async listQueuesNamed(
    vhost: string,
    names: string[],
  ): Promise<ObservedQueue[]> {
    return translate(async () => {
      const wanted = new Set(names);
      const queues = await this.#client.listQueues(vhost, {
        disableStats: true,
        namePattern: `^(${names.map(escapeRegex).join('|')})$`,
      });
      return (queues as ObservedQueue[]).filter(q => wanted.has(q.name));
    });
  }

  async listPolicies(vhost: string): Promise<ObservedPolicy[]> {
    return translate(
      async () => (await this.#client.listPolicies(vhost)) as ObservedPolicy[],
    );
  }

  async getPolicy(
    vhost: string,
    name: string,
  ): Promise<ObservedPolicy | undefined> {
    return translate(
      async () =>
        (await absentOn404(() => this.#client.getPolicy(vhost, name))) as
          | ObservedPolicy
          | undefined,
    );
  }

  async listBindings(vhost: string): Promise<ObservedBinding[]> {
    return translate(
      async () => (await this.#client.listBindings(vhost)) as ObservedBinding[],
    );
  }

  async listBindingsBetween(
    vhost: string,
    source: string,
    destination: string,
    destinationType: 'queue' | 'exchange',
  ): Promise<ObservedBinding[]> {
    return translate(
      async () =>
        ((await absentOn404(() =>
          this.#client.listBindingsBetween(
            vhost,
            source,
            destination,
            destinationType,
          ),
        )) ?? []) as ObservedBinding[],
    );
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
    await translate(() =>
      this.#client.deleteExchange(vhost, name, { ignoreNotFound: true }),
    );
  }

  async deleteQueue(vhost: string, name: string): Promise<void> {
    await translate(() =>
      this.#client.deleteQueue(vhost, name, { ignoreNotFound: true }),
    );
  }

  async deletePolicy(vhost: string, name: string): Promise<void> {
    await translate(() =>
      this.#client.deletePolicy(vhost, name, { ignoreNotFound: true }),
    );
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

  async listUsers(): Promise<ObservedUser[]> {
    return translate(async () =>
      (await this.#client.listUsers()).map(observedUser),
    );
  }

  async getUser(name: string): Promise<ObservedUser | undefined> {
    return translate(async () => {
      const found = await absentOn404(() => this.#client.getUser(name));
      return found && observedUser(found);
    });
  }

  async putUser(name: string): Promise<void> {
    // An empty hash is RabbitMQ's "no password": the internal backend refuses every
    // password for the user, and only another backend (the sidecar) can authenticate it.
    await translate(() =>
      this.#client.putUser(name, { password_hash: '', tags: '' }),
    );
  }

  async deleteUser(name: string): Promise<void> {
    await translate(() =>
      this.#client.deleteUser(name, { ignoreNotFound: true }),
    );
  }

  async listPermissions(vhost: string): Promise<ObservedPermissions[]> {
    return translate(async () => {
      const [permissions, topics] = await Promise.all([
        this.#client.listVhostPermissions(vhost),
        this.#client.listVhostTopicPermissions(vhost),
      ]);
      const byUser = new Map<string, ObservedPermissions>();
      for (const p of permissions) {
        byUser.set(p.user, {
          user: p.user,
          configure: p.configure,
          write: p.write,
          read: p.read,
          topic: [],
        });
      }
      for (const t of topics) {
        const entry = byUser.get(t.user) ?? { user: t.user, topic: [] };
        entry.topic.push({
          exchange: t.exchange,
          write: t.write,
          read: t.read,
        });
        byUser.set(t.user, entry);
      }
      return [...byUser.values()];
    });
  }

  async getPermissions(
    vhost: string,
    user: string,
  ): Promise<ObservedPermissions | undefined> {
    return translate(async () => {
      const [permission, topics] = await Promise.all([
        absentOn404(() => this.#client.getPermissions(vhost, user)),
        absentOn404(() => this.#client.listTopicPermissions(vhost, user)),
      ]);
      if (!permission && !topics?.length) return undefined;
      return {
        user,
        ...(permission && {
          configure: permission.configure,
          write: permission.write,
          read: permission.read,
        }),
        topic: (topics ?? []).map(t => ({
          exchange: t.exchange,
          write: t.write,
          read: t.read,
        })),
      };
    });
  }

  async putVhostPermissions(
    vhost: string,
    user: string,
    permissions: { configure: string; write: string; read: string },
  ): Promise<void> {
    await translate(() =>
      this.#client.putPermissions(vhost, user, permissions),
    );
  }

  async deleteVhostPermissions(vhost: string, user: string): Promise<void> {
    await translate(() =>
      this.#client.deletePermissions(vhost, user, { ignoreNotFound: true }),
    );
  }

  async putTopicPermission(
    vhost: string,
    user: string,
    topic: TopicPermissionDefinition,
  ): Promise<void> {
    await translate(() => this.#client.putTopicPermissions(vhost, user, topic));
  }

  async deleteTopicPermissions(vhost: string, user: string): Promise<void> {
    await translate(() =>
      this.#client.deleteTopicPermissions(vhost, user, {
        ignoreNotFound: true,
      }),
    );
  }

  async listShovels(vhost: string): Promise<ObservedShovel[]> {
    return translate(async () => {
      // Without the shovel plugins there are neither parameters nor statuses to list.
      const parameters =
        (await absentOn404(() => this.#client.listShovelParameters(vhost))) ??
        [];
      if (parameters.length === 0) return [];
      const statuses =
        (await absentOn404(() => this.#client.listShovels(vhost))) ?? [];
      return parameters.map(p => observedShovel(p, statuses));
    });
  }

  async getShovel(
    vhost: string,
    name: string,
  ): Promise<ObservedShovel | undefined> {
    return translate(async () => {
      const parameter = await absentOn404(() =>
        this.#client.getShovelParameter(vhost, name),
      );
      if (!parameter) return undefined;
      const statuses = await absentOn404(() =>
        this.#client.getShovelStatus(vhost, name),
      );
      return observedShovel(parameter, statuses ?? []);
    });
  }

  async putShovel(
    vhost: string,
    name: string,
    definition: Record<string, unknown>,
  ): Promise<void> {
    // The broker's answer to a bad definition may quote it, password included.
    const secrets = secretsOf(definition);
    await translate(
      () => this.#client.putShovel(vhost, name, definition as ShovelDefinition),
      secrets,
    );
  }

  async deleteShovel(vhost: string, name: string): Promise<void> {
    await translate(() =>
      this.#client.deleteShovel(vhost, name, { ignoreNotFound: true }),
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

function observedUser(user: {
  name: string;
  tags: string[] | string;
  password_hash?: string;
}): ObservedUser {
  return {
    name: user.name,
    tags: user.tags,
    password_hash: user.password_hash,
  };
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
async function translate<T>(
  fn: () => Promise<T>,
  secrets: string[] = [],
): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    if (error instanceof ManagementApiError) {
      throw new BrokerRequestError(
        redact(error.message, secrets),
        error.status,
        redact(error.body, secrets),
      );
    }
    if (secrets.length > 0 && error instanceof Error) {
      throw new Error(redact(error.message, secrets));
    }
    throw error;
  }
}

function observedShovel(
  parameter: ShovelParameter,
  statuses: ShovelStatus[],
): ObservedShovel {
  const status = statuses.find(s => s.name === parameter.name);
  return {
    name: parameter.name,
    vhost: parameter.vhost,
    value: parameter.value as ObservedShovel['value'],
    status: status
      ? {
          state: status.state,
          node: status.node,
          ...(status.reason === undefined
            ? {}
            : { reason: String(status.reason) }),
        }
      : null,
  };
}

/** The passwords in a shovel definition's URIs. */
function secretsOf(definition: Record<string, unknown>): string[] {
  const secrets: string[] = [];
  for (const [field, value] of Object.entries(definition)) {
    if (!field.endsWith('-uri')) continue;
    for (const uri of Array.isArray(value) ? value : [value]) {
      try {
        const password = new URL(String(uri)).password;
        if (password) secrets.push(decodeURIComponent(password), password);
      } catch {
        // Not a URL: nothing to hide in it.
      }
    }
  }
  return secrets;
}

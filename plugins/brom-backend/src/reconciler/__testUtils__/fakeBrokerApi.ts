import { BrokerApi, BrokerConnection, BrokerRequestError } from '../core/BrokerApi';
import {
  DesiredBinding,
  DesiredExchange,
  DesiredPolicy,
  DesiredQueue,
  ObservedBinding,
  ObservedPermissions,
  TopicPermissionDefinition,
  ObservedShovel,
} from '../core/types';
import { FakeBroker } from './fakeBroker';

/** A write the test holds until it lets it end. */
export interface HeldWrite {
  /** Resolves once the write has begun. */
  started: Promise<void>;
  release(): void;
}

/**
 * {@link BrokerApi} over a {@link FakeBroker}: every call is logged in `calls` (e.g.
 * `putPolicy brom.billing`), a call can be made to fail or to wait for the test, and users'
 * connections are a map the test fills.
 */
export class FakeBrokerApi implements BrokerApi {
  readonly broker: FakeBroker;
  readonly calls: string[] = [];
  /** Open connection names by username. */
  readonly connections = new Map<string, string[]>();
  /** What the shovel plugin reports for a shovel just put: running at once unless a test says otherwise. */
  newShovelStatus: ObservedShovel['status'] = { state: 'running', node: 'rabbit@fake' };
  readonly #failures = new Map<string, Error[]>();
  readonly #held = new Map<string, { started: () => void; released: Promise<void> }>();
  #down: Error | undefined;

  constructor(broker: FakeBroker = new FakeBroker()) {
    this.broker = broker;
  }

  /** The next `times` calls logged as `call` fail with the broker's HTTP `status` and `body`. */
  failNext(
    call: string,
    status: number,
    { times = 1, body = 'failed on purpose' }: { times?: number; body?: string } = {},
  ): void {
    const errors = this.#failures.get(call) ?? [];
    for (let i = 0; i < times; i++) {
      errors.push(new BrokerRequestError(`HTTP ${status}`, status, body));
    }
    this.#failures.set(call, errors);
  }

  /** Every call fails as a refused connection does, until `up()`. */
  down(): void {
    this.#down = new Error('connect ECONNREFUSED 127.0.0.1:15672');
  }

  up(): void {
    this.#down = undefined;
  }

  /** The next call logged as `call` waits until the test releases it. */
  hold(call: string): HeldWrite {
    let started!: () => void;
    let release!: () => void;
    const startedPromise = new Promise<void>(resolve => {
      started = resolve;
    });
    const released = new Promise<void>(resolve => {
      release = resolve;
    });
    this.#held.set(call, { started, released });
    return { started: startedPromise, release };
  }

  async hasVhost(vhost: string) {
    await this.#call(`hasVhost ${vhost}`);
    return this.broker.observed.vhost?.name === vhost;
  }

  async putVhost(vhost: string) {
    await this.#call(`putVhost ${vhost}`);
    this.broker.put({ kind: 'vhost', key: `vhost:${vhost}`, name: vhost, dependsOn: [], owner: null });
  }

  async listExchanges(vhost: string) {
    await this.#call(`listExchanges ${vhost}`);
    return [...this.broker.observed.exchanges];
  }

  async getExchange(_vhost: string, name: string) {
    await this.#call(`getExchange ${name}`);
    return this.broker.observed.exchanges.find(e => e.name === name);
  }

  async putExchange(_vhost: string, exchange: DesiredExchange) {
    await this.#call(`putExchange ${exchange.name}`);
    this.broker.put(exchange);
  }

  async deleteExchange(_vhost: string, name: string) {
    await this.#call(`deleteExchange ${name}`);
    const observed = this.broker.observed.exchanges.find(e => e.name === name);
    if (observed) this.broker.remove({ action: 'delete', kind: 'exchange', key: '', observed });
  }

  async listQueues(vhost: string) {
    await this.#call(`listQueues ${vhost}`);
    return [...this.broker.observed.queues];
  }

  async listQueuesNamed(_vhost: string, names: string[]) {
    await this.#call(`listQueuesNamed ${names.join(',')}`);
    return this.broker.observed.queues.filter(q => names.includes(q.name));
  }

  async putQueue(_vhost: string, queue: DesiredQueue) {
    await this.#call(`putQueue ${queue.name}`);
    this.broker.put(queue);
  }

  async deleteQueue(_vhost: string, name: string) {
    await this.#call(`deleteQueue ${name}`);
    const observed = this.broker.observed.queues.find(q => q.name === name);
    if (observed) this.broker.remove({ action: 'delete', kind: 'queue', key: '', observed });
  }

  async listPolicies(vhost: string) {
    await this.#call(`listPolicies ${vhost}`);
    return [...this.broker.observed.policies];
  }

  async getPolicy(_vhost: string, name: string) {
    await this.#call(`getPolicy ${name}`);
    return this.broker.observed.policies.find(p => p.name === name);
  }

  async putPolicy(_vhost: string, policy: DesiredPolicy) {
    await this.#call(`putPolicy ${policy.name}`);
    this.broker.put(policy);
  }

  async deletePolicy(_vhost: string, name: string) {
    await this.#call(`deletePolicy ${name}`);
    const observed = this.broker.observed.policies.find(p => p.name === name);
    if (observed) this.broker.remove({ action: 'delete', kind: 'policy', key: '', observed });
  }

  async listBindings(vhost: string) {
    await this.#call(`listBindings ${vhost}`);
    return [...this.broker.observed.bindings];
  }

  async listBindingsBetween(
    _vhost: string,
    source: string,
    destination: string,
    destinationType: 'queue' | 'exchange',
  ) {
    await this.#call(`listBindingsBetween ${source}->${destinationType}:${destination}`);
    return this.broker.observed.bindings.filter(
      b =>
        b.source === source &&
        b.destination === destination &&
        b.destination_type === destinationType,
    );
  }

  async createBinding(_vhost: string, binding: DesiredBinding) {
    await this.#call(`createBinding ${binding.key}`);
    this.broker.put(binding);
  }

  async deleteBinding(_vhost: string, binding: ObservedBinding) {
    await this.#call(
      `deleteBinding ${binding.source}->${binding.destination_type}:${binding.destination}:${binding.routing_key}`,
    );
    const observed = this.broker.observed.bindings.find(
      b =>
        b.source === binding.source &&
        b.destination === binding.destination &&
        b.properties_key === binding.properties_key,
    );
    if (observed) this.broker.remove({ action: 'delete', kind: 'binding', key: '', observed });
  }

  async listUsers() {
    await this.#call('listUsers');
    return this.broker.observed.users.map(u => ({ ...u }));
  }

  async getUser(name: string) {
    await this.#call(`getUser ${name}`);
    const found = this.broker.observed.users.find(u => u.name === name);
    return found && { ...found };
  }

  async putUser(name: string) {
    await this.#call(`putUser ${name}`);
    this.broker.observed.users = [
      ...this.broker.observed.users.filter(u => u.name !== name),
      { name, password_hash: '', tags: [] },
    ];
  }

  async deleteUser(name: string) {
    await this.#call(`deleteUser ${name}`);
    // As RabbitMQ does, deleting a user deletes its permissions.
    this.broker.observed.users = this.broker.observed.users.filter(u => u.name !== name);
    this.broker.observed.permissions = this.broker.observed.permissions.filter(
      p => p.user !== name,
    );
  }

  async listPermissions(vhost: string) {
    await this.#call(`listPermissions ${vhost}`);
    return this.broker.observed.permissions.map(copyPermissions);
  }

  async getPermissions(_vhost: string, user: string) {
    await this.#call(`getPermissions ${user}`);
    const found = this.broker.observed.permissions.find(p => p.user === user);
    return found && copyPermissions(found);
  }

  async putVhostPermissions(
    _vhost: string,
    user: string,
    permissions: { configure: string; write: string; read: string },
  ) {
    await this.#call(`putVhostPermissions ${user}`);
    this.#requireUser(user);
    this.#permissionsOf(user, entry => ({ ...entry, ...permissions }));
  }

  async deleteVhostPermissions(_vhost: string, user: string) {
    await this.#call(`deleteVhostPermissions ${user}`);
    this.#permissionsOf(user, ({ topic }) => ({ user, topic }));
  }

  async putTopicPermission(_vhost: string, user: string, topic: TopicPermissionDefinition) {
    await this.#call(`putTopicPermission ${user} ${topic.exchange}`);
    this.#requireUser(user);
    this.#permissionsOf(user, entry => ({
      ...entry,
      topic: [...entry.topic.filter(t => t.exchange !== topic.exchange), { ...topic }],
    }));
  }

  async deleteTopicPermissions(_vhost: string, user: string) {
    await this.#call(`deleteTopicPermissions ${user}`);
    this.#permissionsOf(user, entry => ({ ...entry, topic: [] }));
  }

  /** The broker refuses permissions for a user that does not exist. */
  #requireUser(user: string): void {
    if (!this.broker.observed.users.some(u => u.name === user)) {
      throw new BrokerRequestError('HTTP 400', 400, `no_such_user ${user}`);
    }
  }

  /** Replaces the user's entry; an entry with neither kind of permission left goes. */
  #permissionsOf(user: string, change: (entry: ObservedPermissions) => ObservedPermissions): void {
    const list = this.broker.observed.permissions;
    const entry = list.find(p => p.user === user) ?? { user, topic: [] };
    const changed = change(entry);
    const rest = list.filter(p => p.user !== user);
    this.broker.observed.permissions =
      changed.configure === undefined && changed.topic.length === 0 ? rest : [...rest, changed];
  }

  async listShovels(vhost: string) {
    await this.#call(`listShovels ${vhost}`);
    return structuredClone(this.broker.observed.shovels);
  }

  async getShovel(_vhost: string, name: string) {
    await this.#call(`getShovel ${name}`);
    const found = this.broker.observed.shovels.find(v => v.name === name);
    return found && structuredClone(found);
  }

  async putShovel(_vhost: string, name: string, definition: Record<string, unknown>) {
    await this.#call(`putShovel ${name}`);
    this.broker.observed.shovels = this.broker.observed.shovels.filter(v => v.name !== name);
    this.broker.observed.shovels.push({
      name,
      value: structuredClone(definition) as ObservedShovel['value'],
      status: structuredClone(this.newShovelStatus),
    });
  }

  async deleteShovel(_vhost: string, name: string) {
    await this.#call(`deleteShovel ${name}`);
    this.broker.observed.shovels = this.broker.observed.shovels.filter(v => v.name !== name);
  }

  async listUserConnections(username: string): Promise<BrokerConnection[]> {
    await this.#call(`listUserConnections ${username}`);
    return (this.connections.get(username) ?? []).map(name => ({
      name,
      user: username,
      vhost: this.broker.observed.vhost?.name ?? '',
    }));
  }

  async closeUserConnections(username: string) {
    await this.#call(`closeUserConnections ${username}`);
    this.connections.delete(username);
  }

  async #call(call: string): Promise<void> {
    this.calls.push(call);
    if (this.#down) throw this.#down;
    const held = this.#held.get(call);
    if (held) {
      this.#held.delete(call);
      held.started();
      await held.released;
    }
    const failure = this.#failures.get(call)?.shift();
    if (failure) throw failure;
  }
}

function copyPermissions(p: ObservedPermissions): ObservedPermissions {
  return { ...p, topic: p.topic.map(t => ({ ...t })) };
}

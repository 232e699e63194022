import { Pool } from 'undici';
import {
  ManagementApiError,
  ManagementRequestError,
  isNotFoundError,
} from './errors';
import { apiPath } from './paths';
import type {
  Binding,
  BindingSettings,
  Connection,
  Definitions,
  Exchange,
  ExchangeSettings,
  Overview,
  Permission,
  PermissionSettings,
  Policy,
  PolicySettings,
  Queue,
  QueueMessage,
  QueueSettings,
  ShovelDefinition,
  ShovelParameter,
  ShovelStatus,
  TopicPermission,
  TopicPermissionSettings,
  User,
  UserSettings,
  Vhost,
  VhostSettings,
} from './types';

/** @public */
export interface ManagementClientOptions {
  /**
   * Where the management plugin listens, e.g. `http://127.0.0.1:15672`: one
   * URL (a single node, or a load balancer in front of a cluster) or one per
   * node of a cluster, tried in order (see {@link ManagementClient}). A path
   * (for `management.path_prefix`) is kept and put in front of `/api/…`.
   */
  baseUrl: string | readonly string[];
  username: string;
  password: string;
  /** Upper bound on parallel connections to the broker. Default 4. */
  connections?: number;
  /** Time to wait for the response headers. Default 15 s. */
  headersTimeoutMs?: number;
  /** Longest pause between two chunks of a response body. Default 30 s. */
  bodyTimeoutMs?: number;
  /** Time to establish the TCP connection. Default 5 s. */
  connectTimeoutMs?: number;
  /**
   * How long {@link ManagementClient.deleteShovel} waits for a deleted shovel's
   * runtime parameter and status to be gone. Default 10 s.
   */
  shovelDeletionTimeoutMs?: number;
}

/** @public */
export interface DeleteOptions {
  /**
   * Treat 404 (the object, or its vhost, does not exist) as success. The
   * method then resolves to `false` instead of throwing.
   */
  ignoreNotFound?: boolean;
}

/** @public */
export interface DeleteQueueOptions extends DeleteOptions {
  /** Refuse (HTTP 400) unless the queue has no messages. */
  ifEmpty?: boolean;
  /** Refuse (HTTP 400) unless the queue has no consumers. */
  ifUnused?: boolean;
}

/** @public */
export interface DeleteExchangeOptions extends DeleteOptions {
  /** Refuse (HTTP 400) while the exchange is the source of bindings. */
  ifUnused?: boolean;
}

/** @public */
export interface ListQueuesOptions {
  /**
   * Skip per-queue statistics (rates, consumer details) but keep message
   * totals: much cheaper for the broker with many queues.
   */
  disableStats?: boolean;
  /**
   * Only queues whose names match this regular expression (Erlang `re`, so anchor it:
   * `^orders$`); the broker filters, answering one page of up to 500 queues.
   */
  namePattern?: string;
  /**
   * Only these fields of each queue (the API's `columns`, dotted paths such as
   * `message_stats.publish_details.rate`): one cheap request for many queues.
   */
  columns?: string[];
  /** Rates over a window of the broker's samples (see {@link RateWindow}). */
  rates?: RateWindow;
}

/**
 * The window the broker computes each `*_details.rate` over (the API's `msg_rates_age` and
 * `msg_rates_incr`, in seconds). Without one, a rate is the change between the node's last two
 * samples as of the request, which on RabbitMQ 3.10 reads 0 for most of each 5 s sampling
 * interval even under a steady publish; with one, it is the rate of the window's last
 * increment and holds until the next sample.
 */
export interface RateWindow {
  ageSeconds: number;
  incrementSeconds: number;
}

function rateWindowQuery(rates: RateWindow | undefined): Record<string, string> {
  if (!rates) return {};
  return {
    msg_rates_age: String(rates.ageSeconds),
    msg_rates_incr: String(rates.incrementSeconds),
  };
}

/** @public */
export interface ListExchangesOptions {
  /** Only these fields of each exchange (the API's `columns`). */
  columns?: string[];
  /** Rates over a window of the broker's samples (see {@link RateWindow}). */
  rates?: RateWindow;
}

/** The binding fields needed to delete it, as found in {@link ManagementClient.listBindings}. */
export type BindingRef = Pick<
  Binding,
  'vhost' | 'source' | 'destination' | 'destination_type' | 'properties_key'
>;

type HttpMethod = 'GET' | 'PUT' | 'POST' | 'DELETE';

interface RequestOptions {
  query?: Record<string, string>;
  body?: unknown;
  headers?: Record<string, string>;
  /**
   * Repeat the request on the next node when this one does not answer (default true). Off for
   * requests that are not declarations: the first node may have carried them out.
   */
  retry?: boolean;
}

/** One management listener: a node of the cluster, or a load balancer. */
interface Endpoint {
  readonly pool: Pool;
  readonly pathPrefix: string;
  /** The node that answers here, once an overview said so (a load balancer's changes). */
  node?: string;
}

interface PoolOptions {
  connections: number;
  headersTimeoutMs: number;
  bodyTimeoutMs: number;
  connectTimeoutMs: number;
}

interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

/**
 * A typed client for the RabbitMQ management HTTP API.
 *
 * Every node of a cluster serves the whole cluster's management API, so with
 * several base URLs the client sends each request to the current one and, when
 * that node cannot answer (connection refused or reset, a timeout, or 503 from
 * a node that is booting or shutting down), repeats it on the next, which then
 * becomes current. An answer from the broker, 4xx included, is never retried
 * elsewhere: another node would give the same one. Repeating a request is safe
 * because the API's writes are declarations (PUT, DELETE, and POSTs that are
 * no-ops when repeated).
 *
 * One instance holds one connection pool per base URL; share it and call
 * {@link close} when done.
 *
 * @public
 */
export class ManagementClient {
  readonly #endpoints: readonly Endpoint[];
  readonly #authorization: string;
  #current = 0;

  static create(options: ManagementClientOptions): ManagementClient {
    const baseUrls =
      typeof options.baseUrl === 'string' ? [options.baseUrl] : options.baseUrl;
    if (baseUrls.length === 0) {
      throw new TypeError('RabbitMQ management baseUrl lists no URL');
    }
    const endpoints = baseUrls.map(baseUrl => {
      const url = new URL(baseUrl);
      if (url.protocol !== 'http:' && url.protocol !== 'https:') {
        throw new TypeError(
          `RabbitMQ management baseUrl must be http(s), got ${baseUrl}`,
        );
      }
      return { url, pathPrefix: url.pathname.replace(/\/+$/, '') };
    });
    const authorization = `Basic ${Buffer.from(
      `${options.username}:${options.password}`,
    ).toString('base64')}`;
    const poolOptions: PoolOptions = {
      connections: options.connections ?? 4,
      headersTimeoutMs: options.headersTimeoutMs ?? 15_000,
      bodyTimeoutMs: options.bodyTimeoutMs ?? 30_000,
      connectTimeoutMs: options.connectTimeoutMs ?? 5_000,
    };
    return new ManagementClient(
      endpoints.map(({ url, pathPrefix }) => ({
        pool: createPool(url.origin, poolOptions),
        pathPrefix,
      })),
      authorization,
      poolOptions,
      options.shovelDeletionTimeoutMs ?? 10_000,
    );
  }

  readonly #poolOptions: PoolOptions;
  readonly #shovelDeletionTimeoutMs: number;
  /** Endpoints of nodes not in the configured list, found through the overview's listeners. */
  readonly #discovered = new Map<string, Endpoint>();

  private constructor(
    endpoints: readonly Endpoint[],
    authorization: string,
    poolOptions: PoolOptions,
    shovelDeletionTimeoutMs: number,
  ) {
    this.#endpoints = endpoints;
    this.#authorization = authorization;
    this.#poolOptions = poolOptions;
    this.#shovelDeletionTimeoutMs = shovelDeletionTimeoutMs;
  }

  /** Waits for requests in flight, then closes the connections. */
  async close(): Promise<void> {
    await Promise.all(
      [...this.#endpoints, ...this.#discovered.values()].map(endpoint =>
        endpoint.pool.close(),
      ),
    );
  }

  // Cluster

  async getOverview(): Promise<Overview> {
    return this.#getJson(apiPath`overview`);
  }

  // Virtual hosts

  async listVhosts(): Promise<Vhost[]> {
    return this.#getJson(apiPath`vhosts`);
  }

  async getVhost(vhost: string): Promise<Vhost> {
    return this.#getJson(apiPath`vhosts/${vhost}`);
  }

  /** Creates the vhost, or updates its metadata if it exists. */
  async putVhost(vhost: string, settings: VhostSettings = {}): Promise<void> {
    await this.#send('PUT', apiPath`vhosts/${vhost}`, { body: settings });
  }

  /** Deletes the vhost and everything in it. */
  async deleteVhost(vhost: string, options?: DeleteOptions): Promise<boolean> {
    return this.#delete(apiPath`vhosts/${vhost}`, options);
  }

  // Exchanges

  async listExchanges(
    vhost: string,
    options: ListExchangesOptions = {},
  ): Promise<Exchange[]> {
    return this.#getJson(apiPath`exchanges/${vhost}`, {
      query: {
        ...(options.columns ? { columns: options.columns.join(',') } : {}),
        ...rateWindowQuery(options.rates),
      },
    });
  }

  async getExchange(vhost: string, name: string): Promise<Exchange> {
    return this.#getJson(apiPath`exchanges/${vhost}/${name}`);
  }

  /**
   * Declares the exchange. Declaring an existing exchange with different
   * settings fails with 400 (`inequivalent arg`).
   */
  async putExchange(
    vhost: string,
    name: string,
    settings: ExchangeSettings,
  ): Promise<void> {
    await this.#send('PUT', apiPath`exchanges/${vhost}/${name}`, {
      body: {
        durable: true,
        auto_delete: false,
        internal: false,
        arguments: {},
        ...settings,
      },
    });
  }

  async deleteExchange(
    vhost: string,
    name: string,
    options: DeleteExchangeOptions = {},
  ): Promise<boolean> {
    return this.#delete(apiPath`exchanges/${vhost}/${name}`, options, {
      ...(options.ifUnused ? { 'if-unused': 'true' } : {}),
    });
  }

  // Queues

  async listQueues(
    vhost: string,
    options: ListQueuesOptions = {},
  ): Promise<Queue[]> {
    const query: Record<string, string> = options.disableStats
      ? { disable_stats: 'true', enable_queue_totals: 'true' }
      : rateWindowQuery(options.rates);
    if (options.columns) query.columns = options.columns.join(',');
    if (options.namePattern === undefined) {
      return this.#getJson(apiPath`queues/${vhost}`, { query });
    }
    const page = await this.#getJson<{ items: Queue[] }>(apiPath`queues/${vhost}`, {
      query: {
        ...query,
        page: '1',
        page_size: '500',
        name: options.namePattern,
        use_regex: 'true',
      },
    });
    return page.items;
  }

  /** The queue with its message counts (see {@link Queue.messages}). */
  async getQueue(vhost: string, name: string): Promise<Queue> {
    return this.#getJson(apiPath`queues/${vhost}/${name}`);
  }

  /**
   * Declares the queue. Its arguments (such as `x-queue-type`) cannot change
   * later: declaring it again with others fails with 400 (`inequivalent arg`).
   */
  async putQueue(
    vhost: string,
    name: string,
    settings: QueueSettings = {},
  ): Promise<void> {
    await this.#send('PUT', apiPath`queues/${vhost}/${name}`, {
      body: { durable: true, auto_delete: false, arguments: {}, ...settings },
    });
  }

  async deleteQueue(
    vhost: string,
    name: string,
    options: DeleteQueueOptions = {},
  ): Promise<boolean> {
    return this.#delete(apiPath`queues/${vhost}/${name}`, options, {
      ...(options.ifEmpty ? { 'if-empty': 'true' } : {}),
      ...(options.ifUnused ? { 'if-unused': 'true' } : {}),
    });
  }

  /**
   * Takes up to `options.count` messages from the head of the queue through the management
   * API (`POST /api/queues/{vhost}/{name}/get`). With `ackmode: 'ack_requeue_true'` (the
   * default here) the broker puts each back at once: nothing is lost, but the messages are
   * marked redelivered, and a quorum queue counts the delivery (its `delivery-limit`, if
   * one applies, drops or dead-letters a message returned too often). Payloads come base64
   * encoded, cut to `truncate` bytes (`payload_bytes` keeps the whole size).
   */
  async getMessages(
    vhost: string,
    name: string,
    options: {
      count: number;
      ackmode?: 'ack_requeue_true' | 'reject_requeue_true' | 'ack_requeue_false';
      truncate?: number;
    },
  ): Promise<QueueMessage[]> {
    const response = await this.#send('POST', apiPath`queues/${vhost}/${name}/get`, {
      body: {
        count: options.count,
        ackmode: options.ackmode ?? 'ack_requeue_true',
        encoding: 'base64',
        ...(options.truncate !== undefined ? { truncate: options.truncate } : {}),
      },
      retry: false,
    });
    return JSON.parse(response.text) as QueueMessage[];
  }

  /**
   * Removes every ready message of the queue (`DELETE /api/queues/{vhost}/{name}/contents`).
   * The API does not say how many it removed. Never repeated on another node: a second purge
   * would also remove what arrived in between.
   */
  async purgeQueue(vhost: string, name: string): Promise<void> {
    await this.#send('DELETE', apiPath`queues/${vhost}/${name}/contents`, {
      // It answers with no body: asking for JSON gets 406 Not Acceptable (measured on 3.10.8).
      headers: { accept: '*/*' },
      retry: false,
    });
  }

  // Bindings

  async listBindings(vhost: string): Promise<Binding[]> {
    return this.#getJson(apiPath`bindings/${vhost}`);
  }

  /** The bindings from one exchange to one queue (or exchange), whatever their routing keys. */
  async listBindingsBetween(
    vhost: string,
    source: string,
    destination: string,
    destinationType: 'queue' | 'exchange' = 'queue',
  ): Promise<Binding[]> {
    const kind = destinationType === 'exchange' ? 'e' : 'q';
    return this.#getJson(apiPath`bindings/${vhost}/e/${source}/${kind}/${destination}`);
  }

  /**
   * Binds a queue to an exchange. Binding again with the same routing key
   * and arguments is a no-op.
   *
   * @returns the new binding's `properties_key`
   */
  async bindQueue(
    vhost: string,
    exchange: string,
    queue: string,
    settings: BindingSettings = {},
  ): Promise<string> {
    return this.#createBinding(
      apiPath`bindings/${vhost}/e/${exchange}/q/${queue}`,
      settings,
    );
  }

  /**
   * Binds `destination` exchange to `source` exchange (exchange-to-exchange
   * binding).
   *
   * @returns the new binding's `properties_key`
   */
  async bindExchange(
    vhost: string,
    source: string,
    destination: string,
    settings: BindingSettings = {},
  ): Promise<string> {
    return this.#createBinding(
      apiPath`bindings/${vhost}/e/${source}/e/${destination}`,
      settings,
    );
  }

  /** Deletes one binding, identified as {@link listBindings} reports it. */
  async deleteBinding(
    binding: BindingRef,
    options?: DeleteOptions,
  ): Promise<boolean> {
    const kind = binding.destination_type === 'exchange' ? 'e' : 'q';
    return this.#delete(
      apiPath`bindings/${binding.vhost}/e/${binding.source}/${kind}/${binding.destination}/${binding.properties_key}`,
      options,
    );
  }

  // Policies

  async listPolicies(vhost?: string): Promise<Policy[]> {
    return this.#getJson(
      vhost === undefined ? apiPath`policies` : apiPath`policies/${vhost}`,
    );
  }

  async getPolicy(vhost: string, name: string): Promise<Policy> {
    return this.#getJson(apiPath`policies/${vhost}/${name}`);
  }

  /** Creates or replaces the policy. */
  async putPolicy(
    vhost: string,
    name: string,
    settings: PolicySettings,
  ): Promise<void> {
    await this.#send('PUT', apiPath`policies/${vhost}/${name}`, {
      body: { priority: 0, 'apply-to': 'all', ...settings },
    });
  }

  async deletePolicy(
    vhost: string,
    name: string,
    options?: DeleteOptions,
  ): Promise<boolean> {
    return this.#delete(apiPath`policies/${vhost}/${name}`, options);
  }

  // Users and permissions (internal authentication backend)

  /** Every user of the broker, with its password hash and tags. */
  async listUsers(): Promise<User[]> {
    return this.#getJson(apiPath`users`);
  }

  async getUser(username: string): Promise<User> {
    return this.#getJson(apiPath`users/${username}`);
  }

  /** Creates or replaces the user (its password and tags). */
  async putUser(username: string, settings: UserSettings): Promise<void> {
    await this.#send('PUT', apiPath`users/${username}`, {
      body: { tags: '', ...settings },
    });
  }

  /** Deletes the user; RabbitMQ then closes its open connections ("user '…' is deleted"). */
  async deleteUser(
    username: string,
    options?: DeleteOptions,
  ): Promise<boolean> {
    return this.#delete(apiPath`users/${username}`, options);
  }

  /** The vhost permissions of every user that has some in the vhost. */
  async listVhostPermissions(vhost: string): Promise<Permission[]> {
    return this.#getJson(apiPath`vhosts/${vhost}/permissions`);
  }

  async getPermissions(vhost: string, username: string): Promise<Permission> {
    return this.#getJson(apiPath`permissions/${vhost}/${username}`);
  }

  async putPermissions(
    vhost: string,
    username: string,
    settings: PermissionSettings,
  ): Promise<void> {
    await this.#send('PUT', apiPath`permissions/${vhost}/${username}`, {
      body: settings,
    });
  }

  async deletePermissions(
    vhost: string,
    username: string,
    options?: DeleteOptions,
  ): Promise<boolean> {
    return this.#delete(apiPath`permissions/${vhost}/${username}`, options);
  }

  /** The topic permissions of every user in the vhost, one entry per user and exchange. */
  async listVhostTopicPermissions(vhost: string): Promise<TopicPermission[]> {
    return this.#getJson(apiPath`vhosts/${vhost}/topic-permissions`);
  }

  /** One entry per exchange the user has topic permissions on. */
  async listTopicPermissions(
    vhost: string,
    username: string,
  ): Promise<TopicPermission[]> {
    return this.#getJson(apiPath`topic-permissions/${vhost}/${username}`);
  }

  /** Sets the user's topic permissions for one exchange (`settings.exchange`). */
  async putTopicPermissions(
    vhost: string,
    username: string,
    settings: TopicPermissionSettings,
  ): Promise<void> {
    await this.#send('PUT', apiPath`topic-permissions/${vhost}/${username}`, {
      body: settings,
    });
  }

  /** Deletes the user's topic permissions on every exchange of the vhost. */
  async deleteTopicPermissions(
    vhost: string,
    username: string,
    options?: DeleteOptions,
  ): Promise<boolean> {
    return this.#delete(
      apiPath`topic-permissions/${vhost}/${username}`,
      options,
    );
  }

  // Connections

  async listConnections(vhost?: string): Promise<Connection[]> {
    return this.#getJson(
      vhost === undefined
        ? apiPath`connections`
        : apiPath`vhosts/${vhost}/connections`,
    );
  }

  async listUserConnections(username: string): Promise<Connection[]> {
    return this.#getJson(apiPath`connections/username/${username}`);
  }

  /**
   * Closes every connection the user has open; clients see `reason` in the
   * connection.close frame. Resolves when the broker accepted the request;
   * the connections go away shortly after.
   */
  async closeUserConnections(username: string, reason: string): Promise<void> {
    await this.#send('DELETE', apiPath`connections/username/${username}`, {
      headers: { 'x-reason': reason },
    });
  }

  async closeConnection(
    name: string,
    reason: string,
    options?: DeleteOptions,
  ): Promise<boolean> {
    return this.#delete(apiPath`connections/${name}`, options, undefined, {
      'x-reason': reason,
    });
  }

  // Definitions (export / import)

  async getDefinitions(vhost?: string): Promise<Definitions> {
    return this.#getJson(
      vhost === undefined
        ? apiPath`definitions`
        : apiPath`definitions/${vhost}`,
    );
  }

  /**
   * Imports definitions; objects that exist are kept or updated, nothing is
   * deleted.
   */
  async postDefinitions(
    definitions: Definitions,
    vhost?: string,
  ): Promise<void> {
    await this.#send(
      'POST',
      vhost === undefined
        ? apiPath`definitions`
        : apiPath`definitions/${vhost}`,
      { body: definitions },
    );
  }

  // Shovels (the shovel and shovel management plugins)

  /**
   * The status of every shovel (of one vhost), on whichever node of the
   * cluster it runs: `node` says which.
   */
  async listShovels(vhost?: string): Promise<ShovelStatus[]> {
    return this.#getJson(
      vhost === undefined ? apiPath`shovels` : apiPath`shovels/${vhost}`,
    );
  }

  /**
   * The status of one shovel, on each node that reports it (normally one),
   * empty when no node runs it. RabbitMQ 3.10 answers a shovel's own path with
   * the whole vhost's list, so this filters the listing.
   */
  async getShovelStatus(vhost: string, name: string): Promise<ShovelStatus[]> {
    return (await this.listShovels(vhost)).filter(s => s.name === name);
  }

  /** The `shovel` runtime parameters of the vhost; their URIs include credentials. */
  async listShovelParameters(vhost: string): Promise<ShovelParameter[]> {
    return this.#getJson(apiPath`parameters/shovel/${vhost}`);
  }

  /** One shovel's runtime parameter; 404 ({@link isNotFoundError}) when there is none. */
  async getShovelParameter(vhost: string, name: string): Promise<ShovelParameter> {
    return this.#getJson(apiPath`parameters/shovel/${vhost}/${name}`);
  }

  /**
   * Declares (or replaces) a dynamic shovel: its `shovel` runtime parameter,
   * which the cluster starts on one of its nodes. Replacing restarts it.
   */
  async putShovel(
    vhost: string,
    name: string,
    definition: ShovelDefinition,
  ): Promise<void> {
    await this.#send('PUT', apiPath`parameters/shovel/${vhost}/${name}`, {
      body: {
        value: {
          'src-protocol': 'amqp091',
          'dest-protocol': 'amqp091',
          ...definition,
        },
      },
    });
  }

  /**
   * Deletes a dynamic shovel, and resolves only once neither its runtime
   * parameter nor any node's status of it is left. The delete is sent to the
   * management listener of the node that runs the shovel, whichever node the
   * client reached first: on RabbitMQ before 3.13 the broker did not
   * reliably stop a shovel on another node (rabbitmq-server issue #2807;
   * docs/decisions/0018 in BROM has what we measured). A shovel no node runs
   * (yet) is deleted through its parameter. Throws when it is still there
   * after `shovelDeletionTimeoutMs`, after a second try.
   */
  async deleteShovel(
    vhost: string,
    name: string,
    options: DeleteOptions = {},
  ): Promise<boolean> {
    let found = false;
    let remaining = '';
    for (let attempt = 1; attempt <= 2; attempt++) {
      const [statuses, parameter] = await Promise.all([
        this.getShovelStatus(vhost, name),
        this.#shovelParameterExists(vhost, name),
      ]);
      if (statuses.length === 0 && !parameter) {
        if (found || options.ignoreNotFound) return found;
        throw new ManagementApiError({
          status: 404,
          method: 'DELETE',
          path: apiPath`shovels/vhost/${vhost}/${name}`,
          body: JSON.stringify({ error: 'Object Not Found', reason: 'Not Found' }),
        });
      }
      found = true;
      const refusals: string[] = [];
      for (const node of new Set(statuses.map(s => s.node))) {
        const endpoint = await this.#endpointOfNode(node, attempt > 1);
        try {
          await this.#deleteOn(endpoint, apiPath`shovels/vhost/${vhost}/${name}`);
        } catch (error) {
          // A shovel whose parameter is gone (cleared through another node) cannot be
          // deleted through its own node either (3.10 answers 500): say so below.
          if (!(error instanceof ManagementApiError)) throw error;
          refusals.push(`${node} answered ${error.status}`);
        }
      }
      if (statuses.length === 0) {
        await this.#delete(apiPath`parameters/shovel/${vhost}/${name}`, {
          ignoreNotFound: true,
        });
      }
      remaining = await this.#waitForShovelGone(vhost, name);
      if (!remaining) return true;
      if (refusals.length > 0) remaining += ` (the delete: ${refusals.join(', ')})`;
    }
    throw new ManagementRequestError({
      method: 'DELETE',
      path: apiPath`shovels/vhost/${vhost}/${name}`,
      cause: new Error(`shovel ${name} is still there after deletion: ${remaining}`),
    });
  }

  /**
   * Restarts a dynamic shovel on the node that runs it (the request goes to
   * that node's management listener). Resolves to false (with
   * `ignoreNotFound`) when no node runs it.
   */
  async restartShovel(
    vhost: string,
    name: string,
    options: DeleteOptions = {},
  ): Promise<boolean> {
    const statuses = await this.getShovelStatus(vhost, name);
    const path = apiPath`shovels/vhost/${vhost}/${name}/restart`;
    if (statuses.length === 0) {
      if (options.ignoreNotFound) return false;
      throw new ManagementApiError({
        status: 404,
        method: 'DELETE',
        path,
        body: JSON.stringify({ error: 'Object Not Found', reason: 'Not Found' }),
      });
    }
    for (const node of new Set(statuses.map(s => s.node))) {
      await this.#deleteOn(await this.#endpointOfNode(node, false), path);
    }
    return true;
  }

  /**
   * The management listener of one node: a configured URL that answers as
   * that node, else the node's `http`/`https` listener from the overview (its
   * bound address, or the host in the node's name when it listens on every
   * address), with the first URL's path prefix.
   */
  async #endpointOfNode(node: string, fresh: boolean): Promise<Endpoint> {
    for (const endpoint of this.#endpoints) {
      if (fresh || endpoint.node === undefined) {
        const answer = await this.#sendTo(endpoint, 'GET', apiPath`overview`, {});
        if (!(answer instanceof Error)) {
          endpoint.node = (JSON.parse(answer.text) as Overview).node;
        }
      }
      if (endpoint.node === node) return endpoint;
    }
    const known = this.#discovered.get(node);
    if (known && !fresh) return known;
    const overview = await this.getOverview();
    const listener = (overview.listeners ?? []).find(
      l => l.node === node && (l.protocol === 'http' || l.protocol === 'https'),
    );
    if (!listener) {
      throw new ManagementRequestError({
        method: 'GET',
        path: apiPath`overview`,
        cause: new Error(`node ${node} reports no management listener`),
      });
    }
    const bound =
      (listener.socket_opts as { ip?: unknown } | undefined)?.ip ??
      listener.ip_address;
    const host =
      typeof bound === 'string' && bound !== '::' && bound !== '0.0.0.0'
        ? bound
        : node.slice(node.indexOf('@') + 1);
    const scheme = listener.protocol === 'https' ? 'https' : 'http';
    const origin = `${scheme}://${host.includes(':') ? `[${host}]` : host}:${listener.port}`;
    const endpoint: Endpoint = {
      pool: createPool(origin, this.#poolOptions),
      pathPrefix: this.#endpoints[0].pathPrefix,
      node,
    };
    await known?.pool.close();
    this.#discovered.set(node, endpoint);
    return endpoint;
  }

  async #deleteOn(endpoint: Endpoint, path: string): Promise<void> {
    const outcome = await this.#sendTo(endpoint, 'DELETE', path, {});
    if (outcome instanceof Error && !isNotFoundError(outcome)) throw outcome;
  }

  async #shovelParameterExists(vhost: string, name: string): Promise<boolean> {
    try {
      await this.getShovelParameter(vhost, name);
      return true;
    } catch (error) {
      if (isNotFoundError(error)) return false;
      throw error;
    }
  }

  /** Empty once parameter and statuses are gone; otherwise what is left, after the timeout. */
  async #waitForShovelGone(vhost: string, name: string): Promise<string> {
    const deadline = Date.now() + this.#shovelDeletionTimeoutMs;
    for (;;) {
      const [statuses, parameter] = await Promise.all([
        this.getShovelStatus(vhost, name),
        this.#shovelParameterExists(vhost, name),
      ]);
      const left = [
        ...(parameter ? ['its runtime parameter'] : []),
        ...statuses.map(s => `status ${s.state} on ${s.node}`),
      ];
      if (left.length === 0 || Date.now() >= deadline) return left.join(', ');
      await new Promise(resolve => setTimeout(resolve, 200));
    }
  }

  // Transport

  async #createBinding(
    path: string,
    settings: BindingSettings,
  ): Promise<string> {
    const body = { routing_key: '', arguments: {}, ...settings };
    const response = await this.#send('POST', path, { body });
    // RabbitMQ answers 201 with a relative `Location: <destination>/<key>`
    // whose last segment, decoded, is the properties_key as listBindings
    // reports it (itself already percent-encoded by RabbitMQ, e.g. `a.%23`).
    const location = response.headers.location;
    const value = Array.isArray(location) ? location[0] : location;
    if (!value) {
      throw new ManagementRequestError({
        method: 'POST',
        path,
        cause: new Error(
          'the broker sent no Location header for the new binding',
        ),
      });
    }
    return decodeURIComponent(value.slice(value.lastIndexOf('/') + 1));
  }

  async #getJson<T>(path: string, options: RequestOptions = {}): Promise<T> {
    const response = await this.#send('GET', path, options);
    try {
      return JSON.parse(response.text) as T;
    } catch (error) {
      throw new ManagementRequestError({
        method: 'GET',
        path,
        cause: new Error(`response is not JSON: ${(error as Error).message}`),
      });
    }
  }

  async #delete(
    path: string,
    options: DeleteOptions = {},
    query?: Record<string, string>,
    headers?: Record<string, string>,
  ): Promise<boolean> {
    try {
      await this.#send('DELETE', path, { query, headers });
      return true;
    } catch (error) {
      if (options.ignoreNotFound && isNotFoundError(error)) {
        return false;
      }
      throw error;
    }
  }

  async #send(
    method: HttpMethod,
    path: string,
    options: RequestOptions = {},
  ): Promise<RawResponse> {
    const first = this.#current;
    for (let attempt = 1; ; attempt++) {
      const index = (first + attempt - 1) % this.#endpoints.length;
      const outcome = await this.#sendTo(
        this.#endpoints[index],
        method,
        path,
        options,
      );
      const unavailable = outcome instanceof Error && isUnavailable(outcome);
      if (
        unavailable &&
        attempt < this.#endpoints.length &&
        options.retry !== false
      ) {
        continue;
      }
      // A request that was already in flight when another one moved on must
      // not move the client back to the node that failed.
      if (!unavailable && this.#current === first) {
        this.#current = index;
      }
      if (outcome instanceof Error) {
        throw outcome;
      }
      return outcome;
    }
  }

  /** One attempt on one endpoint; the error is returned, so the caller can go on to the next. */
  async #sendTo(
    endpoint: Endpoint,
    method: HttpMethod,
    path: string,
    options: RequestOptions,
  ): Promise<RawResponse | ManagementApiError | ManagementRequestError> {
    const search =
      options.query && Object.keys(options.query).length > 0
        ? `?${new URLSearchParams(options.query).toString()}`
        : '';
    const fullPath = `${endpoint.pathPrefix}${path}${search}`;
    const headers: Record<string, string> = {
      authorization: this.#authorization,
      accept: 'application/json',
      ...options.headers,
    };
    let payload: string | undefined;
    if (options.body !== undefined) {
      payload = JSON.stringify(options.body);
      headers['content-type'] = 'application/json';
    }

    let status: number;
    let responseHeaders: RawResponse['headers'];
    let text: string;
    try {
      const response = await endpoint.pool.request({
        method,
        path: fullPath,
        headers,
        body: payload,
      });
      status = response.statusCode;
      responseHeaders = response.headers;
      // Reading the body to the end, whatever the status, is what returns
      // the connection to the pool; an unread body would hold it until the
      // body timeout.
      text = await response.body.text();
    } catch (error) {
      return new ManagementRequestError({
        method,
        path: fullPath,
        cause: error,
      });
    }

    if (status < 200 || status >= 300) {
      return new ManagementApiError({
        status,
        method,
        path: fullPath,
        body: text,
      });
    }
    return { status, headers: responseHeaders, text };
  }
}

function createPool(origin: string, options: PoolOptions): Pool {
  return new Pool(origin, {
    connections: options.connections,
    headersTimeout: options.headersTimeoutMs,
    bodyTimeout: options.bodyTimeoutMs,
    connect: { timeout: options.connectTimeoutMs },
  });
}

/**
 * Whether another node may answer where this one could not: no answer at all,
 * or 503 (a node booting, shutting down, or cut off from the cluster's majority).
 */
function isUnavailable(error: Error): boolean {
  return (
    error instanceof ManagementRequestError ||
    (error instanceof ManagementApiError && error.status === 503)
  );
}

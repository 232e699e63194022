import {
  Agent,
  IncomingMessage,
  Server,
  ServerResponse,
  createServer,
  request as httpRequest,
} from 'node:http';
import { AddressInfo, Socket } from 'node:net';

/**
 * What the proxy does to one request instead of forwarding it faithfully:
 * - `status`: answer with this HTTP status without forwarding;
 * - `reset`: destroy the client's socket without forwarding;
 * - `timeout`: never answer, until the client gives up (its request timeout);
 * - `drop`: forward the request to the broker (so a write is applied), wait for
 *   the broker's answer, then destroy the client's socket instead of passing it on;
 * - `hold`: forward the request only once `until` settles (e.g. the broker stopped).
 */
export type Fault =
  | { kind: 'status'; status: number }
  | { kind: 'reset' }
  | { kind: 'timeout' }
  | { kind: 'drop' }
  | { kind: 'hold'; until: Promise<unknown> };

export interface ProxiedRequest {
  /** Order of arrival, from 1. */
  seq: number;
  method: string;
  /** The path without the query string, percent-encoded as sent. */
  path: string;
  /** The query string without `?`, empty when there is none. */
  query: string;
  /** Which client connection (socket) carried it, numbered from 1 per proxy. */
  connection: number;
  startedAt: number;
  /** When the answer (or the fault) was complete; undefined while in flight. */
  finishedAt?: number;
  /** The status the client saw, if it saw one. */
  status?: number;
  fault?: Fault['kind'];
}

/** Decides per request whether to inject a fault; called in arrival order. */
export type FaultRule = (request: {
  method: string;
  path: string;
}) => Fault | undefined;

/**
 * An in-process HTTP proxy in front of the RabbitMQ management API: it records every
 * request (method, path, client connection, timing) and can inject faults, so tests see
 * exactly what the reconciler asked of the broker and how it copes with failures.
 */
export class ManagementProxy {
  readonly #server: Server;
  #target: URL;
  readonly #agent = new Agent({ keepAlive: true, maxSockets: 32 });
  readonly #sockets = new Set<Socket>();
  readonly #connectionIds = new WeakMap<Socket, number>();
  readonly #requests: ProxiedRequest[] = [];
  #connections = 0;
  #seq = 0;
  #rule: FaultRule | undefined;

  private constructor(target: string) {
    this.#target = new URL(target);
    this.#server = createServer((req, res) => this.#handle(req, res));
    this.#server.keepAliveTimeout = 60_000;
    this.#server.on('connection', socket => {
      this.#connectionIds.set(socket, ++this.#connections);
      this.#sockets.add(socket);
      socket.once('close', () => this.#sockets.delete(socket));
    });
  }

  /** Starts a proxy to `target` (e.g. the node's management URL) on `port` or a free one. */
  static async start(options: {
    target: string;
    port?: number;
  }): Promise<ManagementProxy> {
    const proxy = new ManagementProxy(options.target);
    await new Promise<void>((resolve, reject) => {
      proxy.#server.once('error', reject);
      proxy.#server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
    });
    return proxy;
  }

  get port(): number {
    return (this.#server.address() as AddressInfo).port;
  }

  /** The base URL to configure as `brom.broker.managementUrl`. */
  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Sends later requests to another node (requests in flight finish where they went). */
  retarget(target: string) {
    this.#target = new URL(target);
    this.dropConnections();
  }

  /** Client connections open now (a keep-alive client holds them between requests). */
  get openConnections(): number {
    return this.#sockets.size;
  }

  /** Every request since the last {@link clear}, in arrival order. */
  get requests(): readonly ProxiedRequest[] {
    return this.#requests;
  }

  /** Requests other than GET (PUT, POST, DELETE): what changes the broker. */
  writes(): ProxiedRequest[] {
    return this.#requests.filter(r => r.method !== 'GET');
  }

  /** How many requests matched, by method and an exact path or a pattern. */
  count(method?: string, path?: string | RegExp): number {
    return this.#requests.filter(
      r =>
        (method === undefined || r.method === method) &&
        (path === undefined ||
          (typeof path === 'string' ? r.path === path : path.test(r.path))),
    ).length;
  }

  /** Counts by `METHOD path`, for messages and benchmarks. */
  tally(): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const r of this.#requests) {
      const key = `${r.method} ${r.path}`;
      counts[key] = (counts[key] ?? 0) + 1;
    }
    return counts;
  }

  clear() {
    this.#requests.length = 0;
  }

  /** Injects faults from now on as `rule` decides; `undefined` forwards everything again. */
  setFaults(rule: FaultRule | undefined) {
    this.#rule = rule;
  }

  /**
   * Closes every client connection, e.g. to make clients reconnect; requests in flight
   * fail as if the network dropped them.
   */
  dropConnections() {
    for (const socket of this.#sockets) socket.destroy();
  }

  async close(): Promise<void> {
    this.#rule = undefined;
    const closed = new Promise<void>(resolve =>
      this.#server.close(() => resolve()),
    );
    this.dropConnections();
    this.#agent.destroy();
    await closed;
  }

  #handle(req: IncomingMessage, res: ServerResponse) {
    const [path, query = ''] = (req.url ?? '/').split('?', 2);
    const record: ProxiedRequest = {
      seq: ++this.#seq,
      method: req.method ?? 'GET',
      path,
      query,
      connection: this.#connectionIds.get(req.socket) ?? 0,
      startedAt: Date.now(),
    };
    this.#requests.push(record);
    const fault = this.#rule?.({ method: record.method, path });
    if (fault) record.fault = fault.kind;
    const finish = (status?: number) => {
      record.finishedAt ??= Date.now();
      if (status !== undefined) record.status ??= status;
    };

    switch (fault?.kind) {
      case 'status': {
        req.resume();
        const body = JSON.stringify({
          error: 'injected',
          reason: `fault injected by the test proxy (HTTP ${fault.status})`,
        });
        res.writeHead(fault.status, {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
        });
        res.end(body, () => finish(fault.status));
        return;
      }
      case 'reset':
        req.resume();
        finish();
        req.socket.destroy();
        return;
      case 'timeout':
        // Read the body so the client's request completes, then never answer: the client's
        // own timeout ends it by closing the socket.
        req.resume();
        req.socket.once('close', () => finish());
        return;
      case 'hold':
        fault.until.then(
          () => this.#forward(req, res, undefined, finish),
          () => this.#forward(req, res, undefined, finish),
        );
        return;
      default:
        break;
    }
    this.#forward(req, res, fault, finish);
  }

  #forward(
    req: IncomingMessage,
    res: ServerResponse,
    fault: Fault | undefined,
    finish: (status?: number) => void,
  ) {
    if (req.socket.destroyed) {
      finish();
      return;
    }
    const upstream = httpRequest(
      {
        host: this.#target.hostname,
        port: this.#target.port,
        method: req.method,
        path: req.url,
        headers: { ...req.headers, host: this.#target.host },
        agent: this.#agent,
      },
      response => {
        if (fault?.kind === 'drop') {
          // The broker applied the request; the client never learns that it did.
          response.resume();
          response.once('end', () => {
            finish();
            req.socket.destroy();
          });
          return;
        }
        res.writeHead(response.statusCode ?? 502, response.headers);
        response.pipe(res);
        res.once('finish', () => finish(response.statusCode));
        res.once('close', () => finish(response.statusCode));
      },
    );
    upstream.once('error', error => {
      // The broker is down or went away mid-request: a gateway error, as a real proxy says.
      if (fault?.kind === 'drop') {
        finish();
        req.socket.destroy();
        return;
      }
      if (!res.headersSent) {
        const body = JSON.stringify({
          error: 'bad_gateway',
          reason: error.message,
        });
        res.writeHead(502, {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
        });
        res.end(body, () => finish(502));
      } else {
        finish();
        res.destroy();
      }
    });
    req.pipe(upstream);
  }
}

/**
 * A fault rule that injects `budget` faults per method (e.g. `{ GET: 20, PUT: 20 }`) into
 * the first requests of that method, cycling through `faults`; every later request passes.
 * `remaining()` says how many are still to come.
 */
export function faultsInARow(
  budget: Record<string, number>,
  faults: Fault[],
): FaultRule & { remaining(): number; injected(): number } {
  const left = { ...budget };
  let injected = 0;
  const rule: FaultRule = request => {
    if (!(left[request.method] > 0)) return undefined;
    left[request.method]--;
    return faults[injected++ % faults.length];
  };
  return Object.assign(rule, {
    remaining: () => Object.values(left).reduce((a, b) => a + b, 0),
    injected: () => injected,
  });
}

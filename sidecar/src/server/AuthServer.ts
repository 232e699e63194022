import {
  IncomingMessage,
  Server,
  ServerResponse,
  createServer,
} from 'node:http';
import { performance } from 'node:perf_hooks';
import { AuthzDecider } from '../index/AuthzDecider';
import { Logger, errorMessage } from '../logger';
import { EndpointIndex, SidecarMetrics } from '../metrics';
import { closeServer, listen } from './listen';

/**
 * The port RabbitMQ's `rabbitmq_auth_backend_http` calls. Measured facts it follows
 * (AUTHZ-PROTOCOL.md): always HTTP 200 with exactly `allow` or `deny` and no newline (anything
 * else crashes channels in 3.10); GET query or POST form body, decoded with URLSearchParams;
 * keep-alive connections stay open (closing them per response cost about 3× throughput) while
 * one-shot `Connection: close` requests stay cheap.
 */

const ALLOW = Buffer.from('allow');
const DENY = Buffer.from('deny');
const ALLOW_HEADERS = { 'content-type': 'text/plain', 'content-length': '5' };
const DENY_HEADERS = { 'content-type': 'text/plain', 'content-length': '4' };
// An oversized body is answered at once; the rest of it is not worth reading on this socket.
const DENY_CLOSE_HEADERS = { ...DENY_HEADERS, connection: 'close' };
const EMPTY_HEADERS = { 'content-length': '0' };
const METHOD_NOT_ALLOWED_HEADERS = {
  'content-length': '0',
  allow: 'GET, POST',
};

const PATHS = new Map<string, EndpointIndex>([
  ['/auth/user', 0],
  ['/auth/vhost', 1],
  ['/auth/resource', 2],
  ['/auth/topic', 3],
]);

/** The broker's parameters are a few hundred bytes; anything near this is not the broker. */
export const DEFAULT_MAX_BODY_BYTES = 8 * 1024;

/**
 * Erlang's httpc (the broker's client) keeps idle connections for 120 s by default. The server
 * must keep them longer, or it may close one just as the broker sends on it, and that request
 * fails as a deny.
 */
const KEEP_ALIVE_TIMEOUT_MS = 150_000;
const HEADERS_TIMEOUT_MS = 10_000;
const REQUEST_TIMEOUT_MS = 15_000;

/** Per-request state of a POST while its body arrives; the listeners are shared functions. */
interface PendingBody {
  readonly server: AuthServer;
  readonly res: ServerResponse;
  readonly endpoint: EndpointIndex;
  readonly started: number;
  chunks: Buffer[];
  length: number;
  done: boolean;
}

const PENDING = Symbol('brom.pendingBody');
type PendingRequest = IncomingMessage & { [PENDING]?: PendingBody };

function onBodyData(this: PendingRequest, chunk: Buffer): void {
  const pending = this[PENDING]!;
  if (pending.done) {
    return;
  }
  pending.length += chunk.length;
  if (pending.length > pending.server.maxBodyBytes) {
    pending.done = true;
    pending.server.answerOversized(
      pending.res,
      pending.endpoint,
      pending.started,
    );
    return;
  }
  pending.chunks.push(chunk);
}

function onBodyEnd(this: PendingRequest): void {
  const pending = this[PENDING]!;
  if (pending.done) {
    return;
  }
  pending.done = true;
  const body =
    pending.chunks.length === 1
      ? pending.chunks[0].toString('utf8')
      : Buffer.concat(pending.chunks, pending.length).toString('utf8');
  pending.server.answer(
    pending.res,
    pending.endpoint,
    new URLSearchParams(body),
    pending.started,
  );
}

function onBodyError(this: PendingRequest): void {
  // The broker went away mid-request; there is nobody left to answer.
  this[PENDING]!.done = true;
}

export class AuthServer {
  readonly maxBodyBytes: number;
  readonly #server: Server;
  readonly #decider: AuthzDecider;
  readonly #metrics: SidecarMetrics;
  readonly #logger: Logger;
  #port = 0;

  private constructor(options: {
    decider: AuthzDecider;
    metrics: SidecarMetrics;
    logger: Logger;
    maxBodyBytes: number;
  }) {
    this.#decider = options.decider;
    this.#metrics = options.metrics;
    this.#logger = options.logger;
    this.maxBodyBytes = options.maxBodyBytes;
    this.#server = createServer(
      {
        headersTimeout: HEADERS_TIMEOUT_MS,
        requestTimeout: REQUEST_TIMEOUT_MS,
        keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS,
        noDelay: true,
        maxHeaderSize: 8 * 1024,
        // The broker always sends Host; a missing one is no reason to answer anything but deny.
        requireHostHeader: false,
      },
      this.#onRequest,
    );
    this.#server.keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS;
    this.#server.timeout = 0;
    this.#server.on('clientError', (error: Error, socket) => {
      this.#logger.debug('Client error on auth port', {
        error: errorMessage(error),
      });
      socket.destroy();
    });
  }

  /** Creates the server and starts listening. */
  static async create(options: {
    host: string;
    port: number;
    decider: AuthzDecider;
    metrics: SidecarMetrics;
    logger: Logger;
    maxBodyBytes?: number;
  }): Promise<AuthServer> {
    const server = new AuthServer({
      decider: options.decider,
      metrics: options.metrics,
      logger: options.logger,
      maxBodyBytes: options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES,
    });
    server.#port = await listen(server.#server, options.host, options.port);
    return server;
  }

  /** The port actually bound. */
  get port(): number {
    return this.#port;
  }

  close(): Promise<void> {
    return closeServer(this.#server);
  }

  readonly #onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    const started = performance.now();
    res.sendDate = false;
    const url = req.url ?? '';
    const queryAt = url.indexOf('?');
    const endpoint = PATHS.get(queryAt === -1 ? url : url.slice(0, queryAt));
    if (endpoint === undefined) {
      res.writeHead(404, EMPTY_HEADERS);
      res.end();
      return;
    }
    if (req.method === 'POST') {
      const declared = Number(req.headers['content-length']);
      if (declared > this.maxBodyBytes) {
        this.answerOversized(res, endpoint, started);
        return;
      }
      const pending: PendingBody = {
        server: this,
        res,
        endpoint,
        started,
        chunks: [],
        length: 0,
        done: false,
      };
      (req as PendingRequest)[PENDING] = pending;
      req.on('data', onBodyData);
      req.on('end', onBodyEnd);
      req.on('error', onBodyError);
      return;
    }
    if (req.method === 'GET') {
      this.answer(
        res,
        endpoint,
        new URLSearchParams(queryAt === -1 ? '' : url.slice(queryAt + 1)),
        started,
      );
      return;
    }
    res.writeHead(405, METHOD_NOT_ALLOWED_HEADERS);
    res.end();
  };

  /** Decides and writes the answer: one writeHead and one end with a preallocated body. */
  answer(
    res: ServerResponse,
    endpoint: EndpointIndex,
    params: URLSearchParams,
    started: number,
  ): void {
    let allowed = false;
    try {
      allowed = this.#decide(endpoint, params);
    } catch (error) {
      this.#logger.error('Decision failed; denying', {
        error: errorMessage(error),
      });
    }
    res.writeHead(200, allowed ? ALLOW_HEADERS : DENY_HEADERS);
    res.end(allowed ? ALLOW : DENY);
    this.#metrics.recordDecision(
      endpoint,
      allowed,
      (performance.now() - started) / 1000,
    );
  }

  answerOversized(
    res: ServerResponse,
    endpoint: EndpointIndex,
    started: number,
  ): void {
    this.#logger.warn('Request body over the limit; denying', {
      limitBytes: this.maxBodyBytes,
    });
    res.writeHead(200, DENY_CLOSE_HEADERS);
    res.end(DENY);
    this.#metrics.recordDecision(
      endpoint,
      false,
      (performance.now() - started) / 1000,
    );
  }

  #decide(endpoint: EndpointIndex, params: URLSearchParams): boolean {
    const decider = this.#decider;
    switch (endpoint) {
      case 0:
        return decider.user(params.get('username'), params.get('password'));
      case 1:
        return decider.vhost(params.get('username'), params.get('vhost'));
      case 2:
        return decider.resource(
          params.get('username'),
          params.get('vhost'),
          params.get('resource'),
          params.get('name'),
          params.get('permission'),
        );
      case 3:
        return decider.topic(
          params.get('username'),
          params.get('vhost'),
          params.get('resource'),
          params.get('name'),
          params.get('permission'),
          params.get('routing_key'),
        );
      default:
        return false;
    }
  }
}

import {
  IncomingMessage,
  Server,
  ServerResponse,
  STATUS_CODES,
  createServer,
} from 'node:http';
import { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { AuthzDecider } from '../index/AuthzDecider';
import { Logger, errorMessage } from '../logger';
import { EndpointIndex, SidecarMetrics } from '../metrics';
import { AUTH_PARAM, AuthParams, readAuthParams } from './authParams';
import { closeServer, listen } from './listen';
import { ThrottledWarning } from './ThrottledWarning';

/**
 * The port RabbitMQ's `rabbitmq_auth_backend_http` calls. Measured facts it follows
 * (docs/authz-protocol.md): always HTTP 200 with exactly `allow` or `deny` and no newline (anything
 * else crashes channels in 3.10); GET query or POST form body, decoded as URLSearchParams
 * decodes it (authParams.ts); keep-alive connections stay open (closing them per response cost
 * about 3× throughput) while one-shot `Connection: close` requests stay cheap.
 *
 * Answers are decided at once but written together: every answer decided in one turn of the
 * event loop waits in a queue until its check phase (setImmediate), and then all of them go out
 * in a row. The broker asks over many connections at once, and writing one answer per socket
 * as each request completes made the kernel wake the broker's side once per answer; written in
 * a burst, most answers find it awake. Measured on /auth/topic at 64 connections (bench/README.md):
 * the sidecar's system time per request fell from about 8.6 to 4.7 µs and its requests/s rose
 * by about 40 %. An answer waits at most for the rest of the requests read in the same turn.
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

/** The parameters each endpoint's decision reads, by EndpointIndex. */
const WANTED: readonly number[] = [
  AUTH_PARAM.username | AUTH_PARAM.password,
  AUTH_PARAM.username | AUTH_PARAM.vhost,
  AUTH_PARAM.username |
    AUTH_PARAM.vhost |
    AUTH_PARAM.resource |
    AUTH_PARAM.name |
    AUTH_PARAM.permission,
  AUTH_PARAM.username |
    AUTH_PARAM.vhost |
    AUTH_PARAM.resource |
    AUTH_PARAM.name |
    AUTH_PARAM.permission |
    AUTH_PARAM.routingKey,
];

const PATHS = new Map<string, EndpointIndex>([
  ['/auth/user', 0],
  ['/auth/vhost', 1],
  ['/auth/resource', 2],
  ['/auth/topic', 3],
]);

/**
 * The raw answers to a request the HTTP parser refused (node's own choice of status per error,
 * from `_http_server.js`), each with a short text body saying what was wrong. No request
 * reaches the decider, so none of them can be an allow.
 */
function clientErrorResponse(code: string | undefined): Buffer {
  let status = 400;
  let body = `malformed HTTP request${code ? ` (${code})` : ''}\n`;
  if (code === 'HPE_HEADER_OVERFLOW') {
    status = 431;
    body = 'request headers too large\n';
  } else if (code === 'ERR_HTTP_REQUEST_TIMEOUT') {
    status = 408;
    body = 'request not received in time\n';
  }
  const head = [
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}`,
    'content-type: text/plain',
    `content-length: ${Buffer.byteLength(body)}`,
    'connection: close',
  ];
  return Buffer.from(`${head.join('\r\n')}\r\n\r\n${body}`);
}

/** At most one warning line per this interval about malformed requests. */
const MALFORMED_WARNING_INTERVAL_MS = 10_000;

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

/**
 * Per-request state of a POST while its body arrives; the listeners are shared functions. The
 * broker's body (a few hundred bytes) almost always comes in one chunk, kept without an array.
 */
class PendingBody {
  first: Buffer | undefined = undefined;
  more: Buffer[] | undefined = undefined;
  length = 0;
  done = false;

  constructor(
    readonly server: AuthServer,
    readonly res: ServerResponse,
    readonly endpoint: EndpointIndex,
    readonly started: number,
  ) {}

  add(chunk: Buffer): void {
    if (this.first === undefined) {
      this.first = chunk;
    } else {
      (this.more ??= [this.first]).push(chunk);
    }
  }

  text(): string {
    if (this.more !== undefined) {
      return Buffer.concat(this.more, this.length).toString('utf8');
    }
    return this.first === undefined ? '' : this.first.toString('utf8');
  }
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
  pending.add(chunk);
}

// No 'error' listener: a request the broker abandons mid-body never ends, so it is never
// answered, and without listeners IncomingMessage does not emit its error at all.
function onBodyEnd(this: PendingRequest): void {
  const pending = this[PENDING]!;
  if (pending.done) {
    return;
  }
  pending.done = true;
  pending.server.answer(
    pending.res,
    pending.endpoint,
    pending.text(),
    0,
    pending.started,
  );
}

export class AuthServer {
  readonly maxBodyBytes: number;
  readonly #server: Server;
  readonly #decider: AuthzDecider;
  readonly #metrics: SidecarMetrics;
  readonly #logger: Logger;
  readonly #malformed: ThrottledWarning;
  // Reused by every request: each is read and decided synchronously.
  readonly #params = new AuthParams();
  /**
   * Answers decided in this turn of the event loop and not yet written, three slots each: the
   * response, its outcome (endpoint × 2, + 1 when allowed) and when its request arrived.
   */
  readonly #unwritten: Array<ServerResponse | number> = [];
  #port = 0;

  private constructor(options: {
    decider: AuthzDecider;
    metrics: SidecarMetrics;
    logger: Logger;
    maxBodyBytes: number;
    now: () => number;
  }) {
    this.#decider = options.decider;
    this.#metrics = options.metrics;
    this.#logger = options.logger;
    this.maxBodyBytes = options.maxBodyBytes;
    this.#malformed = ThrottledWarning.create({
      logger: options.logger,
      message:
        'Malformed request on the auth port; refused it and closed the connection',
      intervalMs: MALFORMED_WARNING_INTERVAL_MS,
      now: options.now,
    });
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
    this.#server.on('clientError', this.#onClientError);
  }

  /** Creates the server and starts listening. */
  static async create(options: {
    host: string;
    port: number;
    decider: AuthzDecider;
    metrics: SidecarMetrics;
    logger: Logger;
    maxBodyBytes?: number;
    /** Milliseconds, for rate-limiting warnings; tests pass a fake clock. */
    now?: () => number;
  }): Promise<AuthServer> {
    const server = new AuthServer({
      decider: options.decider,
      metrics: options.metrics,
      logger: options.logger,
      maxBodyBytes: options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES,
      now: options.now ?? (() => performance.now()),
    });
    server.#port = await listen(server.#server, options.host, options.port);
    return server;
  }

  /** The port actually bound. */
  get port(): number {
    return this.#port;
  }

  close(): Promise<void> {
    // Answers already decided go out before the connections are closed.
    this.#writeAnswers();
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
      (req as PendingRequest)[PENDING] = new PendingBody(
        this,
        res,
        endpoint,
        started,
      );
      req.on('data', onBodyData);
      req.on('end', onBodyEnd);
      return;
    }
    if (req.method === 'GET') {
      this.answer(
        res,
        endpoint,
        queryAt === -1 ? '' : url,
        queryAt + 1,
        started,
      );
      return;
    }
    res.writeHead(405, METHOD_NOT_ALLOWED_HEADERS);
    res.end();
  };

  /**
   * A request the HTTP parser refused (or one that timed out) gets a status and a short reason,
   * so whoever sent it can tell what went wrong, as node's default handler would, had the
   * server no listener. Like node, it answers only when nothing of an earlier response on the
   * connection went out yet (`_httpMessage` is node's record of the response in flight, the one
   * its own handler checks); the connection is closed either way. A peer that hung up
   * (ECONNRESET) is no one's mistake and gets nothing.
   */
  readonly #onClientError = (
    error: Error & { code?: string },
    socket: Socket & { _httpMessage?: { headersSent: boolean } | null },
  ): void => {
    if (error.code === 'ECONNRESET') {
      this.#logger.debug('Client hung up on the auth port', {
        error: errorMessage(error),
      });
      socket.destroy();
      return;
    }
    if (socket.writableEnded) {
      // The parser reports its error again for every later chunk; the first one was answered.
      socket.destroy();
      return;
    }
    const answerable = socket.writable && !socket._httpMessage?.headersSent;
    if (answerable) {
      socket.end(clientErrorResponse(error.code));
    } else {
      socket.destroy();
    }
    // The parser's code and message only: its error also holds the raw bytes, which may carry a
    // password.
    this.#malformed.warn({
      code: error.code ?? null,
      error: error.message,
      answered: answerable,
    });
  };

  /**
   * Decides on the form text (a POST body, or a GET's URL with its query starting at `from`) and
   * queues the answer, which #writeAnswers writes in this turn's check phase.
   */
  answer(
    res: ServerResponse,
    endpoint: EndpointIndex,
    form: string,
    from: number,
    started: number,
  ): void {
    let allowed = false;
    try {
      allowed = this.#decide(
        endpoint,
        readAuthParams(form, this.#params, from, WANTED[endpoint]),
      );
    } catch (error) {
      this.#logger.error('Decision failed; denying', {
        error: errorMessage(error),
      });
    }
    const unwritten = this.#unwritten;
    if (unwritten.length === 0) {
      setImmediate(this.#writeAnswers);
    }
    unwritten.push(res, endpoint * 2 + (allowed ? 1 : 0), started);
  }

  /**
   * Writes every queued answer (one writeHead and one end with a preallocated body each) and
   * records it. A socket the broker closed meanwhile takes the write without effect.
   */
  readonly #writeAnswers = (): void => {
    const unwritten = this.#unwritten;
    const count = unwritten.length;
    if (count === 0) {
      return;
    }
    const now = performance.now();
    for (let i = 0; i < count; i += 3) {
      const res = unwritten[i] as ServerResponse;
      const outcome = unwritten[i + 1] as number;
      const allowed = (outcome & 1) === 1;
      try {
        res.writeHead(200, allowed ? ALLOW_HEADERS : DENY_HEADERS);
        res.end(allowed ? ALLOW : DENY);
      } catch (error) {
        // One failed write must not keep the answers after it from the broker.
        this.#logger.error('Writing an answer failed', {
          error: errorMessage(error),
        });
        res.destroy();
      }
      this.#metrics.recordDecision(
        (outcome >> 1) as EndpointIndex,
        allowed,
        (now - (unwritten[i + 2] as number)) / 1000,
      );
    }
    unwritten.length = 0;
  };

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

  #decide(endpoint: EndpointIndex, params: AuthParams): boolean {
    const decider = this.#decider;
    switch (endpoint) {
      case 0:
        return decider.user(params.username, params.password);
      case 1:
        return decider.vhost(params.username, params.vhost);
      case 2:
        return decider.resource(
          params.username,
          params.vhost,
          params.resource,
          params.name,
          params.permission,
        );
      case 3:
        return decider.topic(
          params.username,
          params.vhost,
          params.resource,
          params.name,
          params.permission,
          params.routingKey,
        );
      default:
        return false;
    }
  }
}

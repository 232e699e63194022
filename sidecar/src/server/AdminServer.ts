import {
  IncomingMessage,
  Server,
  ServerResponse,
  createServer,
} from 'node:http';
import { Logger, errorMessage } from '../logger';
import { SidecarMetrics } from '../metrics';
import { closeServer, listen } from './listen';

/** What /readyz reports; built by the sidecar on each probe. */
export interface SidecarStatus {
  /** A snapshot is loaded and the sidecar is not draining. */
  ready: boolean;
  draining: boolean;
  snapshot?: {
    version: number;
    generatedAt: string;
    ageSeconds: number;
    source: 'disk' | 'feed';
  };
  /** Seconds since the portal last answered a poll, if it ever did. */
  feedLastSuccessAgeSeconds?: number;
  /**
   * The disk copy: the version on it (the one named to the portal), and while the served
   * snapshot could not be written, the failure streak. Does not change `ready`: the served
   * snapshot is the more correct one (decision 0012, amendment).
   */
  disk?: {
    savedVersion: number | null;
    failure?: {
      version: number;
      failingForSeconds: number;
      attempts: number;
      error: string;
    };
  };
}

/**
 * Probes and metrics, on a port of their own so that neither the broker's traffic nor a
 * scraper can starve the other, and so the auth port serves nothing but the broker.
 */
export class AdminServer {
  readonly #server: Server;
  readonly #status: () => SidecarStatus;
  readonly #metrics: SidecarMetrics;
  readonly #now: () => number;
  #port = 0;

  private constructor(options: {
    status: () => SidecarStatus;
    metrics: SidecarMetrics;
    now: () => number;
    logger: Logger;
  }) {
    this.#status = options.status;
    this.#metrics = options.metrics;
    this.#now = options.now;
    this.#server = createServer(
      {
        headersTimeout: 10_000,
        requestTimeout: 15_000,
        keepAliveTimeout: 65_000,
      },
      this.#onRequest,
    );
    this.#server.on('clientError', (error: Error, socket) => {
      options.logger.debug('Client error on admin port', {
        error: errorMessage(error),
      });
      socket.destroy();
    });
  }

  static async create(options: {
    host: string;
    port: number;
    status: () => SidecarStatus;
    metrics: SidecarMetrics;
    logger: Logger;
    now?: () => number;
  }): Promise<AdminServer> {
    const server = new AdminServer({
      status: options.status,
      metrics: options.metrics,
      now: options.now ?? Date.now,
      logger: options.logger,
    });
    server.#port = await listen(server.#server, options.host, options.port);
    return server;
  }

  get port(): number {
    return this.#port;
  }

  close(): Promise<void> {
    return closeServer(this.#server);
  }

  readonly #onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    const url = req.url ?? '';
    const queryAt = url.indexOf('?');
    const path = queryAt === -1 ? url : url.slice(0, queryAt);
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      send(res, 405, 'text/plain', 'method not allowed\n');
      return;
    }
    switch (path) {
      case '/livez':
        send(res, 200, 'text/plain', 'ok\n');
        return;
      case '/readyz': {
        const status = this.#status();
        send(
          res,
          status.ready ? 200 : 503,
          'application/json',
          `${JSON.stringify(status)}\n`,
        );
        return;
      }
      case '/metrics':
        send(
          res,
          200,
          'text/plain; version=0.0.4; charset=utf-8',
          this.#metrics.render(this.#now()),
        );
        return;
      default:
        send(res, 404, 'text/plain', 'not found\n');
    }
  };
}

function send(
  res: ServerResponse,
  status: number,
  type: string,
  body: string,
): void {
  res.writeHead(status, {
    'content-type': type,
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-store',
  });
  res.end(res.req.method === 'HEAD' ? undefined : body);
}

import {
  IncomingMessage,
  Server,
  ServerResponse,
  createServer,
} from 'node:http';
import { AddressInfo } from 'node:net';
import {
  AUTHZ_SNAPSHOT_HTTP,
  formatAuthzSnapshotETag,
} from '@internal/brom-authz-snapshot';

/**
 * The portal's side of the snapshot feed, as little of it as a benchmark needs: 200 with the
 * snapshot when the sidecar's If-None-Match differs, otherwise hold the poll until it ends (304).
 * The snapshot text is serialised once, so serving it costs a write, as it would with a cache.
 */
export class SnapshotPortal {
  readonly #server: Server;
  readonly #token: string;
  readonly #held = new Set<ServerResponse>();
  #snapshot: { etag: string; text: Buffer } | undefined;
  #port = 0;

  private constructor(token: string) {
    this.#token = token;
    this.#server = createServer((req, res) => this.#handle(req, res));
  }

  static async start(token: string): Promise<SnapshotPortal> {
    const portal = new SnapshotPortal(token);
    await new Promise<void>(resolve =>
      portal.#server.listen(0, '127.0.0.1', resolve),
    );
    portal.#port = (portal.#server.address() as AddressInfo).port;
    return portal;
  }

  get url(): string {
    return `http://127.0.0.1:${this.#port}`;
  }

  /** Serves this snapshot text (already JSON) under its version from now on. */
  serve(version: number, text: string): void {
    this.#snapshot = {
      etag: formatAuthzSnapshotETag(version),
      text: Buffer.from(text),
    };
  }

  async close(): Promise<void> {
    for (const res of this.#held) {
      res.destroy();
    }
    await new Promise<void>(resolve => {
      this.#server.close(() => resolve());
      this.#server.closeAllConnections();
    });
  }

  #handle(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://portal');
    if (url.pathname !== AUTHZ_SNAPSHOT_HTTP.path) {
      res.writeHead(404).end();
      return;
    }
    if (req.headers.authorization !== `Bearer ${this.#token}`) {
      res.writeHead(401).end();
      return;
    }
    const snapshot = this.#snapshot;
    if (snapshot && req.headers['if-none-match'] !== snapshot.etag) {
      res
        .writeHead(200, {
          'content-type': 'application/json',
          'content-length': snapshot.text.length,
          etag: snapshot.etag,
        })
        .end(snapshot.text);
      return;
    }
    const waitSeconds = Number(
      url.searchParams.get(AUTHZ_SNAPSHOT_HTTP.waitSecondsParam) ?? 30,
    );
    this.#held.add(res);
    const timer = setTimeout(() => {
      this.#held.delete(res);
      res.writeHead(304).end();
    }, Math.min(waitSeconds, AUTHZ_SNAPSHOT_HTTP.maxWaitSeconds) * 1000);
    res.on('close', () => {
      clearTimeout(timer);
      this.#held.delete(res);
    });
  }
}

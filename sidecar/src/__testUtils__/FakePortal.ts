import {
  IncomingMessage,
  Server,
  ServerResponse,
  createServer,
} from 'node:http';
import { AddressInfo } from 'node:net';
import {
  AUTHZ_SNAPSHOT_HTTP,
  AuthzSnapshot,
  formatAuthzSnapshotETag,
} from '@internal/brom-authz-snapshot';

export interface RecordedPoll {
  path: string;
  sidecar: string | null;
  waitSeconds: string | null;
  ifNoneMatch: string | undefined;
  authorization: string | undefined;
  /** The client's Connection header, when it sent one. */
  connection?: string;
  /** `1` when the client accepts a delta. */
  delta?: string;
}

/**
 * A real node:http server speaking the snapshot feed's long-poll contract: 200 at once when the
 * client's If-None-Match differs from the served version, otherwise the request is held until
 * a new snapshot is published (200) or the hold ends (304).
 */
export class FakePortal {
  readonly polls: RecordedPoll[] = [];
  #server: Server;
  #port = 0;
  #current: { version: number; text: string; delta?: string } | undefined;
  #failStatus: number | undefined;
  #holdMs: number;
  #waiting = new Set<{
    res: ServerResponse;
    ifNoneMatch: string | undefined;
    delta: boolean;
    timer: NodeJS.Timeout;
  }>();

  private constructor(holdMs: number) {
    this.#holdMs = holdMs;
    this.#server = createServer((req, res) => this.#handle(req, res));
  }

  static async start(options: { holdMs?: number } = {}): Promise<FakePortal> {
    const portal = new FakePortal(options.holdMs ?? 2_000);
    await new Promise<void>(resolve =>
      portal.#server.listen(0, '127.0.0.1', resolve),
    );
    portal.#port = (portal.#server.address() as AddressInfo).port;
    return portal;
  }

  get url(): string {
    return `http://127.0.0.1:${this.#port}`;
  }

  /** Serves this snapshot from now on and answers held polls. */
  publish(snapshot: AuthzSnapshot): void {
    this.publishText(snapshot.version, JSON.stringify(snapshot));
  }

  /**
   * Serves arbitrary text under a version, for corrupt or hostile responses; with `delta`,
   * that text to polls that accept a delta (whatever version they hold).
   */
  publishText(version: number, text: string, delta?: string): void {
    this.#current = { version, text, delta };
    for (const waiter of [...this.#waiting]) {
      if (waiter.ifNoneMatch !== formatAuthzSnapshotETag(version)) {
        this.#waiting.delete(waiter);
        clearTimeout(waiter.timer);
        this.#send(waiter.res, waiter.delta);
      }
    }
  }

  /** Answers polls that ask for a delta with 400, as a portal from before deltas does. */
  refuseDeltas = false;

  /** Answers every poll with this status until set back to undefined. */
  failWith(status: number | undefined): void {
    this.#failStatus = status;
  }

  async close(): Promise<void> {
    for (const waiter of this.#waiting) {
      clearTimeout(waiter.timer);
    }
    this.#waiting.clear();
    await new Promise<void>(resolve => {
      this.#server.close(() => resolve());
      this.#server.closeAllConnections();
    });
  }

  #handle(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://portal');
    const ifNoneMatch = req.headers['if-none-match'];
    this.polls.push({
      path: url.pathname,
      sidecar: url.searchParams.get(AUTHZ_SNAPSHOT_HTTP.sidecarParam),
      waitSeconds: url.searchParams.get(AUTHZ_SNAPSHOT_HTTP.waitSecondsParam),
      ifNoneMatch,
      authorization: req.headers.authorization,
      ...(req.headers.connection !== undefined
        ? { connection: req.headers.connection }
        : {}),
      ...(url.searchParams.has(AUTHZ_SNAPSHOT_HTTP.deltaParam)
        ? { delta: url.searchParams.get(AUTHZ_SNAPSHOT_HTTP.deltaParam)! }
        : {}),
    });
    const delta = url.searchParams.get(AUTHZ_SNAPSHOT_HTTP.deltaParam) === '1';
    if (delta && this.refuseDeltas) {
      res.writeHead(400, { 'content-type': 'text/plain' }).end('unknown query parameter delta');
      return;
    }
    if (url.pathname !== AUTHZ_SNAPSHOT_HTTP.path) {
      res.writeHead(404).end();
      return;
    }
    if (this.#failStatus !== undefined) {
      res
        .writeHead(this.#failStatus, { 'content-type': 'text/plain' })
        .end('portal failure');
      return;
    }
    const current = this.#current;
    if (current && ifNoneMatch !== formatAuthzSnapshotETag(current.version)) {
      this.#send(res, delta);
      return;
    }
    const waiter = {
      res,
      ifNoneMatch,
      delta,
      timer: setTimeout(() => {
        this.#waiting.delete(waiter);
        res.writeHead(304).end();
      }, this.#holdMs),
    };
    this.#waiting.add(waiter);
    res.on('close', () => {
      clearTimeout(waiter.timer);
      this.#waiting.delete(waiter);
    });
  }

  #send(res: ServerResponse, delta: boolean): void {
    const current = this.#current!;
    res
      .writeHead(200, {
        'content-type': 'application/json',
        etag: formatAuthzSnapshotETag(current.version),
      })
      .end(delta && current.delta !== undefined ? current.delta : current.text);
  }
}

import { Server, Socket, connect, createServer } from 'node:net';

/**
 * A TCP forwarder in front of a portal that a test can shut, as if the portal went down, and
 * open again on the same port, as if it came back: the sidecar keeps its URL throughout.
 */
export class PortalDoor {
  readonly #targetPort: number;
  readonly #sockets = new Set<Socket>();
  #server: Server | undefined;
  #port = 0;

  private constructor(targetPort: number) {
    this.#targetPort = targetPort;
  }

  /** Starts forwarding a free loopback port to 127.0.0.1:targetPort. */
  static async open(targetPort: number): Promise<PortalDoor> {
    const door = new PortalDoor(targetPort);
    await door.reopen();
    return door;
  }

  get url(): string {
    return `http://127.0.0.1:${this.#port}`;
  }

  /** Stops accepting connections and cuts the open ones. */
  async shut(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    for (const socket of this.#sockets) {
      socket.destroy();
    }
    this.#sockets.clear();
    if (server) {
      await new Promise<void>(resolve => server.close(() => resolve()));
    }
  }

  /** Listens again, on the port it had (a free one the first time). */
  async reopen(): Promise<void> {
    const server = createServer(client => {
      const portal = connect(this.#targetPort, '127.0.0.1');
      this.#sockets.add(client).add(portal);
      const forget = () => {
        client.destroy();
        portal.destroy();
        this.#sockets.delete(client);
        this.#sockets.delete(portal);
      };
      client.on('error', forget).on('close', forget);
      portal.on('error', forget).on('close', forget);
      client.pipe(portal).pipe(client);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.#port, '127.0.0.1', () => resolve());
    });
    this.#port = (server.address() as { port: number }).port;
    this.#server = server;
  }
}

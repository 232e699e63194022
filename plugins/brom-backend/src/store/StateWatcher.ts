import { LoggerService } from '@backstage/backend-plugin-api';
import { BromStore, STATE_CHANNEL } from './BromStore';

type Listener = (version: number) => void;

/**
 * Tells readers in this process that a write was committed on any backend replica.
 * PostgreSQL pushes versions over LISTEN/NOTIFY on a dedicated connection; SQLite (one
 * process only) and a lost PostgreSQL connection fall back to polling the version row.
 */
export class StateWatcher {
  readonly #store: BromStore;
  readonly #logger: LoggerService;
  readonly #pollIntervalMs: number;
  readonly #listeners = new Set<Listener>();
  #version = 0;
  #timer: NodeJS.Timeout | undefined;
  #pgConnection: any;
  #stopped = false;

  private constructor(options: {
    store: BromStore;
    logger: LoggerService;
    pollIntervalMs: number;
  }) {
    this.#store = options.store;
    this.#logger = options.logger;
    this.#pollIntervalMs = options.pollIntervalMs;
  }

  static async create(options: {
    store: BromStore;
    logger: LoggerService;
    /** How often to read the version row where no push is available. */
    pollIntervalMs?: number;
  }): Promise<StateWatcher> {
    const watcher = new StateWatcher({
      store: options.store,
      logger: options.logger,
      pollIntervalMs: options.pollIntervalMs ?? 250,
    });
    await watcher.#start();
    return watcher;
  }

  /** The newest version this process has seen committed. */
  get version(): number {
    return this.#version;
  }

  onChange(listener: Listener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /**
   * Resolves with the current version as soon as it is greater than `after`, or with the
   * version at the deadline. Resolves early when `signal` aborts.
   */
  waitForVersionAfter(
    after: number,
    timeoutMs: number,
    signal?: AbortSignal,
  ): Promise<number> {
    if (this.#version > after || timeoutMs <= 0 || signal?.aborted) {
      return Promise.resolve(this.#version);
    }
    return new Promise(resolve => {
      const cleanups: Array<() => void> = [];
      const finish = () => {
        for (const cleanup of cleanups) cleanup();
        resolve(this.#version);
      };
      const timer = setTimeout(finish, timeoutMs);
      const unsubscribe = this.onChange(v => {
        if (v > after) finish();
      });
      signal?.addEventListener('abort', finish);
      cleanups.push(
        () => clearTimeout(timer),
        () => unsubscribe(),
        () => signal?.removeEventListener('abort', finish),
      );
    });
  }

  /** Called by writers in this process so local readers need not wait for the poll. */
  notifyLocal(version: number) {
    this.#observe(version);
  }

  async stop() {
    this.#stopped = true;
    clearTimeout(this.#timer);
    const connection = this.#pgConnection;
    this.#pgConnection = undefined;
    if (connection) {
      await this.#store.knex.client
        .destroyRawConnection(connection)
        .catch(() => {});
    }
  }

  async #start() {
    this.#observe(await this.#store.version());
    if (this.#store.dialect === 'pg') {
      await this.#listen().catch(error =>
        this.#logger.warn(
          `LISTEN ${STATE_CHANNEL} failed, polling the state version instead: ${error}`,
        ),
      );
    }
    this.#schedulePoll();
  }

  async #listen() {
    const connection = await this.#store.knex.client.acquireRawConnection();
    connection.on('notification', (message: { channel: string; payload?: string }) => {
      if (message.channel === STATE_CHANNEL) {
        this.#observe(Number(message.payload));
      }
    });
    connection.on('error', (error: Error) => {
      this.#logger.warn(`State listener connection failed: ${error.message}`);
      this.#pgConnection = undefined;
    });
    await connection.query(`LISTEN ${STATE_CHANNEL}`);
    this.#pgConnection = connection;
  }

  #schedulePoll() {
    if (this.#stopped) return;
    // With a live LISTEN connection the poll is only a safety net.
    const interval = this.#pgConnection
      ? Math.max(this.#pollIntervalMs, 5000)
      : this.#pollIntervalMs;
    this.#timer = setTimeout(async () => {
      try {
        this.#observe(await this.#store.version());
        if (this.#store.dialect === 'pg' && !this.#pgConnection) {
          await this.#listen();
        }
      } catch (error) {
        this.#logger.debug(`Reading the state version failed: ${error}`);
      }
      this.#schedulePoll();
    }, interval);
    this.#timer.unref?.();
  }

  #observe(version: number) {
    if (!Number.isFinite(version) || version <= this.#version) return;
    this.#version = version;
    for (const listener of this.#listeners) listener(version);
  }
}

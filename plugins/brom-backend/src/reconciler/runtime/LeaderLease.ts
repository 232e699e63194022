import { LoggerService } from '@backstage/backend-plugin-api';
import { BromStore } from '../../store/BromStore';

/** Decides which backend replica reconciles: exactly one at a time. */
export interface LeaderLease {
  /** True when this process holds (or just took) the lease. */
  acquire(): Promise<boolean>;
  release(): Promise<void>;
}

// Any constant works as long as every replica uses the same one.
const ADVISORY_LOCK_KEY = 73_116_001;

/**
 * A PostgreSQL session-level advisory lock on a dedicated connection: held while the
 * connection lives, released by the server the moment the holder's process dies, so
 * another replica takes over on its next attempt. SQLite is single-process: always leader.
 */
export class DatabaseLeaderLease implements LeaderLease {
  readonly #store: BromStore;
  readonly #logger: LoggerService;
  #connection: any;
  #held = false;

  private constructor(store: BromStore, logger: LoggerService) {
    this.#store = store;
    this.#logger = logger;
  }

  static create(options: { store: BromStore; logger: LoggerService }) {
    return new DatabaseLeaderLease(options.store, options.logger);
  }

  async acquire(): Promise<boolean> {
    if (this.#store.dialect !== 'pg') return true;
    try {
      if (!this.#connection) {
        const connection = await this.#store.knex.client.acquireRawConnection();
        connection.on('error', (error: Error) => {
          this.#logger.warn(`Reconciler lease connection failed: ${error.message}`);
          this.#drop();
        });
        this.#connection = connection;
      }
      if (this.#held) {
        await this.#connection.query('SELECT 1');
        return true;
      }
      const result = await this.#connection.query(
        'SELECT pg_try_advisory_lock($1) AS locked',
        [ADVISORY_LOCK_KEY],
      );
      this.#held = Boolean(result.rows[0]?.locked);
      if (this.#held) this.#logger.info('This replica now runs the BROM reconciler');
      return this.#held;
    } catch (error) {
      this.#logger.warn(`Reconciler lease check failed: ${error}`);
      this.#drop();
      return false;
    }
  }

  async release(): Promise<void> {
    const connection = this.#connection;
    this.#connection = undefined;
    this.#held = false;
    if (connection) {
      await this.#store.knex.client.destroyRawConnection(connection).catch(() => {});
    }
  }

  #drop() {
    const connection = this.#connection;
    this.#connection = undefined;
    this.#held = false;
    if (connection) {
      this.#store.knex.client.destroyRawConnection(connection).catch(() => {});
    }
  }
}

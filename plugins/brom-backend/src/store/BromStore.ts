import {
  DatabaseService,
  resolvePackagePath,
} from '@backstage/backend-plugin-api';
import { Knex } from 'knex';
import { Kysely, sql, Transaction } from 'kysely';
import { randomUUID } from 'node:crypto';
import {
  BetterSQLite3ColdDialect,
  KyselyKnexDialect,
  PGColdDialect,
} from 'kysely-knex';
import { BromTables } from './tables';

export type BromTransaction = Transaction<BromTables>;
export type BromDb = Kysely<BromTables>;

/** PostgreSQL channel on which every committed write announces the new state version. */
export const STATE_CHANNEL = 'brom_state';

const migrationsDir = resolvePackagePath(
  '@internal/plugin-brom-backend',
  'migrations',
);

/**
 * BROM's persistence: owns the schema, runs transactions, and keeps the state version.
 * Every write transaction increments the version first, which also serialises writers on
 * PostgreSQL (the version row is locked until commit), so conditional updates never race.
 */
export class BromStore {
  readonly #db: BromDb;
  readonly #knex: Knex;
  readonly #dialect: 'pg' | 'sqlite';
  #epoch: string;

  private constructor(db: BromDb, knex: Knex, dialect: 'pg' | 'sqlite', epoch: string) {
    this.#db = db;
    this.#knex = knex;
    this.#dialect = dialect;
    this.#epoch = epoch;
  }

  static async create(options: {
    database: DatabaseService;
  }): Promise<BromStore> {
    const knex = await options.database.getClient();
    if (!options.database.migrations?.skip) {
      await knex.migrate.latest({ directory: migrationsDir });
    }
    const client = String(knex.client.config.client);
    const dialect = client === 'pg' || client === 'postgresql' ? 'pg' : 'sqlite';
    if (dialect === 'sqlite' && !/sqlite/.test(client)) {
      throw new Error(
        `BROM supports PostgreSQL and SQLite databases, not the "${client}" client`,
      );
    }
    const db = new Kysely<BromTables>({
      dialect: new KyselyKnexDialect({
        knex,
        kyselySubDialect:
          dialect === 'pg' ? new PGColdDialect() : new BetterSQLite3ColdDialect(),
      }),
    });
    const { epoch } = await db
      .selectFrom('brom_state_version')
      .select('epoch')
      .where('id', '=', 1)
      .executeTakeFirstOrThrow();
    return new BromStore(db, knex, dialect, epoch);
  }

  /**
   * Identifies this database; state versions compare only within one epoch. As last read:
   * {@link state} and {@link epochIn} read it afresh (another replica may have renewed it).
   */
  get epoch(): string {
    return this.#epoch;
  }

  /** The state version and the epoch, read together. */
  async state(): Promise<{ version: number; epoch: string }> {
    const row = await this.#db
      .selectFrom('brom_state_version')
      .select(['version', 'epoch'])
      .where('id', '=', 1)
      .executeTakeFirstOrThrow();
    this.#epoch = row.epoch;
    return { version: Number(row.version), epoch: row.epoch };
  }

  /** The epoch as a read transaction (of {@link read}) sees it. */
  async epochIn(tx: BromTransaction): Promise<string> {
    const row = await tx
      .selectFrom('brom_state_version')
      .select('epoch')
      .where('id', '=', 1)
      .executeTakeFirstOrThrow();
    return row.epoch;
  }

  /**
   * Gives the database a new epoch if it still has `stale`, as a write (the version moves on
   * and, on PostgreSQL, every replica hears of it); returns the epoch the database has then.
   * For a database restored from a backup: the versions it counts from the backup on were
   * already used, for other states, by the database as it was before the restore.
   */
  async renewEpoch(stale: string): Promise<string> {
    const fresh = randomUUID();
    await this.write(async tx => {
      await tx
        .updateTable('brom_state_version')
        .set({ epoch: fresh })
        .where('id', '=', 1)
        .where('epoch', '=', stale)
        .execute();
    });
    return (await this.state()).epoch;
  }

  get dialect(): 'pg' | 'sqlite' {
    return this.#dialect;
  }

  /**
   * The underlying Knex client, for repositories and the PostgreSQL change listener only;
   * domain code goes through the repositories.
   */
  get knex(): Knex {
    return this.#knex;
  }

  /**
   * Runs `fn` in a write transaction after incrementing the state version; the new version
   * is passed in. On PostgreSQL the commit also notifies listeners on {@link STATE_CHANNEL}.
   */
  async write<T>(
    fn: (tx: BromTransaction, version: number) => Promise<T>,
  ): Promise<T> {
    return this.#db.transaction().execute(async tx => {
      const row = await tx
        .updateTable('brom_state_version')
        .set(eb => ({ version: eb('version', '+', 1) }))
        .where('id', '=', 1)
        .returning('version')
        .executeTakeFirstOrThrow();
      const version = Number(row.version);
      const result = await fn(tx, version);
      if (this.#dialect === 'pg') {
        await sql`select pg_notify(${STATE_CHANNEL}, ${String(version)})`.execute(
          tx,
        );
      }
      return result;
    });
  }

  /**
   * Runs `fn` in one read transaction together with the state version, so that the data
   * and the version describe the same moment (repeatable read on PostgreSQL).
   */
  async read<T>(
    fn: (tx: BromTransaction, version: number) => Promise<T>,
  ): Promise<T> {
    const builder =
      this.#dialect === 'pg'
        ? this.#db.transaction().setIsolationLevel('repeatable read')
        : this.#db.transaction();
    return builder.execute(async tx => {
      const version = await readVersion(tx);
      return fn(tx, version);
    });
  }

  /** Reads the state version outside any transaction. */
  async version(): Promise<number> {
    return readVersion(this.#db);
  }

  /**
   * For repositories only (the portal's in this folder, the reconciler's and the
   * memberships' own), for queries that need no transaction; domain code goes through the
   * repositories.
   */
  get db(): BromDb {
    return this.#db;
  }
}

async function readVersion(db: BromDb | BromTransaction): Promise<number> {
  const row = await db
    .selectFrom('brom_state_version')
    .select('version')
    .where('id', '=', 1)
    .executeTakeFirstOrThrow();
  return Number(row.version);
}

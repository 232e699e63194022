import { Kysely } from 'kysely';
import { BromTables, ExternalProducerRow } from './tables';

/** The upstream of each external producer; applications read theirs joined (ApplicationStore). */
export interface ExternalProducerStore {
  find(applicationId: string): Promise<ExternalProducerRow | undefined>;
  /** Inserts or replaces the application's row. */
  put(row: ExternalProducerRow): Promise<void>;
  remove(applicationId: string): Promise<void>;
  count(): Promise<number>;
}

export class DatabaseExternalProducerStore implements ExternalProducerStore {
  readonly #db: Kysely<BromTables>;

  private constructor(db: Kysely<BromTables>) {
    this.#db = db;
  }

  static create(options: { db: Kysely<BromTables> }): ExternalProducerStore {
    return new DatabaseExternalProducerStore(options.db);
  }

  async find(applicationId: string) {
    return this.#db
      .selectFrom('brom_external_producers')
      .selectAll()
      .where('application_id', '=', applicationId)
      .executeTakeFirst();
  }

  async put(row: ExternalProducerRow) {
    const { application_id, created_at, ...rest } = row;
    await this.#db
      .insertInto('brom_external_producers')
      .values(row)
      .onConflict(oc => oc.column('application_id').doUpdateSet(rest))
      .execute();
    void application_id;
    void created_at;
  }

  async remove(applicationId: string) {
    await this.#db
      .deleteFrom('brom_external_producers')
      .where('application_id', '=', applicationId)
      .execute();
  }

  async count() {
    const { n } = await this.#db
      .selectFrom('brom_external_producers')
      .select(eb => eb.fn.countAll<number | string>().as('n'))
      .executeTakeFirstOrThrow();
    return Number(n);
  }
}

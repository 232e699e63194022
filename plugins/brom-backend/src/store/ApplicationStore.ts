import { Application, Page } from '@internal/plugin-brom-common';
import { Kysely, SelectQueryBuilder } from 'kysely';
import { toApplication } from './mappers';
import {
  emptyPage,
  matchesSearch,
  OwnerFilter,
  ownerCriteria,
  pageByKey,
  SortedPageQuery,
} from './queries';
import { ApplicationRow, BromTables } from './tables';

export type ApplicationSort = 'name' | 'title' | 'owner';

/** The columns each sort orders by, the unique name last. */
const APPLICATION_SORT_COLUMNS: Record<ApplicationSort, string[]> = {
  name: ['name'],
  title: ['title', 'name'],
  owner: ['owner', 'name'],
};

export interface ApplicationListQuery extends SortedPageQuery<ApplicationSort> {
  q?: string;
  /** Only the application registered for this catalog entity. */
  entityRef?: string;
  /** Only applications with an approved subscription (the consumer catalogue). */
  consuming?: boolean;
  owner?: string;
  /** Only applications owned by one of these refs (the user's claims). */
  ownedBy?: string[];
  /** Only applications whose owner the permission criteria allow. */
  allowed?: OwnerFilter;
  includeDeleted?: boolean;
}

/** Who made the changes the domain object does not carry. */
export interface ApplicationChangeBy {
  createdBy?: string;
  deletedBy?: string;
  queueDeletionConfirmedBy?: string;
}

/** Applications, live and soft-deleted. */
export interface ApplicationStore {
  list(query: ApplicationListQuery): Promise<Page<Application>>;
  findByName(name: string): Promise<Application | undefined>;
  findByNames(names: string[]): Promise<Application[]>;
  insert(application: Application, by: { createdBy: string }): Promise<void>;
  update(application: Application, by?: ApplicationChangeBy): Promise<void>;
}

export class DatabaseApplicationStore implements ApplicationStore {
  readonly #db: Kysely<BromTables>;

  private constructor(db: Kysely<BromTables>) {
    this.#db = db;
  }

  static create(options: { db: Kysely<BromTables> }): ApplicationStore {
    return new DatabaseApplicationStore(options.db);
  }

  async list(query: ApplicationListQuery): Promise<Page<Application>> {
    if (query.ownedBy?.length === 0) return emptyPage(query);
    let base = this.#db.selectFrom('brom_applications');
    if (!query.includeDeleted) base = base.where('deleted_at', 'is', null);
    if (query.owner) base = base.where('owner', '=', query.owner);
    if (query.ownedBy) base = base.where('owner', 'in', query.ownedBy);
    const allowed = query.allowed;
    if (allowed) base = base.where(eb => ownerCriteria(eb, 'owner', allowed));
    if (query.q) {
      base = base.where(matchesSearch(query.q, ['name', 'title', 'description']));
    }
    if (query.entityRef) base = base.where('entity_ref', '=', query.entityRef);
    if (query.consuming) {
      base = base.where(eb =>
        eb.exists(
          eb
            .selectFrom('brom_subscriptions as s')
            .select('s.id')
            .whereRef('s.consumer_application_id', '=', 'brom_applications.id')
            .where('s.state', '=', 'approved'),
        ),
      );
    }
    const { rows, page } = await pageByKey(
      this.#db,
      base,
      q => withExternalProducer(q),
      APPLICATION_SORT_COLUMNS,
      { sort: 'name', order: 'asc' },
      query,
    );
    return { items: rows.map(toApplication), ...page };
  }

  async findByName(name: string): Promise<Application | undefined> {
    const row = await withExternalProducer(this.#db.selectFrom('brom_applications'))
      .where('name', '=', name)
      .executeTakeFirst();
    return row && toApplication(row);
  }

  async findByNames(names: string[]): Promise<Application[]> {
    if (names.length === 0) return [];
    const rows = await withExternalProducer(this.#db.selectFrom('brom_applications'))
      .where('name', 'in', names)
      .execute();
    return rows.map(toApplication);
  }

  async insert(application: Application, by: { createdBy: string }) {
    await this.#db
      .insertInto('brom_applications')
      .values({
        ...toColumns(application),
        id: application.id,
        name: application.name,
        created_at: application.createdAt,
        created_by: by.createdBy,
        deleted_by: null,
        queue_deletion_confirmed_by: null,
        // Registered now: its queue has never been declared (decision 0028).
        queue_dead_letter_argument: true,
      })
      .execute();
  }

  async update(application: Application, by: ApplicationChangeBy = {}) {
    await this.#db
      .updateTable('brom_applications')
      .set({
        ...toColumns(application),
        ...(by.deletedBy ? { deleted_by: by.deletedBy } : {}),
        ...(by.queueDeletionConfirmedBy
          ? { queue_deletion_confirmed_by: by.queueDeletionConfirmedBy }
          : {}),
      })
      .where('id', '=', application.id)
      .execute();
  }
}

/** Every application column, and its external producer's (but never the password). */
export function withExternalProducer<O>(
  query: SelectQueryBuilder<BromTables, 'brom_applications', O>,
) {
  return query
    .leftJoin(
      'brom_external_producers as ep',
      'ep.application_id',
      'brom_applications.id',
    )
    .selectAll('brom_applications')
    .select([
      'ep.upstream_uri as ep_upstream_uri',
      'ep.upstream_exchange as ep_upstream_exchange',
      'ep.upstream_routing_key as ep_upstream_routing_key',
      'ep.upstream_queue as ep_upstream_queue',
      'ep.username as ep_username',
    ]);
}

function toColumns(application: Application) {
  return {
    title: application.title,
    description: application.description,
    owner: application.owner,
    entity_ref: application.entityRef,
    message_ttl_ms: application.settings.messageTtlMs,
    max_length: application.settings.maxLength,
    generation: application.generation,
    updated_at: application.updatedAt,
    deleted_at: application.deletedAt,
    queue_deletion_confirmed_at: application.queueDeletionConfirmedAt,
  } satisfies Partial<ApplicationRow>;
}

import { Application, NotificationType, Page } from '@internal/plugin-brom-common';
import { Kysely } from 'kysely';
import { toNotificationType } from './mappers';
import { matchesSearch, pageByKey, SortedPageQuery } from './queries';
import { BromTables, NotificationTypeRow } from './tables';
import { typeVisibleTo, Viewer } from './visibility';

export type NotificationTypeSort = 'producer' | 'name' | 'owner';

/** The columns each sort orders by, the unique id last. */
const NOTIFICATION_TYPE_SORT_COLUMNS: Record<NotificationTypeSort, string[]> = {
  producer: ['a.name', 't.name', 't.id'],
  name: ['t.name', 'a.name', 't.id'],
  owner: ['a.owner', 'a.name', 't.name', 't.id'],
};

export interface NotificationTypeListQuery extends SortedPageQuery<NotificationTypeSort> {
  application?: string;
  q?: string;
  owner?: string;
  /** Private types are listed only if this viewer may see them. */
  viewer: Viewer;
}

/** Notification types of producing applications, live and soft-deleted. */
export interface NotificationTypeStore {
  /** Live types of live applications that the viewer may see. */
  list(query: NotificationTypeListQuery): Promise<Page<NotificationType>>;
  find(application: Application, name: string): Promise<NotificationType | undefined>;
  /** The type if it exists and the viewer may see it. */
  findVisible(
    application: Application,
    name: string,
    viewer: Viewer,
  ): Promise<NotificationType | undefined>;
  /** All types of the application, the soft-deleted ones too. */
  listOf(application: Application): Promise<NotificationType[]>;
  /**
   * Live types, deprecated with a sunset at or before `now`, that still have live
   * subscriptions: the sunset task's work.
   */
  listSunsetDue(now: string): Promise<Array<{ id: string; applicationId: string; name: string }>>;
  insert(type: NotificationType, of: { applicationId: string }): Promise<void>;
  update(type: NotificationType, by?: { deletedBy?: string }): Promise<void>;
}

export class DatabaseNotificationTypeStore implements NotificationTypeStore {
  readonly #db: Kysely<BromTables>;

  private constructor(db: Kysely<BromTables>) {
    this.#db = db;
  }

  static create(options: { db: Kysely<BromTables> }): NotificationTypeStore {
    return new DatabaseNotificationTypeStore(options.db);
  }

  async list(query: NotificationTypeListQuery): Promise<Page<NotificationType>> {
    let base = this.#db
      .selectFrom('brom_notification_types as t')
      .innerJoin('brom_applications as a', 'a.id', 't.application_id')
      .where('t.deleted_at', 'is', null)
      .where('a.deleted_at', 'is', null)
      .where(eb =>
        typeVisibleTo(eb, query.viewer, { visibility: 't.visibility', producerOwner: 'a.owner' }),
      );
    if (query.application) base = base.where('a.name', '=', query.application);
    if (query.owner) base = base.where('a.owner', '=', query.owner);
    if (query.q) {
      base = base.where(
        matchesSearch(query.q, ['t.name', 't.description', 't.routing_key_pattern', 'a.name']),
      );
    }
    const { rows, page } = await pageByKey(
      this.#db,
      base,
      q => q.selectAll('t').select(['a.name as application_name', 'a.owner as producer_owner']),
      NOTIFICATION_TYPE_SORT_COLUMNS,
      { sort: 'producer', order: 'asc' },
      query,
    );
    return {
      items: rows.map(r => ({
        ...toNotificationType(r, r.application_name),
        producerOwner: r.producer_owner,
      })),
      ...page,
    };
  }

  async find(application: Application, name: string) {
    const row = await this.#db
      .selectFrom('brom_notification_types')
      .selectAll()
      .where('application_id', '=', application.id)
      .where('name', '=', name)
      .executeTakeFirst();
    return row && toNotificationType(row, application.name);
  }

  async findVisible(application: Application, name: string, viewer: Viewer) {
    const row = await this.#db
      .selectFrom('brom_notification_types as t')
      .innerJoin('brom_applications as a', 'a.id', 't.application_id')
      .selectAll('t')
      .where('t.application_id', '=', application.id)
      .where('t.name', '=', name)
      .where(eb =>
        typeVisibleTo(eb, viewer, { visibility: 't.visibility', producerOwner: 'a.owner' }),
      )
      .executeTakeFirst();
    return row && toNotificationType(row, application.name);
  }

  async listOf(application: Application) {
    const rows = await this.#db
      .selectFrom('brom_notification_types')
      .selectAll()
      .where('application_id', '=', application.id)
      .execute();
    return rows.map(row => toNotificationType(row, application.name));
  }

  async listSunsetDue(now: string) {
    const rows = await this.#db
      .selectFrom('brom_notification_types as t')
      .select(['t.id', 't.application_id', 't.name'])
      .where('t.deleted_at', 'is', null)
      .where('t.sunset_at', 'is not', null)
      .where('t.sunset_at', '<=', now)
      .where(eb =>
        eb.exists(
          eb
            .selectFrom('brom_subscriptions as s')
            .select('s.id')
            .whereRef('s.notification_type_id', '=', 't.id')
            .where('s.state', 'in', ['requested', 'approved']),
        ),
      )
      .orderBy('t.sunset_at')
      .execute();
    return rows.map(r => ({ id: r.id, applicationId: r.application_id, name: r.name }));
  }

  async insert(type: NotificationType, of: { applicationId: string }) {
    await this.#db
      .insertInto('brom_notification_types')
      .values({
        ...toColumns(type),
        id: type.id,
        application_id: of.applicationId,
        name: type.name,
        created_at: type.createdAt,
        deleted_by: null,
      })
      .execute();
  }

  async update(type: NotificationType, by: { deletedBy?: string } = {}) {
    await this.#db
      .updateTable('brom_notification_types')
      .set({
        ...toColumns(type),
        ...(by.deletedBy ? { deleted_by: by.deletedBy } : {}),
      })
      .where('id', '=', type.id)
      .execute();
  }
}

function toColumns(type: NotificationType) {
  return {
    routing_key_pattern: type.routingKeyPattern,
    description: type.description,
    payload_schema: type.payloadSchema ? JSON.stringify(type.payloadSchema) : null,
    visibility: type.visibility,
    requires_approval: type.requiresApproval,
    generation: type.generation,
    updated_at: type.updatedAt,
    deleted_at: type.deletedAt,
    deprecated_at: type.deprecation?.deprecatedAt ?? null,
    deprecated_by: type.deprecation?.deprecatedBy ?? null,
    sunset_at: type.deprecation?.sunsetAt ?? null,
    successor: type.deprecation?.successor ?? null,
  } satisfies Partial<NotificationTypeRow>;
}

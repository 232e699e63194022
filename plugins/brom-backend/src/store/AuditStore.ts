import { AuditEvent, Page } from '@internal/plugin-brom-common';
import { Kysely } from 'kysely';
import { toAuditEvent } from './mappers';
import { countRows } from './queries';
import { BromTables } from './tables';

export interface AuditListQuery {
  application?: string;
  actor?: string;
  action?: string;
  since?: string;
  until?: string;
  offset: number;
  limit: number;
}

/** The user-facing history of each application. */
export interface AuditStore {
  append(event: Omit<AuditEvent, 'id'>): Promise<void>;
  list(query: AuditListQuery): Promise<Page<AuditEvent>>;
}

export class DatabaseAuditStore implements AuditStore {
  readonly #db: Kysely<BromTables>;

  private constructor(db: Kysely<BromTables>) {
    this.#db = db;
  }

  static create(options: { db: Kysely<BromTables> }): AuditStore {
    return new DatabaseAuditStore(options.db);
  }

  async append(event: Omit<AuditEvent, 'id'>) {
    await this.#db
      .insertInto('brom_audit_events')
      .values({
        at: event.at,
        actor: event.actor,
        action: event.action,
        target_kind: event.targetKind,
        target_id: event.targetId,
        application: event.application,
        before: event.before ? JSON.stringify(event.before) : null,
        after: event.after ? JSON.stringify(event.after) : null,
      })
      .execute();
  }

  async list(query: AuditListQuery): Promise<Page<AuditEvent>> {
    let base = this.#db.selectFrom('brom_audit_events');
    if (query.application) base = base.where('application', '=', query.application);
    if (query.actor) base = base.where('actor', '=', query.actor);
    if (query.action) base = base.where('action', '=', query.action);
    // Stored times are toISOString() strings; compare like with like, whatever offset or
    // precision the client wrote.
    if (query.since) base = base.where('at', '>=', new Date(query.since).toISOString());
    if (query.until) base = base.where('at', '<', new Date(query.until).toISOString());
    const count = await countRows(base);
    const rows = await base
      .selectAll()
      .orderBy('id', 'desc')
      .offset(query.offset)
      .limit(query.limit)
      .execute();
    return {
      items: rows.map(toAuditEvent),
      totalCount: count,
      offset: query.offset,
      limit: query.limit,
    };
  }
}

import { AuditEvent, Page } from '@internal/plugin-brom-common';
import { Kysely } from 'kysely';
import { toAuditEvent } from './mappers';
import { countRows, emptyPage } from './queries';
import { BromTables } from './tables';

export interface AuditListQuery {
  /** Only the histories of these applications (identities, not names). */
  applicationIds?: string[];
  /** Only events filed under this application name, whichever application held it. */
  applicationName?: string;
  actor?: string;
  action?: string;
  since?: string;
  until?: string;
  offset: number;
  limit: number;
}

/** An application that held a name, as its own audit rows last described it. */
export interface AuditedApplication {
  applicationId: string;
  /** Its owner when it last changed; null if its rows never said. */
  owner: string | null;
}

/** The user-facing history of each application. */
export interface AuditStore {
  append(event: Omit<AuditEvent, 'id'>): Promise<void>;
  list(query: AuditListQuery): Promise<Page<AuditEvent>>;
  /** Every application, present or gone, whose own history is filed under the name. */
  applicationsNamed(name: string): Promise<AuditedApplication[]>;
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
        application_id: event.applicationId,
        before: event.before ? JSON.stringify(event.before) : null,
        after: event.after ? JSON.stringify(event.after) : null,
      })
      .execute();
  }

  async list(query: AuditListQuery): Promise<Page<AuditEvent>> {
    if (query.applicationIds?.length === 0) return emptyPage(query);
    let base = this.#db.selectFrom('brom_audit_events');
    if (query.applicationIds) base = base.where('application_id', 'in', query.applicationIds);
    if (query.applicationName) base = base.where('application', '=', query.applicationName);
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

  async applicationsNamed(name: string): Promise<AuditedApplication[]> {
    // An application's own rows carry it whole in `after`; the last one names its owner
    // (the finalizer's row has no `after`).
    const latest = await this.#db
      .selectFrom('brom_audit_events')
      .select(['application_id', eb => eb.fn.max('id').as('last')])
      .where('application', '=', name)
      .where('target_kind', '=', 'application')
      .where('application_id', 'is not', null)
      .where('after', 'is not', null)
      .groupBy('application_id')
      .execute();
    if (latest.length === 0) return [];
    const rows = await this.#db
      .selectFrom('brom_audit_events')
      .select(['application_id', 'after'])
      .where(
        'id',
        'in',
        latest.map(r => Number(r.last)),
      )
      .execute();
    return rows.map(row => {
      const after = row.after ? JSON.parse(row.after) : null;
      return {
        applicationId: row.application_id!,
        owner: typeof after?.owner === 'string' ? after.owner : null,
      };
    });
  }
}

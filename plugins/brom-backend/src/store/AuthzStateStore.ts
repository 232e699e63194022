import { Kysely } from 'kysely';
import { BromTables } from './tables';

/** What the authorisation policy is derived from, read in the caller's transaction. */
export interface AuthzState {
  /** Live applications by name. */
  applications: Array<{ id: string; name: string }>;
  /** Routing-key patterns of live types, by pattern. */
  notificationTypes: Array<{ applicationId: string; routingKeyPattern: string }>;
  /** Applications that have or had a subscription, so the reconciler declared their queues. */
  consumerIds: Set<string>;
  /** Credentials neither revoked nor expired, by username. */
  credentials: Array<{
    applicationId: string;
    username: string;
    salt: string;
    hash: string;
    expiresAt: string | null;
  }>;
}

export interface AuthzStateStore {
  read(now: string): Promise<AuthzState>;
}

export class DatabaseAuthzStateStore implements AuthzStateStore {
  readonly #db: Kysely<BromTables>;

  private constructor(db: Kysely<BromTables>) {
    this.#db = db;
  }

  static create(options: { db: Kysely<BromTables> }): AuthzStateStore {
    return new DatabaseAuthzStateStore(options.db);
  }

  async read(now: string): Promise<AuthzState> {
    const applications = await this.#db
      .selectFrom('brom_applications')
      .select(['id', 'name'])
      .where('deleted_at', 'is', null)
      .orderBy('name')
      .execute();
    const types = await this.#db
      .selectFrom('brom_notification_types')
      .select(['application_id', 'routing_key_pattern'])
      .where('deleted_at', 'is', null)
      .orderBy('routing_key_pattern')
      .execute();
    const consumers = await this.#db
      .selectFrom('brom_subscriptions')
      .select('consumer_application_id')
      .distinct()
      .execute();
    const credentials = await this.#db
      .selectFrom('brom_credentials')
      .select(['application_id', 'username', 'salt', 'hash', 'expires_at'])
      .where('revoked_at', 'is', null)
      .where(eb => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', now)]))
      .orderBy('username')
      .execute();
    return {
      applications,
      notificationTypes: types.map(t => ({
        applicationId: t.application_id,
        routingKeyPattern: t.routing_key_pattern,
      })),
      consumerIds: new Set(consumers.map(c => c.consumer_application_id)),
      credentials: credentials.map(c => ({
        applicationId: c.application_id,
        username: c.username,
        salt: c.salt,
        hash: c.hash,
        expiresAt: c.expires_at,
      })),
    };
  }
}

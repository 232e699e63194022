import { Application, Credential } from '@internal/plugin-brom-common';
import { Kysely } from 'kysely';
import { toCredential } from './mappers';
import { BromTables } from './tables';

/** Broker credentials of applications; only the salted hash of a secret is stored. */
export interface CredentialStore {
  listOf(application: Application): Promise<Credential[]>;
  find(application: Application, id: string): Promise<Credential | undefined>;
  /** Credentials neither revoked nor expired at `now` (an ISO time). */
  listLive(application: Application, now: string): Promise<Credential[]>;
  insert(
    credential: Credential,
    secret: { applicationId: string; salt: string; hash: string },
  ): Promise<void>;
  /** Writes the expiry and revocation, the only parts of a credential that change. */
  update(credential: Credential): Promise<void>;
}

export class DatabaseCredentialStore implements CredentialStore {
  readonly #db: Kysely<BromTables>;

  private constructor(db: Kysely<BromTables>) {
    this.#db = db;
  }

  static create(options: { db: Kysely<BromTables> }): CredentialStore {
    return new DatabaseCredentialStore(options.db);
  }

  async listOf(application: Application) {
    const rows = await this.#db
      .selectFrom('brom_credentials')
      .selectAll()
      .where('application_id', '=', application.id)
      .orderBy('created_at')
      .execute();
    return rows.map(r => toCredential(r, application.name));
  }

  async find(application: Application, id: string) {
    const row = await this.#db
      .selectFrom('brom_credentials')
      .selectAll()
      .where('id', '=', id)
      .where('application_id', '=', application.id)
      .executeTakeFirst();
    return row && toCredential(row, application.name);
  }

  async listLive(application: Application, now: string) {
    const rows = await this.#db
      .selectFrom('brom_credentials')
      .selectAll()
      .where('application_id', '=', application.id)
      .where('revoked_at', 'is', null)
      .where(eb => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', now)]))
      .execute();
    return rows.map(r => toCredential(r, application.name));
  }

  async insert(
    credential: Credential,
    secret: { applicationId: string; salt: string; hash: string },
  ) {
    await this.#db
      .insertInto('brom_credentials')
      .values({
        id: credential.id,
        application_id: secret.applicationId,
        username: credential.username,
        salt: secret.salt,
        hash: secret.hash,
        created_at: credential.createdAt,
        created_by: credential.createdBy,
        expires_at: credential.expiresAt,
        revoked_at: credential.revokedAt,
        revoked_by: credential.revokedBy,
      })
      .execute();
  }

  async update(credential: Credential) {
    await this.#db
      .updateTable('brom_credentials')
      .set({
        expires_at: credential.expiresAt,
        revoked_at: credential.revokedAt,
        revoked_by: credential.revokedBy,
      })
      .where('id', '=', credential.id)
      .execute();
  }
}

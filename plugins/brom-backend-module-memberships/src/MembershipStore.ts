import { DatabaseService } from '@backstage/backend-plugin-api';
import { OrgExport, SignInMemberships } from '@internal/plugin-brom-common';
import { Kysely } from 'kysely';
import {
  BetterSQLite3ColdDialect,
  KyselyKnexDialect,
  PGColdDialect,
} from 'kysely-knex';
import { MembershipTables } from './tables';

/**
 * The users who signed in and their group memberships. A sign-in replaces what the
 * previous one recorded. These tables are the brom plugin's (its migrations create them),
 * but only this store reads or writes them; the writes leave BROM's state version alone:
 * memberships are not part of the broker's desired state or the authz snapshot, and
 * sign-ins must not wake the reconciler or the sidecars.
 */
export class MembershipStore {
  readonly #db: Kysely<MembershipTables>;
  readonly #clock: () => Date;

  private constructor(db: Kysely<MembershipTables>, clock: () => Date) {
    this.#db = db;
    this.#clock = clock;
  }

  static async create(options: {
    database: DatabaseService;
    clock?: () => Date;
  }): Promise<MembershipStore> {
    const knex = await options.database.getClient();
    const client = String(knex.client.config.client);
    const db = new Kysely<MembershipTables>({
      dialect: new KyselyKnexDialect({
        knex,
        kyselySubDialect:
          client === 'pg' || client === 'postgresql'
            ? new PGColdDialect()
            : new BetterSQLite3ColdDialect(),
      }),
    });
    return new MembershipStore(db, options.clock ?? (() => new Date()));
  }

  /** Creates the user at the first sign-in, and replaces their memberships every time. */
  async replaceMemberships(
    userEntityRef: string,
    memberships: SignInMemberships,
  ): Promise<void> {
    const signedInAt = this.#clock().toISOString();
    const groups = new Map(
      memberships.groups.map(group => [group.ref, group.displayName]),
    );
    const user = {
      display_name: memberships.displayName,
      email: memberships.email ?? null,
      last_sign_in_at: signedInAt,
    };
    await this.#db.transaction().execute(async tx => {
      await tx
        .insertInto('brom_users')
        .values({ entity_ref: userEntityRef, ...user })
        .onConflict(oc => oc.column('entity_ref').doUpdateSet(user))
        .execute();
      await tx
        .deleteFrom('brom_group_memberships')
        .where('user_entity_ref', '=', userEntityRef)
        .execute();
      if (groups.size > 0) {
        await tx
          .insertInto('brom_group_memberships')
          .values(
            [...groups].map(([ref, displayName]) => ({
              user_entity_ref: userEntityRef,
              group_ref: ref,
              group_display_name: displayName,
            })),
          )
          .execute();
      }
    });
  }

  /**
   * Every user and every group with at least one member. A group's display name is the
   * one its most recently signed-in member saw, so a rename in Feide shows up as soon as
   * any member signs in.
   */
  async orgExport(): Promise<OrgExport> {
    const { users, memberships } = await this.#db
      .transaction()
      .execute(async tx => ({
        users: await tx
          .selectFrom('brom_users')
          .selectAll()
          .orderBy('entity_ref')
          .execute(),
        memberships: await tx
          .selectFrom('brom_group_memberships as m')
          .innerJoin('brom_users as u', 'u.entity_ref', 'm.user_entity_ref')
          .select(['m.user_entity_ref', 'm.group_ref', 'm.group_display_name'])
          .orderBy('u.last_sign_in_at')
          .orderBy('m.user_entity_ref')
          .execute(),
      }));

    const memberOf = new Map<string, string[]>();
    const groupNames = new Map<string, string>();
    for (const row of memberships) {
      memberOf.set(row.user_entity_ref, [
        ...(memberOf.get(row.user_entity_ref) ?? []),
        row.group_ref,
      ]);
      groupNames.set(row.group_ref, row.group_display_name);
    }
    return {
      users: users.map(row => ({
        entityRef: row.entity_ref,
        displayName: row.display_name,
        ...(row.email ? { email: row.email } : {}),
        memberOf: (memberOf.get(row.entity_ref) ?? []).sort(),
      })),
      groups: [...groupNames.entries()]
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([entityRef, displayName]) => ({ entityRef, displayName })),
    };
  }
}

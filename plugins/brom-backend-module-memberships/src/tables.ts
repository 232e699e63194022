/**
 * Kysely's view of the tables that the brom plugin's migration
 * `20261121120000_memberships.js` creates. A type rather than an interface, as Kysely wants
 * an indexable record.
 */
export type MembershipTables = {
  brom_users: UserRow;
  brom_group_memberships: GroupMembershipRow;
};

export type UserRow = {
  entity_ref: string;
  display_name: string;
  email: string | null;
  last_sign_in_at: string;
};

export type GroupMembershipRow = {
  user_entity_ref: string;
  group_ref: string;
  group_display_name: string;
};

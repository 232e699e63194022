// @ts-check

/**
 * Users and the group memberships Feide reported at their latest sign-in. BROM publishes
 * them to the catalog; a sign-in replaces the user's memberships, so leaving a group takes
 * effect at the next one.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.createTable('brom_users', table => {
    table.comment('Users who have signed in; created at the first sign-in');
    table.string('entity_ref', 255).primary();
    table.string('display_name', 255).notNullable();
    table.string('email', 255).nullable();
    table.string('last_sign_in_at', 32).notNullable();
  });

  await knex.schema.createTable('brom_group_memberships', table => {
    table.comment('Groups each user was a member of at their latest sign-in');
    table
      .string('user_entity_ref', 255)
      .notNullable()
      .references('entity_ref')
      .inTable('brom_users')
      .onDelete('CASCADE');
    table.string('group_ref', 255).notNullable().index();
    table.string('group_display_name', 255).notNullable();
    table.primary(['user_entity_ref', 'group_ref']);
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.dropTable('brom_group_memberships');
  await knex.schema.dropTable('brom_users');
};

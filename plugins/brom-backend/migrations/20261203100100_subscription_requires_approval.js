// @ts-check

/**
 * A subscription request keeps the approval rule it was made under, so switching the
 * type's rule cannot open a pending request to its own requester.
 *
 * Backfill: a request that needed no approval was approved on the spot with no decider;
 * every other row was made under the rule.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.alterTable('brom_subscriptions', table => {
    table.boolean('requires_approval').notNullable().defaultTo(true);
  });
  await knex('brom_subscriptions')
    .where({ state: 'approved' })
    .whereNull('decided_by')
    .update({ requires_approval: false });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.alterTable('brom_subscriptions', table => {
    table.dropColumn('requires_approval');
  });
};

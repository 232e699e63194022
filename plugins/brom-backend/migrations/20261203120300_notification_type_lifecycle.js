// @ts-check

/**
 * Deprecation of notification types: when, by whom, the sunset date at which the remaining
 * subscriptions end, and the successor (a type of the same producer, by name).
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.alterTable('brom_notification_types', table => {
    table.string('deprecated_at', 32).nullable();
    table.string('deprecated_by', 255).nullable();
    table.string('sunset_at', 32).nullable();
    table.string('successor', 63).nullable();
    table.index(['sunset_at'], 'brom_notification_types_sunset_at_idx');
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.alterTable('brom_notification_types', table => {
    table.dropIndex(['sunset_at'], 'brom_notification_types_sunset_at_idx');
    table.dropColumn('deprecated_at');
    table.dropColumn('deprecated_by');
    table.dropColumn('sunset_at');
    table.dropColumn('successor');
  });
};

// @ts-check

/**
 * What the portal has told people about outside the domain events (credential expiry, broker
 * status, queue deletions waiting for confirmation): one row per notice already sent, so a
 * scheduled check on any replica, after any restart, sends each notice once.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.createTable('brom_notification_records', table => {
    table.comment('Notices already sent to people, by key (e.g. credential-expiry:<id>:3)');
    table.string('key', 200).primary();
    table.string('application_id', 36).notNullable();
    table.text('detail').nullable();
    table.string('recorded_at', 32).notNullable();
    table.index(['application_id'], 'brom_notification_records_application_idx');
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.dropTable('brom_notification_records');
};

// @ts-check

/**
 * Indexes for what the lists and the status query filter and sort on, so that a page read by
 * key (decision 0023) is an index range scan and the status query does not scan
 * `brom_sync_status` for the vhost's row.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.alterTable('brom_sync_status', table => {
    table.index(['kind'], 'brom_sync_status_kind_idx');
  });
  await knex.schema.alterTable('brom_subscriptions', table => {
    // The approvals inbox (state = requested) and the default order, most recently changed first.
    table.index(['state', 'updated_at', 'id'], 'brom_subscriptions_state_updated_idx');
    table.index(['updated_at', 'id'], 'brom_subscriptions_updated_idx');
  });
  await knex.schema.alterTable('brom_applications', table => {
    table.index(['title', 'name'], 'brom_applications_title_idx');
  });
  await knex.schema.alterTable('brom_notification_types', table => {
    table.index(['name'], 'brom_notification_types_name_idx');
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.alterTable('brom_notification_types', table => {
    table.dropIndex(['name'], 'brom_notification_types_name_idx');
  });
  await knex.schema.alterTable('brom_applications', table => {
    table.dropIndex(['title', 'name'], 'brom_applications_title_idx');
  });
  await knex.schema.alterTable('brom_subscriptions', table => {
    table.dropIndex(['updated_at', 'id'], 'brom_subscriptions_updated_idx');
    table.dropIndex(['state', 'updated_at', 'id'], 'brom_subscriptions_state_updated_idx');
  });
  await knex.schema.alterTable('brom_sync_status', table => {
    table.dropIndex(['kind'], 'brom_sync_status_kind_idx');
  });
};

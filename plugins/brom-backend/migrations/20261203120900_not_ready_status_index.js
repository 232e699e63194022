// @ts-check

/**
 * The scheduled broker-status check (notifications, every minute) reads only the objects that
 * are not ready: a partial index holds just those, so the check costs what is wrong, not the
 * 20,000 status rows of a large store.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.alterTable('brom_sync_status', table => {
    table.index(['application_id'], 'brom_sync_status_not_ready_idx', {
      predicate: knex.whereRaw("status <> 'True'"),
    });
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.alterTable('brom_sync_status', table => {
    table.dropIndex(['application_id'], 'brom_sync_status_not_ready_idx');
  });
};

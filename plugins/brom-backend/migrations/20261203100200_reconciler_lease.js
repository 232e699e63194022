// @ts-check

/**
 * The reconciler's lease: one row naming the replica that reconciles and until when. The
 * holder renews it; another replica takes it once it has expired, so a leader that is
 * alive to PostgreSQL but does no work (frozen, partitioned) loses it.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.createTable('brom_reconciler_lease', table => {
    table.comment('Which backend replica runs the reconciler, until when (database time)');
    table.string('name', 64).primary();
    table.string('holder', 100).notNullable();
    table.timestamp('expires_at', { useTz: true }).notNullable();
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.dropTable('brom_reconciler_lease');
};

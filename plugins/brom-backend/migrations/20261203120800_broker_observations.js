// @ts-check

/**
 * What full passes see on the broker beyond the objects BROM manages:
 *
 * - `brom_broker_observation`: when the last full observation of the vhost started, so the
 *   status can say how old "InSync" is (and verify it when it is old);
 * - `brom_unmanaged_objects`: objects in the managed vhost that BROM neither created nor
 *   adopted (left alone, but reported), with the applications whose exchange or queue
 *   they touch.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.createTable('brom_broker_observation', table => {
    table.comment('When the reconciler last observed the whole vhost');
    table.string('vhost', 255).primary();
    table.string('observed_at', 32).notNullable();
  });
  await knex.schema.createTable('brom_unmanaged_objects', table => {
    table.comment(
      'Objects in the managed vhost that BROM did not create or adopt, as the last full pass saw them',
    );
    table.string('key', 600).primary();
    table.string('kind', 32).notNullable();
    table.string('name', 512).notNullable();
    table.string('source_application_id', 36).nullable().index();
    table.string('destination_application_id', 36).nullable().index();
    table.string('first_seen_at', 32).notNullable();
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.dropTable('brom_unmanaged_objects');
  await knex.schema.dropTable('brom_broker_observation');
};

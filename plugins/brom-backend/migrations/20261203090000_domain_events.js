// @ts-check

/**
 * The domain-event outbox: each state change appends its events in the transaction that
 * makes it; subscribers read them after commit, each from a cursor of its own.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.createTable('brom_domain_events', table => {
    table.comment('Domain events in commit order; writers are serialised by brom_state_version');
    table.bigIncrements('sequence').primary();
    table.string('type', 64).notNullable();
    table.string('aggregate_kind', 32).notNullable();
    table.string('aggregate_id', 36).notNullable();
    table.text('payload').notNullable();
    table.string('recorded_at', 32).notNullable();
  });

  await knex.schema.createTable('brom_domain_event_cursors', table => {
    table.comment('How far each subscriber has handled the outbox, and its retry backoff');
    table.string('subscriber', 100).primary();
    table.bigInteger('position').notNullable();
    table.integer('attempts').notNullable();
    table.string('next_attempt_at', 32).nullable();
    table.text('last_error').nullable();
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.dropTable('brom_domain_event_cursors');
  await knex.schema.dropTable('brom_domain_events');
};

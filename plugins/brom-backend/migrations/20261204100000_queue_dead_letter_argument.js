// @ts-check

/**
 * Whether an application's consumer queue names its dead-letter exchange in a queue argument
 * (`x-dead-letter-exchange`) instead of in a policy of its own (decision 0028). Every
 * application registered before this migration keeps its policy (false): its queue may already
 * exist without the argument, and RabbitMQ refuses to redeclare a queue with other arguments.
 * The portal registers new applications with true; the column's default stays false so that a
 * replica still running the previous version, which declares queues without the argument,
 * registers applications its own reconciler handles.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.alterTable('brom_applications', table => {
    table.boolean('queue_dead_letter_argument').notNullable().defaultTo(false);
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.alterTable('brom_applications', table => {
    table.dropColumn('queue_dead_letter_argument');
  });
};

// @ts-check

/**
 * External producers: applications whose notifications come from another RabbitMQ
 * through a shovel. One row per such application; the upstream password is stored
 * encrypted (AES-256-GCM, key from brom.externalProducers.encryptionKey), never in clear.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.createTable('brom_external_producers', table => {
    table
      .string('application_id', 36)
      .primary()
      .references('id')
      .inTable('brom_applications')
      .onDelete('CASCADE');
    table.string('upstream_uri', 1000).notNullable();
    table.string('upstream_exchange', 255).nullable();
    table.string('upstream_routing_key', 255).nullable();
    table.string('upstream_queue', 255).nullable();
    table.string('username', 255).notNullable();
    /** `v1.<iv>.<tag>.<ciphertext>`, base64url each; the application id is the associated data. */
    table.text('password_encrypted').notNullable();
    table.string('created_at').notNullable();
    table.string('updated_at').notNullable();
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.dropTable('brom_external_producers');
};

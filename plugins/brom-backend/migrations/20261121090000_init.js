// @ts-check

/**
 * BROM's desired state. Times are ISO-8601 UTC strings so that the schema is the same on
 * PostgreSQL and SQLite and sorts lexicographically.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.createTable('brom_state_version', table => {
    table.comment('One row; incremented inside every write transaction');
    table.integer('id').primary();
    table.bigInteger('version').notNullable();
    table.comment(
      'epoch identifies this database: versions of a restored or rebuilt one count afresh',
    );
    table.string('epoch', 64).notNullable();
  });
  await knex('brom_state_version').insert({
    id: 1,
    version: 0,
    epoch: require('node:crypto').randomUUID(),
  });

  await knex.schema.createTable('brom_applications', table => {
    table.string('id', 36).primary();
    table.string('name', 63).notNullable().unique();
    table.string('title', 200).notNullable();
    table.text('description').notNullable();
    table.string('owner', 255).notNullable().index();
    table.string('entity_ref', 255).nullable();
    table.integer('message_ttl_ms').nullable();
    table.integer('max_length').nullable();
    table.integer('generation').notNullable();
    table.string('created_at', 32).notNullable();
    table.string('created_by', 255).notNullable();
    table.string('updated_at', 32).notNullable();
    table.string('deleted_at', 32).nullable();
    table.string('deleted_by', 255).nullable();
    table.string('queue_deletion_confirmed_at', 32).nullable();
    table.string('queue_deletion_confirmed_by', 255).nullable();
  });

  await knex.schema.createTable('brom_notification_types', table => {
    table.string('id', 36).primary();
    table
      .string('application_id', 36)
      .notNullable()
      .references('id')
      .inTable('brom_applications')
      .onDelete('CASCADE');
    table.string('name', 63).notNullable();
    table.string('routing_key_pattern', 255).notNullable();
    table.text('description').notNullable();
    table.text('payload_schema').nullable();
    table.string('visibility', 16).notNullable();
    table.boolean('requires_approval').notNullable();
    table.integer('generation').notNullable();
    table.string('created_at', 32).notNullable();
    table.string('updated_at', 32).notNullable();
    table.string('deleted_at', 32).nullable();
    table.string('deleted_by', 255).nullable();
    table.unique(['application_id', 'name']);
  });

  await knex.schema.createTable('brom_subscriptions', table => {
    table.string('id', 36).primary();
    table
      .string('consumer_application_id', 36)
      .notNullable()
      .references('id')
      .inTable('brom_applications')
      .onDelete('CASCADE');
    table
      .string('notification_type_id', 36)
      .notNullable()
      .references('id')
      .inTable('brom_notification_types')
      .onDelete('CASCADE');
    table.string('state', 16).notNullable();
    table.text('justification').notNullable();
    table.string('requested_by', 255).notNullable();
    table.string('requested_at', 32).notNullable();
    table.string('decided_by', 255).nullable();
    table.string('decided_at', 32).nullable();
    table.text('reason').nullable();
    table.integer('generation').notNullable();
    table.string('updated_at', 32).notNullable();
    table.unique(['consumer_application_id', 'notification_type_id']);
    table.index(['notification_type_id', 'state']);
  });

  await knex.schema.createTable('brom_credentials', table => {
    table.string('id', 36).primary();
    table
      .string('application_id', 36)
      .notNullable()
      .references('id')
      .inTable('brom_applications')
      .onDelete('CASCADE');
    table.string('username', 128).notNullable().unique();
    table.string('salt', 64).notNullable();
    table.string('hash', 64).notNullable();
    table.string('created_at', 32).notNullable();
    table.string('created_by', 255).notNullable();
    table.string('expires_at', 32).nullable();
    table.string('revoked_at', 32).nullable();
    table.string('revoked_by', 255).nullable();
    table.index(['application_id']);
  });

  await knex.schema.createTable('brom_audit_events', table => {
    table.increments('id');
    table.string('at', 32).notNullable().index();
    table.string('actor', 255).notNullable().index();
    table.string('action', 64).notNullable();
    table.string('target_kind', 32).notNullable();
    table.string('target_id', 36).notNullable();
    table.string('application', 63).notNullable().index();
    table.text('before').nullable();
    table.text('after').nullable();
  });

  await knex.schema.createTable('brom_sync_status', table => {
    table.comment(
      'Broker objects the reconciler created or adopted: this record, not the name, makes an object managed',
    );
    table.string('key', 600).primary();
    table.string('kind', 16).notNullable();
    table.string('name', 512).notNullable();
    table.string('application_id', 36).nullable().index();
    table.string('subscription_id', 36).nullable().index();
    table.boolean('managed').notNullable();
    table.integer('desired_generation').notNullable();
    table.integer('observed_generation').notNullable();
    table.string('status', 8).notNullable();
    table.string('reason', 64).notNullable();
    table.text('message').notNullable();
    table.string('last_transition_time', 32).notNullable();
    table.integer('attempts').notNullable();
    table.string('last_attempt_at', 32).nullable();
    table.string('next_attempt_at', 32).nullable();
  });

  await knex.schema.createTable('brom_sidecar_feed', table => {
    table.comment('Which snapshot version each sidecar instance last took');
    table.string('instance', 255).primary();
    table.bigInteger('version').notNullable();
    table.string('seen_at', 32).notNullable();
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.dropTable('brom_sidecar_feed');
  await knex.schema.dropTable('brom_sync_status');
  await knex.schema.dropTable('brom_audit_events');
  await knex.schema.dropTable('brom_credentials');
  await knex.schema.dropTable('brom_subscriptions');
  await knex.schema.dropTable('brom_notification_types');
  await knex.schema.dropTable('brom_applications');
  await knex.schema.dropTable('brom_state_version');
};

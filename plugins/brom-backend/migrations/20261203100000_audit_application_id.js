// @ts-check

/**
 * Audit rows belong to an application's identity, not its name: a name registered again
 * after a deletion starts a history of its own.
 *
 * Backfill: an application's own rows name it in target_id; any other row belongs to the
 * incarnation whose `application.created` row precedes it under that name, or, without
 * one, to the application that holds the name now. Rows matching neither stay NULL
 * (readable by administrators only).
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.alterTable('brom_audit_events', table => {
    table.string('application_id', 36).nullable().index();
  });
  await knex.raw(`
    UPDATE brom_audit_events
    SET application_id = CASE
      WHEN target_kind = 'application' THEN target_id
      ELSE (
        SELECT c.target_id FROM brom_audit_events c
        WHERE c.application = brom_audit_events.application
          AND c.action = 'application.created'
          AND c.id <= brom_audit_events.id
        ORDER BY c.id DESC
        LIMIT 1
      )
    END
  `);
  await knex.raw(`
    UPDATE brom_audit_events
    SET application_id = (
      SELECT a.id FROM brom_applications a WHERE a.name = brom_audit_events.application
    )
    WHERE application_id IS NULL
  `);
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.alterTable('brom_audit_events', table => {
    table.dropIndex(['application_id']);
    table.dropColumn('application_id');
  });
};

import { TestDatabaseId } from '@backstage/backend-test-utils';
import { Knex } from 'knex';
import path from 'node:path';
import { createTestDatabases } from '../__testUtils__/backend';

const databases = createTestDatabases();
const directory = path.resolve(__dirname, '../../migrations');

/** Brings a fresh database to the schema of the given migration, that one included. */
async function migrateTo(knex: Knex, name: string) {
  for (;;) {
    const [, pending] = await knex.migrate.list({ directory });
    if (pending.length === 0 || pending[0].file > name) return;
    await knex.migrate.up({ directory });
  }
}

const AT = '2026-12-01T00:00:00.000Z';

const application = (id: string, name: string) => ({
  id,
  name,
  title: name,
  description: '',
  owner: 'group:default/team-a',
  entity_ref: null,
  message_ttl_ms: null,
  max_length: null,
  generation: 1,
  created_at: AT,
  created_by: 'user:default/alice',
  updated_at: AT,
  deleted_at: null,
  deleted_by: null,
  queue_deletion_confirmed_at: null,
  queue_deletion_confirmed_by: null,
});

const audit = (name: string, action: string, targetId: string) => ({
  at: AT,
  actor: 'user:default/alice',
  action,
  target_kind: action.startsWith('application.') ? 'application' : 'notificationType',
  target_id: targetId,
  application: name,
  before: null,
  after: null,
});

describe.each(databases.eachSupportedId())(
  'migrations on %s',
  (databaseId: TestDatabaseId) => {
    it('files existing audit rows under the application they belonged to', async () => {
      const knex = await databases.init(databaseId);
      await migrateTo(knex, '20261203090000_domain_events.js');
      await knex('brom_applications').insert([
        application('x-2', 'x'),
        application('seeded-1', 'seeded'),
      ]);
      // "x" was registered, deleted and finalized, then registered again.
      const rows = [
        audit('x', 'application.created', 'x-1'),
        audit('x', 'notification-type.created', 'type-1'),
        audit('x', 'application.finalized', 'x-1'),
        audit('x', 'application.created', 'x-2'),
        audit('x', 'notification-type.created', 'type-2'),
        // Seeded without an application.created row of its own.
        audit('seeded', 'notification-type.created', 'type-3'),
        // Nothing says which application this was.
        audit('ghost', 'notification-type.created', 'type-4'),
      ];
      for (const row of rows) await knex('brom_audit_events').insert(row);

      await knex.migrate.latest({ directory });

      const filed = await knex('brom_audit_events')
        .select('application', 'target_id', 'application_id')
        .orderBy('id');
      expect(filed).toEqual([
        { application: 'x', target_id: 'x-1', application_id: 'x-1' },
        { application: 'x', target_id: 'type-1', application_id: 'x-1' },
        { application: 'x', target_id: 'x-1', application_id: 'x-1' },
        { application: 'x', target_id: 'x-2', application_id: 'x-2' },
        { application: 'x', target_id: 'type-2', application_id: 'x-2' },
        { application: 'seeded', target_id: 'type-3', application_id: 'seeded-1' },
        { application: 'ghost', target_id: 'type-4', application_id: null },
      ]);
    });

    it('keeps the applications registered before decision 0028 on their dead-lettering policy', async () => {
      const knex = await databases.init(databaseId);
      await migrateTo(knex, '20261203120900_not_ready_status_index.js');
      // Its queue may exist without the argument: RabbitMQ would refuse to redeclare it.
      await knex('brom_applications').insert(application('old-1', 'old'));
      await knex.migrate.latest({ directory });
      const [row] = await knex('brom_applications').where('id', 'old-1');
      expect(Boolean(row.queue_dead_letter_argument)).toBe(false);
      // A replica of the previous version registers without the column: the same.
      await knex('brom_applications').insert(application('older-1', 'older'));
      const [older] = await knex('brom_applications').where('id', 'older-1');
      expect(Boolean(older.queue_dead_letter_argument)).toBe(false);
    });

    it('keeps with each subscription whether it was requested under approval', async () => {
      const knex = await databases.init(databaseId);
      await migrateTo(knex, '20261203090000_domain_events.js');
      await knex('brom_applications').insert(application('app-1', 'app'));
      await knex('brom_notification_types').insert({
        id: 'type-1',
        application_id: 'app-1',
        name: 'created',
        routing_key_pattern: 'created.*',
        description: '',
        payload_schema: null,
        visibility: 'public',
        // Switched off since: pending requests were still made under approval.
        requires_approval: false,
        generation: 2,
        created_at: AT,
        updated_at: AT,
        deleted_at: null,
        deleted_by: null,
      });
      const subscription = (id: string, state: string, decidedBy: string | null) => ({
        id,
        consumer_application_id: 'app-1',
        notification_type_id: 'type-1',
        state,
        justification: 'why',
        requested_by: 'user:default/alice',
        requested_at: AT,
        decided_by: decidedBy,
        decided_at: state === 'requested' ? null : AT,
        reason: null,
        generation: 1,
        updated_at: AT,
      });
      // One subscription per consumer and type: the consumer is the same, so a type each.
      await knex('brom_subscriptions').insert(subscription('pending', 'requested', null));
      await knex('brom_notification_types').insert([
        { ...(await knex('brom_notification_types').first()), id: 'type-2', name: 'b' },
        { ...(await knex('brom_notification_types').first()), id: 'type-3', name: 'c' },
      ]);
      await knex('brom_subscriptions').insert([
        { ...subscription('automatic', 'approved', null), notification_type_id: 'type-2' },
        {
          ...subscription('decided', 'approved', 'user:default/carol'),
          notification_type_id: 'type-3',
        },
      ]);

      await knex.migrate.latest({ directory });

      const rules = await knex('brom_subscriptions')
        .select('id', 'requires_approval')
        .orderBy('id');
      expect(rules.map(r => [r.id, Boolean(r.requires_approval)])).toEqual([
        ['automatic', false],
        ['decided', true],
        ['pending', true],
      ]);
    });
  },
);

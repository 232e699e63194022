// The client's `expect` option asserts the status; the test backend checks every request and
// response against openapi.yaml.
/* eslint jest/expect-expect: ["warn", { "assertFunctionNames": ["expect", "brom.api.*"] }] */
import { TestDatabaseId } from '@backstage/backend-test-utils';
import { randomBytes } from 'node:crypto';
import {
  ALICE,
  BOB,
  TEAM_A,
  createTestDatabases,
  dumpAllBromTables,
  useBromTestBackend,
} from '../__testUtils__/backend';
import { uniqueName } from '../__testUtils__/client';
import { SecretBox } from './secretBox';

const databases = createTestDatabases();
const KEY = randomBytes(32).toString('base64');

const upstream = (password?: string) => ({
  upstreamUri: 'amqps://broker.other.example:5671/partners',
  upstreamExchange: 'outbox',
  username: 'brom-shovel',
  ...(password === undefined ? {} : { password }),
});

describe.each(databases.eachSupportedId())(
  'external producers on %s',
  (databaseId: TestDatabaseId) => {
    const brom = useBromTestBackend(databases, databaseId, {
      brom: { externalProducers: { enabled: true, encryptionKey: KEY } },
    });

    async function register(password: string) {
      const res = await brom.api.post(ALICE, '/applications', {
        body: { name: uniqueName('ext'), owner: TEAM_A, externalProducer: upstream(password) },
        expect: 201,
      });
      return res.body;
    }

    async function everythingReadable(name: string) {
      const responses = await Promise.all([
        brom.api.get(ALICE, '/applications/{name}', { params: { name }, expect: 200 }),
        brom.api.get(ALICE, '/applications', { query: { q: name }, expect: 200 }),
        brom.api.get(ALICE, '/audit-events', { query: { application: name, limit: 500 }, expect: 200 }),
        brom.api.get(ALICE, '/applications/{name}/status', { params: { name }, expect: 200 }),
      ]);
      return JSON.stringify(responses.map(r => r.body));
    }

    it('registers one, shows its upstream but never the password, and stores the password sealed', async () => {
      const password = `pw-${randomBytes(9).toString('hex')}`;
      const app = await register(password);
      expect(app.externalProducer).toEqual({
        upstreamUri: 'amqps://broker.other.example:5671/partners',
        upstreamExchange: 'outbox',
        upstreamRoutingKey: '#',
        upstreamQueue: null,
        username: 'brom-shovel',
      });

      expect(await everythingReadable(app.name)).not.toContain(password);
      // Nowhere in the database in clear: not the row, the audit or the domain events.
      expect(await dumpAllBromTables(brom.backend.knex)).not.toContain(password);
      const [row] = await brom.backend
        .knex('brom_external_producers')
        .where('application_id', app.id);
      expect(SecretBox.fromBase64(KEY).open(row.password_encrypted, app.id)).toBe(password);
    });

    it('keeps the stored password unless a new one is given, and stops being external on null', async () => {
      const app = await register('first-password');
      const sealed = async () =>
        (await brom.backend.knex('brom_external_producers').where('application_id', app.id))[0]
          ?.password_encrypted;
      const first = await sealed();

      const moved = await brom.api.patch(ALICE, '/applications/{name}', {
        params: { name: app.name },
        body: {
          generation: app.generation,
          externalProducer: { ...upstream(), upstreamExchange: null, upstreamQueue: 'outbox-q' },
        },
        expect: 200,
      });
      expect(moved.body.externalProducer).toMatchObject({
        upstreamExchange: null,
        upstreamRoutingKey: null,
        upstreamQueue: 'outbox-q',
      });
      expect(await sealed()).toBe(first);

      const rotated = await brom.api.patch(ALICE, '/applications/{name}', {
        params: { name: app.name },
        body: { generation: moved.body.generation, externalProducer: upstream('second-password') },
        expect: 200,
      });
      expect(SecretBox.fromBase64(KEY).open(await sealed(), app.id)).toBe('second-password');

      const internal = await brom.api.patch(ALICE, '/applications/{name}', {
        params: { name: app.name },
        body: { generation: rotated.body.generation, externalProducer: null },
        expect: 200,
      });
      expect(internal.body.externalProducer).toBeNull();
      expect(await sealed()).toBeUndefined();
      const audit = await brom.backend.knex('brom_audit_events').where('target_id', app.id);
      expect(JSON.stringify(audit)).not.toMatch(/first-password|second-password/);
    });

    it('refuses what would not make a working shovel, with a message', async () => {
      const bad = async (externalProducer: Record<string, unknown>, message: RegExp) => {
        const res = await brom.api.post(ALICE, '/applications', {
          body: { name: uniqueName('ext'), owner: TEAM_A, externalProducer },
          expect: 400,
        });
        expect(JSON.stringify(res.body)).toMatch(message);
      };
      await bad({ ...upstream('pw'), upstreamUri: 'http://broker.example' }, /amqp:\/\/ or amqps:\/\//);
      await bad(
        { ...upstream('pw'), upstreamUri: 'amqps://u:p@broker.example/v' },
        /must not contain credentials/,
      );
      await bad({ ...upstream('pw'), upstreamQueue: 'q' }, /exactly one of upstreamExchange and upstreamQueue/);
      await bad(upstream(), /password.*is required|is required/);
    });

    it('lets only the owners change it', async () => {
      const app = await register('pw');
      await brom.api.patch(BOB, '/applications/{name}', {
        params: { name: app.name },
        body: { generation: app.generation, externalProducer: null },
        expect: 403,
      });
    });
  },
);

describe.each(databases.eachSupportedId())(
  'external producers when not enabled, on %s',
  (databaseId: TestDatabaseId) => {
    const brom = useBromTestBackend(databases, databaseId);

    it('refuses to register one', async () => {
      const res = await brom.api.post(ALICE, '/applications', {
        body: { name: uniqueName('ext'), owner: TEAM_A, externalProducer: upstream('pw') },
        expect: 400,
      });
      expect(res.body.error.message).toMatch(/not enabled/);
      expect(await dumpAllBromTables(brom.backend.knex)).not.toContain('broker.other.example');
    });
  },
);

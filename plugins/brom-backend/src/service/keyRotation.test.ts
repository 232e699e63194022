import { TestDatabaseId } from '@backstage/backend-test-utils';
import { randomBytes } from 'node:crypto';
import { Knex } from 'knex';
import {
  ALICE,
  TEAM_A,
  createTestDatabases,
  startBromTestBackend,
} from '../__testUtils__/backend';
import { BromTestClient, uniqueName } from '../__testUtils__/client';
import { sealLegacyV1 } from '../__testUtils__/legacySeal';
import { SecretBox } from './secretBox';

/*
 * Rotating brom.externalProducers.encryptionKey as docs/operations.md describes it, through
 * backend restarts on one database: the new key current, the old one previous; every start
 * re-seals what the old key sealed; then the old key goes. Removed too early, the backend
 * refuses to start and leaves the stored passwords as they were.
 */

const databases = createTestDatabases();
const newKey = () => randomBytes(32).toString('base64');

describe.each(databases.eachSupportedId())(
  'rotating the external-producer key on %s',
  (databaseId: TestDatabaseId) => {
    let knex: Knex;

    beforeAll(async () => {
      knex = await databases.init(databaseId);
    });

    async function withBackend<T>(
      keys: { encryptionKey: string; previousEncryptionKeys?: string[] },
      fn: (api: BromTestClient) => Promise<T>,
    ): Promise<T> {
      const backend = await startBromTestBackend(knex, {
        brom: { externalProducers: { enabled: true, ...keys } },
      });
      try {
        return await fn(new BromTestClient(backend.server));
      } finally {
        await backend.stop();
      }
    }

    async function register(api: BromTestClient, password: string) {
      const res = await api.post(ALICE, '/applications', {
        body: {
          name: uniqueName('ext'),
          owner: TEAM_A,
          externalProducer: {
            upstreamUri: 'amqps://broker.other.example:5671/partners',
            upstreamExchange: 'outbox',
            username: 'brom-shovel',
            password,
          },
        },
        expect: 201,
      });
      return res.body as { id: string; name: string };
    }

    const stored = async () =>
      new Map<string, string>(
        (await knex('brom_external_producers').select()).map(row => [
          row.application_id,
          row.password_encrypted,
        ]),
      );

    it('rotates: old values open, a start re-seals them all, then the old key can go', async () => {
      const oldKey = newKey();
      const freshKey = newKey();
      const oldId = SecretBox.fromBase64(oldKey).currentKeyId;
      const freshId = SecretBox.fromBase64(freshKey).currentKeyId;

      const passwords = new Map<string, string>();
      await withBackend({ encryptionKey: oldKey }, async api => {
        for (let i = 0; i < 3; i++) {
          const password = `pw-${randomBytes(6).toString('hex')}`;
          passwords.set((await register(api, password)).id, password);
        }
      });
      // One row as a release before key ids sealed it.
      const [legacyId] = passwords.keys();
      await knex('brom_external_producers')
        .where('application_id', legacyId)
        .update({
          password_encrypted: sealLegacyV1(
            oldKey,
            passwords.get(legacyId)!,
            legacyId,
          ),
        });
      const before = await stored();
      expect([...before.values()].map(SecretBox.sealedWith)).toEqual([
        ...[...before.keys()].map(id => (id === legacyId ? undefined : oldId)),
      ]);

      // The new key current, the old one previous: the start re-seals every row.
      await withBackend(
        { encryptionKey: freshKey, previousEncryptionKeys: [oldKey] },
        async api => {
          // And what is written from now on is the new key's.
          const password = 'written-after-rotation';
          passwords.set((await register(api, password)).id, password);
        },
      );
      const after = await stored();
      expect([...after.values()].map(SecretBox.sealedWith)).toEqual(
        [...after.keys()].map(() => freshId),
      );
      const freshOnly = SecretBox.fromBase64(freshKey);
      for (const [id, sealed] of after) {
        expect(freshOnly.open(sealed, id)).toBe(passwords.get(id));
      }

      // Another start changes nothing (nothing is left to re-seal).
      await withBackend(
        { encryptionKey: freshKey, previousEncryptionKeys: [oldKey] },
        async () => {},
      );
      expect(await stored()).toEqual(after);

      // The old key removed: the backend starts, and every password still opens.
      await withBackend({ encryptionKey: freshKey }, async api => {
        const res = await api.get(ALICE, '/applications/{name}', {
          params: { name: (await register(api, 'one-more')).name },
          expect: 200,
        });
        expect(res.body.externalProducer.username).toBe('brom-shovel');
      });
      expect(
        [...(await stored()).values()].every(sealed =>
          freshOnly.isCurrent(sealed),
        ),
      ).toBe(true);
      await knex('brom_external_producers').delete();
    });

    it('refuses to start, naming the missing key, when the old key is removed before re-sealing', async () => {
      const oldKey = newKey();
      const freshKey = newKey();
      const oldId = SecretBox.fromBase64(oldKey).currentKeyId;
      await withBackend({ encryptionKey: oldKey }, async api => {
        await register(api, 'first');
        await register(api, 'second');
      });
      const before = await stored();

      await expect(
        withBackend({ encryptionKey: freshKey }, async () => {}),
      ).rejects.toThrow(
        `2 external producers' upstream passwords do not open with brom.externalProducers.encryptionKey or previousEncryptionKeys (2 sealed with ${oldId})`,
      );
      // Nothing was written: with the old key back as a previous key, everything opens.
      expect(await stored()).toEqual(before);
      await withBackend(
        { encryptionKey: freshKey, previousEncryptionKeys: [oldKey] },
        async () => {},
      );
      const ring = SecretBox.fromBase64(freshKey);
      for (const [id, sealed] of await stored()) {
        expect(ring.isCurrent(sealed)).toBe(true);
        expect(['first', 'second']).toContain(ring.open(sealed, id));
      }
      await knex('brom_external_producers').delete();
    });
  },
);

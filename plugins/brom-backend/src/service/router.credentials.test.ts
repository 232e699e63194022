// The client's `expect` option asserts the status; the test backend checks every request and
// response against openapi.yaml.
/* eslint jest/expect-expect: ["warn", { "assertFunctionNames": ["expect", "brom.api.*"] }] */
import { TestDatabaseId } from '@backstage/backend-test-utils';
import { createHash } from 'node:crypto';
import {
  ALICE,
  CAROL,
  TEAM_A,
  createTestDatabases,
  dumpAllBromTables,
  dumpDomainTables,
  useBromTestBackend,
} from '../__testUtils__/backend';
import { CallOptions, Caller } from '../__testUtils__/client';
import { createApplication } from '../__testUtils__/fixtures';

const databases = createTestDatabases();

/** The sidecars' identity (the default of `brom.authz.sidecarSubjects`). */
const SIDECAR: Caller = { service: 'brom-sidecar' };

function sha256Hex(saltHex: string, secret: string) {
  return createHash('sha256')
    .update(
      Buffer.concat([Buffer.from(saltHex, 'hex'), Buffer.from(secret, 'utf8')]),
    )
    .digest('hex');
}

describe.each(databases.eachSupportedId())(
  'credentials on %s',
  (databaseId: TestDatabaseId) => {
    const brom = useBromTestBackend(databases, databaseId);

    /** The credential routes of one application, called by `who` (Alice unless said). */
    function credentialsOf(name: string, who: string = ALICE) {
      type Options = Pick<CallOptions, 'body' | 'expect'>;
      return {
        issue: (options: Options) =>
          brom.api.post(who, '/applications/{name}/credentials', {
            params: { name },
            ...options,
          }),
        rotate: (options: Options) =>
          brom.api.post(who, '/applications/{name}/credentials/rotate', {
            params: { name },
            ...options,
          }),
        revoke: (id: string, expect: number) =>
          brom.api.post(who, '/applications/{name}/credentials/{id}/revoke', {
            params: { name, id },
            expect,
          }),
        list: () =>
          brom.api.get(who, '/applications/{name}/credentials', {
            params: { name },
            expect: 200,
          }),
      };
    }

    /** Everything a user or another plugin can read about the application, as text. */
    async function everythingReadable(application: string) {
      const responses = await Promise.all([
        credentialsOf(application).list(),
        brom.api.get(ALICE, '/audit-events', {
          query: { application, limit: 500 },
          expect: 200,
        }),
        brom.api.get(ALICE, '/applications/{name}', {
          params: { name: application },
          expect: 200,
        }),
        brom.api.get(ALICE, '/applications', {
          query: { q: application },
          expect: 200,
        }),
        brom.api.get(ALICE, '/applications/{name}/status', {
          params: { name: application },
          expect: 200,
        }),
      ]);
      return responses.map(r => r.text).join('\n');
    }

    it('shows the secret once, stores only a salted hash, and never lists it', async () => {
      const app = await createApplication(brom.api, ALICE, TEAM_A);
      const issued = await credentialsOf(app.name).issue({ expect: 201 });
      expect(issued.headers['cache-control']).toBe('no-store');
      const { credential, secret } = issued.body;
      expect(secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(credential).toMatchObject({
        application: app.name,
        createdBy: ALICE,
        expiresAt: null,
        revokedAt: null,
      });
      expect(credential.username.startsWith(`${app.name}.`)).toBe(true);

      const row = await brom.backend
        .knex('brom_credentials')
        .where('id', credential.id)
        .first();
      expect(row.salt).toMatch(/^[0-9a-f]{32}$/);
      expect(row.hash).toMatch(/^[0-9a-f]{64}$/);
      expect(row.hash).toBe(sha256Hex(row.salt, secret));
      expect(Object.values(row)).not.toContain(secret);

      const listed = await credentialsOf(app.name, CAROL).list();
      expect(listed.body).toEqual({ items: [credential] });

      expect(await everythingReadable(app.name)).not.toContain(secret);
      const audit = await brom.backend
        .knex('brom_audit_events')
        .where('target_id', credential.id);
      expect(audit.map(r => r.action)).toEqual(['credential.created']);
      expect(JSON.stringify(audit)).not.toContain(secret);
      expect(JSON.stringify(audit)).not.toContain(row.hash);
      expect(await dumpAllBromTables(brom.backend.knex)).not.toContain(secret);
    });

    it('rotates with overlap, allows two live credentials at most, and revokes', async () => {
      const app = await createApplication(brom.api, ALICE, TEAM_A);
      const credentials = credentialsOf(app.name);
      const first = await credentials.issue({ body: {}, expect: 201 });

      const rotated = await credentialsOf(app.name, CAROL).rotate({
        body: { overlapSeconds: 600 },
        expect: 201,
      });
      expect(rotated.headers['cache-control']).toBe('no-store');
      const second = rotated.body;
      expect(second.secret).not.toBe(first.body.secret);
      expect(second.credential.username).not.toBe(
        first.body.credential.username,
      );

      const listed = await credentials.list();
      const old = listed.body.items.find(
        (c: any) => c.id === first.body.credential.id,
      );
      expect(old.expiresAt).toBe(
        new Date(
          Date.parse(second.credential.createdAt) + 600_000,
        ).toISOString(),
      );
      expect(old.revokedAt).toBeNull();
      const audit = (
        await brom.backend
          .knex('brom_audit_events')
          .where('application', app.name)
          .orderBy('id')
      ).map(r => r.action);
      expect(audit).toEqual([
        'application.created',
        'credential.created',
        'credential.expiry-shortened',
        'credential.rotated',
      ]);

      // Two live credentials: a third is refused either way, and nothing changes.
      const before = await dumpDomainTables(brom.backend.knex);
      const again = await credentials.rotate({ expect: 409 });
      expect(again.body.error.message).toMatch(/2 live credentials/);
      await credentials.issue({ expect: 409 });
      expect(await dumpDomainTables(brom.backend.knex)).toEqual(before);

      const revoked = await credentials.revoke(first.body.credential.id, 200);
      expect(revoked.body).toMatchObject({
        id: first.body.credential.id,
        revokedBy: ALICE,
      });
      expect(revoked.body.revokedAt).not.toBeNull();
      await credentials.revoke(first.body.credential.id, 409);
      await credentials.revoke('no-such-credential', 404);

      // One live credential again: rotation works and shortens the remaining one.
      const third = await credentials.rotate({
        body: { overlapSeconds: 0 },
        expect: 201,
      });
      const after = await credentials.list();
      expect(
        after.body.items.find((c: any) => c.id === second.credential.id)
          .expiresAt,
      ).toBe(third.body.credential.createdAt);

      const secrets = [first.body.secret, second.secret, third.body.secret];
      const readable = await everythingReadable(app.name);
      for (const secret of secrets) {
        expect(readable).not.toContain(secret);
      }
      const stored = await dumpAllBromTables(brom.backend.knex);
      for (const secret of secrets) {
        expect(stored).not.toContain(secret);
      }
    });

    it('takes an expiry in the future only', async () => {
      const app = await createApplication(brom.api, ALICE, TEAM_A);
      const before = await dumpDomainTables(brom.backend.knex);
      const past = await credentialsOf(app.name).issue({
        body: { expiresAt: '2000-01-01T00:00:00Z' },
        expect: 400,
      });
      expect(past.body.error.message).toMatch(/future/);
      expect(await dumpDomainTables(brom.backend.knex)).toEqual(before);

      const expiresAt = new Date(Date.now() + 86_400_000).toISOString();
      const issued = await credentialsOf(app.name).issue({
        body: { expiresAt },
        expect: 201,
      });
      expect(issued.body.credential.expiresAt).toBe(expiresAt);
    });

    describe('authz snapshot feed', () => {
      it('carries the hash of a live credential, never the secret, and drops it once revoked', async () => {
        const app = await createApplication(brom.api, ALICE, TEAM_A);
        const issued = await credentialsOf(app.name).issue({ expect: 201 });
        const { credential, secret } = issued.body;
        const row = await brom.backend
          .knex('brom_credentials')
          .where('id', credential.id)
          .first();

        const feed = await brom.api.get(SIDECAR, '/authz/snapshot', {
          query: { sidecar: 'test-1' },
          expect: 200,
        });
        expect(feed.text).not.toContain(secret);
        expect(feed.body.credentials).toEqual(
          expect.arrayContaining([
            {
              username: credential.username,
              application: app.name,
              salt: row.salt,
              hash: row.hash,
              expiresAt: null,
            },
          ]),
        );
        const etag = feed.headers.etag;
        expect(etag).toBe(`"${feed.body.version}"`);

        const unchanged = await brom.api.get(SIDECAR, '/authz/snapshot', {
          query: { sidecar: 'test-1', waitSeconds: 0 },
          headers: { 'If-None-Match': etag },
        });
        expect([200, 304]).toContain(unchanged.status);

        await credentialsOf(app.name).revoke(credential.id, 200);
        const changed = await brom.api.get(SIDECAR, '/authz/snapshot', {
          query: { sidecar: 'test-1' },
          headers: { 'If-None-Match': etag },
          expect: 200,
        });
        expect(changed.body.version).toBeGreaterThan(feed.body.version);
        expect(
          changed.body.credentials.map((c: any) => c.username),
        ).not.toContain(credential.username);
      });

      it('answers 304 when nothing changed since the version the sidecar holds', async () => {
        const feed = await brom.api.get(SIDECAR, '/authz/snapshot', {
          query: { sidecar: 'test-2' },
          expect: 200,
        });
        await brom.api.get(SIDECAR, '/authz/snapshot', {
          query: { sidecar: 'test-2', waitSeconds: 0 },
          headers: { 'If-None-Match': feed.headers.etag },
          expect: 304,
        });
      });

      it('gives a restored database a new epoch when a sidecar holds a version it has not reached', async () => {
        const feed = await brom.api.get(SIDECAR, '/authz/snapshot', {
          query: { sidecar: 'restore-1' },
          expect: 200,
        });
        const { epoch, version } = feed.body;
        // A sidecar of another epoch, or of this one at a version reached, changes nothing.
        await brom.api.get(SIDECAR, '/authz/snapshot', {
          query: { sidecar: 'restore-1', waitSeconds: 0, epoch },
          headers: { 'If-None-Match': `"${version}"` },
          expect: 304,
        });
        await brom.api.get(SIDECAR, '/authz/snapshot', {
          query: { sidecar: 'restore-2', waitSeconds: 0, epoch: 'another-database' },
          headers: { 'If-None-Match': `"${version + 50}"` },
          expect: 200,
        });
        expect(
          (await brom.backend.knex('brom_state_version').first()).epoch,
        ).toBe(epoch);

        // As after a restore: the sidecar held version + 50 of this epoch before it.
        const restored = await brom.api.get(SIDECAR, '/authz/snapshot', {
          query: { sidecar: 'restore-1', waitSeconds: 0, epoch },
          headers: { 'If-None-Match': `"${version + 50}"` },
          expect: 200,
        });
        expect(restored.body.epoch).not.toBe(epoch);
        expect(restored.body.version).toBe(version + 1);
        const row = await brom.backend.knex('brom_state_version').first();
        expect(row.epoch).toBe(restored.body.epoch);
        // Once: the next poll holds the new epoch and waits as usual.
        await brom.api.get(SIDECAR, '/authz/snapshot', {
          query: { sidecar: 'restore-1', waitSeconds: 0, epoch: restored.body.epoch },
          headers: { 'If-None-Match': restored.headers.etag },
          expect: 304,
        });
      });

      it('is only for the sidecars', async () => {
        await brom.api.get(ALICE, '/authz/snapshot', {
          query: { sidecar: 'x' },
          expect: 403,
        });
        await brom.api.get(
          { service: 'external:someone-else' },
          '/authz/snapshot',
          {
            query: { sidecar: 'x' },
            expect: 403,
          },
        );
        await brom.api.get('anonymous', '/authz/snapshot', {
          query: { sidecar: 'x' },
          expect: 401,
        });
        await brom.api.get(SIDECAR, '/authz/snapshot', { expect: 400 });
      });
    });
  },
);

// The client's `expect` option asserts the status; the test backend checks every request and
// response against openapi.yaml.
/* eslint jest/expect-expect: ["warn", { "assertFunctionNames": ["expect", "brom.api.*"] }] */
import { TestDatabaseId } from '@backstage/backend-test-utils';
import {
  ADMIN,
  ALICE,
  BOB,
  MALLORY,
  createTestDatabases,
  useBromTestBackend,
} from '../__testUtils__/backend';
import {
  ALICE_PRODUCES_BOB_CONSUMES,
  pendingSubscription,
} from '../__testUtils__/fixtures';

/*
 * The dead-letter routes' refusals, which come before the broker is asked anything: unknown
 * application 404, not an owner 403, a producer-only application 409, malformed requests 400.
 * This backend has no management API, so an allowed request ends in 503 with the reason.
 * What the tools do on a real broker is in test/src/deadletters.
 */

const databases = createTestDatabases();

const ROUTES = [
  ['GET', '/applications/{name}/dead-letters'],
  ['POST', '/applications/{name}/dead-letters/replay'],
  ['DELETE', '/applications/{name}/dead-letters'],
] as const;

describe.each(databases.eachSupportedId())(
  'dead-letter routes on %s',
  (databaseId: TestDatabaseId) => {
    const brom = useBromTestBackend(databases, databaseId);

    async function call(
      who: string,
      route: (typeof ROUTES)[number],
      name: string,
      expect: number,
    ) {
      const [method, path] = route;
      return brom.api.call(who, method, path, {
        params: { name },
        body: method === 'POST' ? {} : undefined,
        expect,
      });
    }

    it('refuses an unknown application (404), a non-owner (403) and a producer (409)', async () => {
      const { producer, consumer } = await pendingSubscription(
        brom.api,
        ALICE_PRODUCES_BOB_CONSUMES,
      );
      for (const route of ROUTES) {
        const unknown = await call(BOB, route, 'no-such-app', 404);
        expect(unknown.body.error.message).toBe(
          'Application "no-such-app" does not exist',
        );
        // Alice owns the producer, not the consumer; Mallory owns neither.
        for (const who of [ALICE, MALLORY]) {
          const refused = await call(who, route, consumer.name, 403);
          expect(refused.body.error.message).toContain(
            'or BROM administrators can do this',
          );
        }
        const producerOnly = await call(ALICE, route, producer.name, 409);
        expect(producerOnly.body.error.message).toBe(
          `"${producer.name}" has no dead-letter queue: it subscribes to nothing (only consumers have queues)`,
        );
        // The owner and an administrator get past the checks; without a management API
        // the broker cannot be asked: 503, with what is missing.
        for (const who of [BOB, ADMIN]) {
          const unavailable = await call(who, route, consumer.name, 503);
          expect(unavailable.body.error.message).toMatch(
            /need the broker management API/,
          );
        }
      }
      // Refused and unanswered requests leave no audit rows.
      const audit = await brom.api.get(ADMIN, '/audit-events', {
        query: { application: consumer.name },
        expect: 200,
      });
      expect(
        audit.body.items.filter((e: { action: string }) =>
          e.action.startsWith('application.dead-letters'),
        ),
      ).toEqual([]);
    });

    it('says what is wrong with a malformed request (400)', async () => {
      const { consumer } = await pendingSubscription(
        brom.api,
        ALICE_PRODUCES_BOB_CONSUMES,
      );
      const params = { name: consumer.name };
      for (const [count, words] of [
        [0, /count|minimum|>= 1/],
        [51, /count|maximum|<= 50/],
        ['many', /count|integer|number/],
      ] as const) {
        const res = await brom.api.get(
          BOB,
          '/applications/{name}/dead-letters',
          {
            params,
            query: { count },
            expect: 400,
          },
        );
        expect(res.body.error.message).toMatch(words);
      }
      await brom.api.post(BOB, '/applications/{name}/dead-letters/replay', {
        params,
        body: { everything: true },
        expect: 400,
      });
      await brom.api.delete(BOB, '/applications/{name}/dead-letters', {
        params,
        query: { generation: 1 },
        expect: 400,
      });
      // A well-formed request of the owner gets to the broker check.
      await brom.api.get(BOB, '/applications/{name}/dead-letters', {
        params,
        query: { count: 50 },
        expect: 503,
      });
    });
  },
);

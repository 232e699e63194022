// The client's `expect` option asserts the status; the test backend checks every request and
// response against openapi.yaml.
/* eslint jest/expect-expect: ["warn", { "assertFunctionNames": ["expect", "expectRefused", "brom.api.*"] }] */
import { TestDatabaseId } from '@backstage/backend-test-utils';
import {
  ALICE,
  TEAM_A,
  createTestDatabases,
  dumpDomainTables,
  useBromTestBackend,
} from '../__testUtils__/backend';
import { CallOptions, uniqueName } from '../__testUtils__/client';
import {
  ALICE_PRODUCES_BOB_CONSUMES,
  createApplication,
  createNotificationType,
  pendingSubscription,
} from '../__testUtils__/fixtures';

const databases = createTestDatabases();

const ZERO_WIDTH_SPACE = '\u200B';
const RIGHT_TO_LEFT_OVERRIDE = '\u202E';

describe.each(databases.eachSupportedId())(
  'malformed input on %s',
  (databaseId: TestDatabaseId) => {
    const brom = useBromTestBackend(databases, databaseId);

    /** Sends the request, expects 400 with a message matching `message`, and checks nothing changed. */
    async function expectRefused(
      method: 'POST' | 'PATCH' | 'DELETE' | 'GET',
      path: string,
      options: CallOptions,
      message: RegExp,
    ) {
      const before = await dumpDomainTables(brom.backend.knex);
      const res = await brom.api.call(ALICE, method, path, {
        ...options,
        expect: 400,
      });
      expect(res.body.error.name).toBe('InputError');
      expect(res.body.error.message).toMatch(message);
      expect(await dumpDomainTables(brom.backend.knex)).toEqual(before);
      return res;
    }

    /**
     * The validated router's message for a request openapi.yaml refuses: the error itself, or
     * its cause when the operation's schema explained the refusal in words.
     */
    function documentRefusal(res: { body: any }): string | undefined {
      const { error } = res.body;
      return [error.cause?.message, error.message].find(
        (message): message is string =>
          typeof message === 'string' && message.startsWith('request/'),
      );
    }

    describe('application names', () => {
      it.each([
        ['guest', /reserved/],
        ['admin', /reserved/],
        ['brom-reconciler', /reserved/],
        ['amq-x', /reserved/],
        ['Orders', /lower-case letters/],
        ['a'.repeat(64), /at most 63/],
        ['orders-', /lower-case letters/],
        ['-orders', /lower-case letters/],
        ['order--s', /lower-case letters/],
        ['orders.v2', /lower-case letters/],
        ['', /must not be empty/],
        [`ord${ZERO_WIDTH_SPACE}ers`, /lower-case letters/],
        [`ord${RIGHT_TO_LEFT_OVERRIDE}ers`, /lower-case letters/],
      ])('refuses %j', async (name, message) => {
        await expectRefused(
          'POST',
          '/applications',
          { body: { name, owner: TEAM_A } },
          message,
        );
      });

      it('takes a name of 63 characters', async () => {
        const name = `${uniqueName('long')}-${'x'.repeat(40)}`
          .slice(0, 63)
          .replace(/-$/, 'y');
        await brom.api.post(ALICE, '/applications', {
          body: { name, owner: TEAM_A },
          expect: 201,
        });
      });
    });

    describe('invisible and reordering characters in text', () => {
      it.each([
        ['title', ZERO_WIDTH_SPACE],
        ['title', RIGHT_TO_LEFT_OVERRIDE],
        ['description', ZERO_WIDTH_SPACE],
        ['description', RIGHT_TO_LEFT_OVERRIDE],
      ])('refuses an application %s with U+%s', async (field, char) => {
        const body = {
          name: uniqueName('text'),
          owner: TEAM_A,
          [field]: `Pay${char}ments`,
        };
        const res = await expectRefused(
          'POST',
          '/applications',
          { body },
          new RegExp(`${field}:.*zero-width or right-to-left`),
        );
        expect(documentRefusal(res)).toBeDefined();
      });

      it('refuses them in notification type descriptions and decision reasons', async () => {
        const app = await createApplication(brom.api, ALICE, TEAM_A);
        await expectRefused(
          'POST',
          '/applications/{name}/notification-types',
          {
            params: { name: app.name },
            body: {
              name: 'evil',
              routingKeyPattern: 'evil.*',
              description: `Harmless ${RIGHT_TO_LEFT_OVERRIDE}exe.txt`,
            },
          },
          /description: .*right-to-left/,
        );
        const { subscription } = await pendingSubscription(
          brom.api,
          ALICE_PRODUCES_BOB_CONSUMES,
        );
        await expectRefused(
          'POST',
          '/subscriptions/{id}/reject',
          {
            params: { id: subscription.id },
            body: { generation: 1, reason: `No${ZERO_WIDTH_SPACE}` },
          },
          /reason: .*zero-width/,
        );
      });
    });

    describe('routing-key patterns', () => {
      it('refuses a pattern that overlaps another type of the same producer', async () => {
        const app = await createApplication(brom.api, ALICE, TEAM_A);
        await createNotificationType(brom.api, ALICE, app.name, {
          name: 'order-created',
          routingKeyPattern: 'order.*.created',
        });
        for (const pattern of [
          'order.#',
          'order.123.created',
          '*.*.created',
          '#',
        ]) {
          await expectRefused(
            'POST',
            '/applications/{name}/notification-types',
            {
              params: { name: app.name },
              body: {
                name: uniqueName('other'),
                routingKeyPattern: pattern,
                description: 'x',
              },
            },
            /overlaps with "order\.\*\.created" of notification type "order-created"/,
          );
        }
        // Disjoint patterns are fine, and so is the same pattern at another producer.
        await createNotificationType(brom.api, ALICE, app.name, {
          routingKeyPattern: 'order.*.cancelled',
        });
        const other = await createApplication(brom.api, ALICE, TEAM_A);
        await createNotificationType(brom.api, ALICE, other.name, {
          routingKeyPattern: 'order.*.created',
        });
      });

      it('refuses an update that makes two patterns overlap', async () => {
        const app = await createApplication(brom.api, ALICE, TEAM_A);
        await createNotificationType(brom.api, ALICE, app.name, {
          routingKeyPattern: 'a.*',
        });
        const second = await createNotificationType(brom.api, ALICE, app.name, {
          routingKeyPattern: 'b.*',
        });
        await expectRefused(
          'PATCH',
          '/applications/{name}/notification-types/{type}',
          {
            params: { name: app.name, type: second.name },
            body: { generation: 1, routingKeyPattern: 'a.x' },
          },
          /overlaps/,
        );
      });

      it('accepts literal words in any case and script', async () => {
        const app = await createApplication(brom.api, ALICE, TEAM_A);
        for (const routingKeyPattern of [
          'Order.01HXYZ.*',
          'ordre.bekreftet.ø',
        ]) {
          const type = await createNotificationType(brom.api, ALICE, app.name, {
            routingKeyPattern,
          });
          expect(type.routingKeyPattern).toBe(routingKeyPattern);
        }
      });

      it.each([
        ['', /must not be empty/],
        ['order..created', /word 2 is empty/],
        ['order.#.created', /only as the last word/],
        ['order.a:b', /"a:b".*letters, digits/],
        ['order.cr€ated', /"cr€ated".*letters, digits/],
        ['order.a b', /"a b".*letters, digits/],
        ['x'.repeat(256), /at most 255/],
      ])('refuses the pattern %j', async (pattern, message) => {
        const app = await createApplication(brom.api, ALICE, TEAM_A);
        const body = {
          name: 'thing',
          routingKeyPattern: pattern,
          description: 'x',
        };
        const res = await expectRefused(
          'POST',
          '/applications/{name}/notification-types',
          { params: { name: app.name }, body },
          message,
        );
        expect(documentRefusal(res)).toBeDefined();
      });
    });

    describe('request bodies', () => {
      it('refuses a body over 256 kB', async () => {
        const body = JSON.stringify({
          name: uniqueName('big'),
          owner: TEAM_A,
          description: 'x'.repeat(300 * 1024),
        });
        await expectRefused(
          'POST',
          '/applications',
          { rawBody: body },
          /larger than 256kb/,
        );
      });

      it('refuses a body that is not JSON', async () => {
        await expectRefused(
          'POST',
          '/applications',
          { rawBody: '{"name": "x",' },
          /not valid JSON/,
        );
      });

      it.each([
        [
          '/applications',
          { name: 'ok-name', owner: TEAM_A, colour: 'blue' },
          /unknown field "colour"/,
        ],
        [
          '/applications',
          { name: 'ok-name', owner: TEAM_A, settings: { ttl: 1 } },
          /unknown field "ttl" in settings/,
        ],
        [
          '/applications',
          { name: 42, owner: TEAM_A },
          /name: .*expected string/i,
        ],
        [
          '/applications',
          { name: 'ok-name', owner: 'team-a' },
          /owner: must be a group entity ref/,
        ],
        ['/applications', { name: 'ok-name' }, /owner: .*expected string/i],
        [
          '/applications',
          {
            name: 'ok-name',
            owner: TEAM_A,
            settings: { messageTtlMs: '60000' },
          },
          /settings\.messageTtlMs/,
        ],
        [
          '/applications',
          { name: 'ok-name', owner: TEAM_A, settings: { maxLength: 0 } },
          /settings\.maxLength/,
        ],
        [
          '/applications',
          { name: 'ok-name', owner: TEAM_A, entityRef: 'orders' },
          /entityRef: must be a component entity ref/,
        ],
        [
          '/applications',
          [{ name: 'ok-name', owner: TEAM_A }],
          /expected object/i,
        ],
        [
          '/subscriptions',
          {
            consumer: 'a',
            producer: 'b',
            notificationType: 'c',
            justification: '   ',
          },
          /justification: must explain why/,
        ],
        [
          '/subscriptions',
          { consumer: 'a', producer: 'b', notificationType: 'c' },
          /justification/,
        ],
      ])('POST %s %j → 400', async (path, body, message) => {
        const res = await expectRefused('POST', path, { body }, message);
        expect(documentRefusal(res)).toBeDefined();
      });

      it('refuses wrong types and unknown fields on updates and decisions', async () => {
        const app = await createApplication(brom.api, ALICE, TEAM_A);
        const type = await createNotificationType(brom.api, ALICE, app.name);
        const { subscription } = await pendingSubscription(
          brom.api,
          ALICE_PRODUCES_BOB_CONSUMES,
        );
        const cases: Array<
          [string, 'PATCH' | 'POST', Record<string, string>, unknown, RegExp]
        > = [
          [
            '/applications/{name}',
            'PATCH',
            { name: app.name },
            { title: 'x' },
            /generation/,
          ],
          [
            '/applications/{name}',
            'PATCH',
            { name: app.name },
            { generation: '1' },
            /generation/,
          ],
          [
            '/applications/{name}',
            'PATCH',
            { name: app.name },
            { generation: 0 },
            /generation/,
          ],
          [
            '/applications/{name}',
            'PATCH',
            { name: app.name },
            { generation: 1, name: 'rename' },
            /unknown field "name"/,
          ],
          [
            '/applications/{name}/notification-types/{type}',
            'PATCH',
            { name: app.name, type: type.name },
            { generation: 1, requiresApproval: 'yes' },
            /requiresApproval/,
          ],
          [
            '/applications/{name}/notification-types/{type}',
            'PATCH',
            { name: app.name, type: type.name },
            { generation: 1, visibility: 'secret' },
            /visibility/,
          ],
          [
            '/subscriptions/{id}/approve',
            'POST',
            { id: subscription.id },
            {},
            /generation/,
          ],
          [
            '/subscriptions/{id}/approve',
            'POST',
            { id: subscription.id },
            { generation: 1, force: true },
            /unknown field "force"/,
          ],
          [
            '/subscriptions/{id}/reject',
            'POST',
            { id: subscription.id },
            { generation: 1 },
            /reason/,
          ],
          [
            '/subscriptions/{id}/reject',
            'POST',
            { id: subscription.id },
            { generation: 1, reason: ' ' },
            /must tell the requester why/,
          ],
          [
            '/subscriptions/{id}/revoke',
            'POST',
            { id: subscription.id },
            { generation: 1, reason: 7 },
            /reason/,
          ],
          [
            '/applications/{name}/credentials',
            'POST',
            { name: app.name },
            { expiresAt: 'tomorrow' },
            /expiresAt/,
          ],
          [
            '/applications/{name}/credentials/rotate',
            'POST',
            { name: app.name },
            { overlapSeconds: -1 },
            /overlapSeconds/,
          ],
          [
            '/applications/{name}/credentials/rotate',
            'POST',
            { name: app.name },
            { overlapSeconds: 1.5 },
            /overlapSeconds/,
          ],
          [
            '/applications/{name}/queue-deletion-confirmation',
            'POST',
            { name: app.name },
            {},
            /generation/,
          ],
        ];
        for (const [path, method, params, body, message] of cases) {
          const res = await expectRefused(
            method,
            path,
            { params, body },
            message,
          );
          expect([path, body, documentRefusal(res)]).not.toEqual([
            path,
            body,
            undefined,
          ]);
        }
      });

      it('refuses a body on credential revocation', async () => {
        const app = await createApplication(brom.api, ALICE, TEAM_A);
        const issued = await brom.api.post(
          ALICE,
          '/applications/{name}/credentials',
          {
            params: { name: app.name },
            expect: 201,
          },
        );
        await expectRefused(
          'POST',
          '/applications/{name}/credentials/{id}/revoke',
          {
            params: { name: app.name, id: issued.body.credential.id },
            body: { reason: 'x' },
          },
          /unknown field "reason"/,
        );
      });
    });

    describe('query parameters', () => {
      it('refuses bad paging and filters', async () => {
        const cases: Array<[string, CallOptions['query'], RegExp]> = [
          ['/applications', { limit: 0 }, /limit/],
          ['/applications', { limit: 501 }, /limit/],
          ['/applications', { offset: -1 }, /offset/],
          ['/applications', { limit: 'ten' }, /limit/],
          ['/applications', { mine: 'yes' }, /mine/],
          ['/subscriptions', { state: 'pending' }, /state/],
          ['/approvals', { limit: 1000 }, /limit/],
          ['/audit-events', { application: 'x', since: 'yesterday' }, /since/],
        ];
        for (const [path, query, message] of cases) {
          await expectRefused('GET', path, { query }, message);
        }
      });

      it('needs the generation to delete, and nothing else', async () => {
        const app = await createApplication(brom.api, ALICE, TEAM_A);
        const cases: Array<[CallOptions['query'], RegExp]> = [
          [undefined, /generation/],
          [{ generation: 'one' }, /generation/],
          [{ generation: 1, cascade: 'true' }, /unknown field "cascade"/],
          [{ generation: 1, force: 'yes' }, /force/],
        ];
        for (const [query, message] of cases) {
          await expectRefused(
            'DELETE',
            '/applications/{name}',
            { params: { name: app.name }, query },
            message,
          );
        }
      });
    });
  },
);

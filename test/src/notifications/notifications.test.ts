import knexFactory, { Knex } from 'knex';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestDatabase, TestDatabase } from '../postgres';
import { findFreePorts, pollUntil } from '../process';
import {
  BackendProcess,
  dropPluginDatabases,
} from '../reconciler/__utils__/backendProcess';
import {
  ALICE,
  BOB,
  ReconcilerTestBackend,
  startApiBackend,
} from '../reconciler/__utils__/bromBackend';

/*
 * Backstage notifications from BROM's domain events, end to end: a backend process with the
 * catalog (who is in which team), the notifications and signals backends and BROM, on
 * PostgreSQL. Changes come through the REST API of a replica in this process that sends no
 * notifications itself. The process kills itself (SIGKILL) right after the first
 * notification is stored and before BROM records the event as handled; after a restart the
 * event is delivered again, and every person still has exactly one notification of it.
 * One person turns BROM's subscription decisions off in the notifications settings, as
 * Settings → Notifications does; the next decision reaches the others and not them.
 */

const TOKEN = 'notify-test-static-token-5c1e0f9a';
const CAROL = 'user:default/carol';
const DAVE = 'user:default/dave';
/** The notifications plugin's channel of the notifications page and the bell. */
const WEB_CHANNEL = 'Web';
const ORIGIN = 'plugin:brom';
const DECISIONS_TOPIC = 'BROM: subscription decisions';

const ORG = `
apiVersion: backstage.io/v1alpha1
kind: Group
metadata: { name: team-a }
spec: { type: team, children: [] }
---
apiVersion: backstage.io/v1alpha1
kind: Group
metadata: { name: team-b }
spec: { type: team, children: [] }
---
apiVersion: backstage.io/v1alpha1
kind: User
metadata: { name: alice }
spec: { memberOf: [team-a] }
---
apiVersion: backstage.io/v1alpha1
kind: User
metadata: { name: carol }
spec: { memberOf: [team-a] }
---
apiVersion: backstage.io/v1alpha1
kind: User
metadata: { name: bob }
spec: { memberOf: [team-b] }
---
apiVersion: backstage.io/v1alpha1
kind: User
metadata: { name: dave }
spec: { memberOf: [team-b] }
`;

/** The notifications backend's settings of one person (GET/POST /api/notifications/settings). */
interface NotificationSettings {
  channels: Array<{
    id: string;
    enabled?: boolean;
    origins: Array<{
      id: string;
      enabled: boolean;
      topics?: Array<{ id: string; enabled: boolean }>;
    }>;
  }>;
}

interface NotificationRow {
  user: string;
  scope: string;
  title: string;
  description: string | null;
  link: string;
  topic: string | null;
  origin: string;
}

describe('notifications from a backend that dies mid-delivery', () => {
  let dir: string;
  let database: TestDatabase;
  let api: ReconcilerTestBackend;
  let notificationsDb: Knex;
  let backend: BackendProcess | undefined;
  let port: number;
  let marker: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'brom-notify-'));
    database = await createTestDatabase();
    await writeFile(join(dir, 'org.yaml'), ORG);
    marker = join(dir, 'died-after-notifying.json');
    [port] = await findFreePorts(1);
    api = await startApiBackend(database, {
      reconciler: { enabled: false },
      notifications: { enabled: false },
    });
  }, 120_000);

  afterAll(async () => {
    await backend?.stop();
    await notificationsDb?.destroy();
    await api?.stop();
    if (database) {
      await dropPluginDatabases(database);
      await database.drop();
    }
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  function startBackend(name: string) {
    return BackendProcess.start({
      port,
      database,
      dir,
      name,
      main: require.resolve('./notifyBackendMain'),
      brom: { reconciler: { enabled: false } },
      config: {
        app: { baseUrl: 'http://127.0.0.1:3000' },
        // Dave signs in as packages/backend's development sign-in lets a person do.
        auth: {
          environment: 'development',
          providers: {
            development: { users: [{ id: 'dave', userEntityRef: DAVE }] },
          },
        },
        backend: {
          auth: {
            externalAccess: [
              {
                type: 'static',
                options: { token: TOKEN, subject: 'notify-test' },
              },
            ],
          },
        },
        catalog: {
          rules: [{ allow: ['User', 'Group'] }],
          locations: [{ type: 'file', target: join(dir, 'org.yaml') }],
        },
      },
      env: { BROM_TEST_DIE_AFTER_NOTIFYING: marker },
    });
  }

  async function waitForTeam(team: string, members: string[]) {
    await pollUntil(
      async () => {
        const res = await fetch(
          `http://127.0.0.1:${port}/api/catalog/entities/by-name/group/default/${team}`,
          { headers: { authorization: `Bearer ${TOKEN}` } },
        ).catch(() => undefined);
        if (!res?.ok) return undefined;
        const group = await res.json();
        const found = (group.relations ?? [])
          .filter((r: any) => r.type === 'hasMember')
          .map((r: any) => r.targetRef);
        return members.every(m => found.includes(m)) ? true : undefined;
      },
      {
        timeoutMs: 90_000,
        intervalMs: 500,
        describe: () => `the catalog has not ingested ${team}`,
      },
    );
  }

  /** A person's Backstage token, from the development sign-in the app uses. */
  async function signIn(id: string): Promise<string> {
    const res = await fetch(
      `http://127.0.0.1:${port}/api/auth/development/refresh`,
      {
        headers: { 'x-brom-development-user': id },
      },
    );
    if (!res.ok)
      throw new Error(`signing in as ${id}: ${res.status} ${await res.text()}`);
    return (await res.json()).backstageIdentity.token;
  }

  /** The person's notification settings; with `update`, saved first, as the settings page does. */
  async function settings(
    token: string,
    update?: NotificationSettings,
  ): Promise<NotificationSettings> {
    const res = await fetch(
      `http://127.0.0.1:${port}/api/notifications/settings`,
      {
        method: update ? 'POST' : 'GET',
        headers: {
          authorization: `Bearer ${token}`,
          'content-type': 'application/json',
        },
        body: update ? JSON.stringify(update) : undefined,
      },
    );
    if (!res.ok)
      throw new Error(
        `notification settings: ${res.status} ${await res.text()}`,
      );
    return res.json();
  }

  /** What the settings page's switch for one topic sends: that topic on or off, the rest as is. */
  function withTopic(
    current: NotificationSettings,
    channelId: string,
    originId: string,
    topicId: string,
    enabled: boolean,
  ): NotificationSettings {
    return {
      channels: current.channels.map(channel =>
        channel.id !== channelId
          ? channel
          : {
              ...channel,
              origins: channel.origins.map(origin =>
                origin.id !== originId
                  ? origin
                  : {
                      ...origin,
                      topics: (origin.topics ?? []).map(topic =>
                        topic.id === topicId ? { ...topic, enabled } : topic,
                      ),
                    },
              ),
            },
      ),
    };
  }

  /** Whether a topic of an origin is on in a channel of the settings, or undefined if not listed. */
  function topicEnabled(
    current: NotificationSettings,
    channelId: string,
    originId: string,
    topicId: string,
  ): boolean | undefined {
    return current.channels
      .find(c => c.id === channelId)
      ?.origins.find(o => o.id === originId)
      ?.topics?.find(t => t.id === topicId)?.enabled;
  }

  /** Sequence of the newest event of `type` in the outbox. */
  async function latestEvent(type: string): Promise<number> {
    const row = await api
      .knex('brom_domain_events')
      .where({ type })
      .max({ sequence: 'sequence' })
      .first();
    return Number(row?.sequence);
  }

  async function cursorPosition(): Promise<number> {
    const row = await api
      .knex('brom_domain_event_cursors')
      .where({ subscriber: 'notifications' })
      .first();
    return Number(row?.position ?? 0);
  }

  async function rowsOf(sequence: number): Promise<NotificationRow[]> {
    return notificationsDb<NotificationRow>('notification')
      .where({ scope: `brom-event-${sequence}` })
      .orderBy('user');
  }

  async function waitHandled(sequence: number) {
    await pollUntil(
      async () => ((await cursorPosition()) >= sequence ? true : undefined),
      {
        timeoutMs: 60_000,
        intervalMs: 250,
        describe: () =>
          `event ${sequence} was not handled:\n${backend?.logTail()}`,
      },
    );
  }

  it('notifies each owner exactly once across a kill, nobody else, and nobody who turned the topic off', async () => {
    backend = await startBackend('notify-0');
    notificationsDb = knexFactory({
      client: 'pg',
      connection: {
        ...database.connection,
        database: `${database.name}_notifications`,
      },
      pool: { min: 0, max: 2 },
    });
    await waitForTeam('team-a', [ALICE, CAROL]);
    await waitForTeam('team-b', [BOB, DAVE]);

    const [orderCreated] = await api.portal.createProducer('orders', [
      { name: 'order-created', pattern: 'order.created' },
    ]);
    await api.portal.createConsumer('billing');
    await api.portal.createConsumer('search');
    const request = await api.portal.subscribe('billing', orderCreated, false);
    const requested = await latestEvent('subscription.requested');

    // The backend stores the first notification of the request, then dies before BROM
    // records the event as handled.
    await pollUntil(async () => (backend!.exited ? true : undefined), {
      timeoutMs: 60_000,
      intervalMs: 250,
      describe: () =>
        `the backend did not die after notifying:\n${backend!.logTail()}`,
    });
    expect(existsSync(marker)).toBe(true);
    expect(await cursorPosition()).toBeLessThan(requested);
    const beforeRestart = await rowsOf(requested);
    expect(beforeRestart.length).toBeGreaterThanOrEqual(1);

    // Restarted, it delivers the event again: one notification per owner, not two.
    backend = await startBackend('notify-1');
    await waitHandled(requested);
    const requestRows = await rowsOf(requested);
    expect(requestRows.map(r => r.user)).toEqual([ALICE, CAROL]);
    expect(requestRows[0]).toMatchObject({
      origin: 'plugin:brom',
      link: '/brom/approvals',
      topic: 'BROM: subscription requests',
      title: 'billing asks to subscribe to orders/order-created',
    });

    // Approval: the consumer's owners hear, the producer's do not.
    await api.api.post(ALICE, '/subscriptions/{id}/approve', {
      params: { id: request.id },
      body: { generation: request.generation },
      expect: 200,
    });
    const approved = await latestEvent('subscription.approved');
    await waitHandled(approved);
    expect((await rowsOf(approved)).map(r => [r.user, r.title])).toEqual([
      [BOB, 'Subscription of billing to orders/order-created approved'],
      [DAVE, 'Subscription of billing to orders/order-created approved'],
    ]);

    // Dave turns BROM's subscription decisions off on the settings page (the topic is listed
    // once he has a notification of it); Bob leaves them on.
    const dave = await signIn('dave');
    const before = await settings(dave);
    expect(topicEnabled(before, WEB_CHANNEL, ORIGIN, DECISIONS_TOPIC)).toBe(
      true,
    );
    const after = await settings(
      dave,
      withTopic(before, WEB_CHANNEL, ORIGIN, DECISIONS_TOPIC, false),
    );
    expect(topicEnabled(after, WEB_CHANNEL, ORIGIN, DECISIONS_TOPIC)).toBe(
      false,
    );
    expect(
      topicEnabled(await settings(dave), WEB_CHANNEL, ORIGIN, DECISIONS_TOPIC),
    ).toBe(false);

    // Rejection, with its reason: the consumer's owners (the requester among them) hear, but
    // not Dave, who turned decisions off.
    const second = await api.portal.subscribe('search', orderCreated, false);
    const reason = 'Search may not read orders; ask the privacy team';
    await api.api.post(ALICE, '/subscriptions/{id}/reject', {
      params: { id: second.id },
      body: { generation: second.generation, reason },
      expect: 200,
    });
    const rejected = await latestEvent('subscription.rejected');
    await waitHandled(rejected);
    const rejection = await rowsOf(rejected);
    expect(rejection.map(r => r.user)).toEqual([BOB]);
    expect(rejection[0]).toMatchObject({
      origin: ORIGIN,
      topic: DECISIONS_TOPIC,
    });
    expect(rejection[0].description).toContain(reason);

    // Nothing else, and never two of one event for one person.
    const all = await notificationsDb<NotificationRow>('notification').select(
      'user',
      'scope',
    );
    expect(all).toHaveLength(2 + 2 + 2 + 1);
    expect(new Set(all.map(r => `${r.user} ${r.scope}`)).size).toBe(all.length);
  });
});

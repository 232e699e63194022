// Lists past 500 items: every page by key, sorted and searched in the database.
/* eslint jest/expect-expect: ["warn", { "assertFunctionNames": ["expect", "walk"] }] */
import { TestDatabaseId } from '@backstage/backend-test-utils';
import { LIST_COUNT_BOUND } from '@internal/plugin-brom-common';
import { Knex } from 'knex';
import {
  ALICE,
  BOB,
  MALLORY,
  TEAM_A,
  TEAM_B,
  TEAM_C,
  createTestDatabases,
  useBromTestBackend,
} from '../__testUtils__/backend';
import { BromTestClient } from '../__testUtils__/client';

const databases = createTestDatabases();

const AT = '2026-12-01T00:00:00.000Z';
/** More than the largest page the API gives (500). */
const MANY = 620;

const pad = (n: number) => String(n).padStart(4, '0');

function applicationRow(id: string, name: string, owner: string, title: string) {
  return {
    id,
    name,
    title,
    description: `Bulk application ${name}`,
    owner,
    entity_ref: null,
    message_ttl_ms: null,
    max_length: null,
    generation: 1,
    created_at: AT,
    created_by: 'user:default/seed',
    updated_at: AT,
    deleted_at: null,
    deleted_by: null,
    queue_deletion_confirmed_at: null,
    queue_deletion_confirmed_by: null,
  };
}

/**
 * MANY consumers of team B, MANY types of one producer of team A, and a request of each
 * consumer for one type, written straight to the tables (the API would take minutes). Titles
 * run in the opposite order of names, so sorting by title is visibly different.
 */
async function seed(knex: Knex, prefix: string) {
  const producerId = `${prefix}-producer`;
  await knex('brom_applications').insert(
    applicationRow(producerId, `${prefix}-producer`, TEAM_A, 'Bulk producer'),
  );
  const consumers = Array.from({ length: MANY }, (_, i) =>
    applicationRow(
      `${prefix}-c-${pad(i)}`,
      `${prefix}-consumer-${pad(i)}`,
      TEAM_B,
      `Consumer ${pad(MANY - i)}`,
    ),
  );
  const types = Array.from({ length: MANY }, (_, i) => ({
    id: `${prefix}-t-${pad(i)}`,
    application_id: producerId,
    name: `event-${pad(i)}`,
    routing_key_pattern: `event${pad(i)}.*`,
    description: `Event number ${i}`,
    payload_schema: null,
    visibility: 'public',
    requires_approval: true,
    generation: 1,
    created_at: AT,
    updated_at: AT,
    deleted_at: null,
    deleted_by: null,
  }));
  const subscriptions = consumers.map((consumer, i) => ({
    id: `${prefix}-s-${pad(i)}`,
    consumer_application_id: consumer.id,
    notification_type_id: types[i].id,
    // Every tenth is decided, so the inbox's history has something in it.
    state: i % 10 === 0 ? 'rejected' : 'requested',
    justification: `Because ${i}`,
    requested_by: BOB,
    requested_at: AT,
    decided_by: i % 10 === 0 ? ALICE : null,
    decided_at: i % 10 === 0 ? AT : null,
    reason: i % 10 === 0 ? 'Not now' : null,
    generation: 1,
    // Several share a time: the id breaks the ties.
    updated_at: `2026-12-02T00:00:${pad(Math.floor(i / 7) % 60).slice(2)}.000Z`,
    requires_approval: true,
  }));
  await knex.batchInsert('brom_applications', consumers, 200);
  await knex.batchInsert('brom_notification_types', types, 200);
  await knex.batchInsert('brom_subscriptions', subscriptions, 200);
  return { producer: `${prefix}-producer`, consumers, types, subscriptions };
}

/** Every page of a list, following `nextCursor`; each page must validate and not repeat. */
async function walk(
  api: BromTestClient,
  who: string,
  path: string,
  query: Record<string, string | number>,
  params?: Record<string, string>,
) {
  const items: any[] = [];
  let cursor: string | undefined;
  let pages = 0;
  let first: any;
  for (;;) {
    const res = await api.get(who, path, {
      params,
      query: { ...query, ...(cursor ? { cursor } : {}) },
      expect: 200,
    });
    first ??= res.body;
    items.push(...res.body.items);
    pages += 1;
    cursor = res.body.nextCursor;
    if (!cursor) break;
    expect(res.body.items).toHaveLength(Number(query.limit));
    expect(pages).toBeLessThan(100);
  }
  expect(new Set(items.map(i => i.id)).size).toBe(items.length);
  return { items, pages, totalCount: first.totalCount, bounded: first.totalCountBounded };
}

/** JavaScript's default string order, by code point, as a comparator. */
const byCodePoint = (a: string, b: string) => {
  if (a === b) return 0;
  return a < b ? -1 : 1;
};

describe.each(databases.eachSupportedId())(
  'lists of more than 500 on %s',
  (databaseId: TestDatabaseId) => {
    const brom = useBromTestBackend(databases, databaseId);
    let data: Awaited<ReturnType<typeof seed>>;

    beforeAll(async () => {
      data = await seed(brom.backend.knex, `bulk${databaseId.length}`);
    });

    it('pages through every application by key, in name order by default', async () => {
      const { items, pages, totalCount, bounded } = await walk(
        brom.api,
        BOB,
        '/applications',
        { owner: TEAM_B, limit: 500 },
      );
      expect(totalCount).toBe(MANY);
      expect(bounded).toBe(false);
      expect(pages).toBe(2);
      expect(items.map(a => a.name)).toEqual(data.consumers.map(c => c.name));
    });

    it('sorts by title in either direction across pages, the name breaking ties', async () => {
      const asc = await walk(brom.api, BOB, '/applications', {
        owner: TEAM_B,
        sort: 'title',
        order: 'asc',
        limit: 100,
      });
      expect(asc.items.map(a => a.title)).toEqual(
        data.consumers.map(c => c.title).sort(byCodePoint),
      );
      const desc = await walk(brom.api, BOB, '/applications', {
        owner: TEAM_B,
        sort: 'title',
        order: 'desc',
        limit: 100,
      });
      expect(desc.items.map(a => a.name)).toEqual(asc.items.map(a => a.name).reverse());
    });

    it('searches in the database, finding what lies past the 500th entry', async () => {
      const res = await brom.api.get(BOB, '/applications', {
        query: { q: 'CONSUMER-0613', owner: TEAM_B },
        expect: 200,
      });
      expect(res.body.items.map((a: any) => a.name)).toEqual([
        data.consumers[613].name,
      ]);
      expect(res.body.totalCount).toBe(1);
      expect(res.body.nextCursor).toBeUndefined();
    });

    it('still jumps by offset, and the catalogue of consumers is filtered in the database', async () => {
      const res = await brom.api.get(BOB, '/applications', {
        query: { owner: TEAM_B, offset: 600, limit: 50 },
        expect: 200,
      });
      expect(res.body.items.map((a: any) => a.name)).toEqual(
        data.consumers.slice(600).map(c => c.name),
      );
      // None of the bulk consumers has an approved subscription.
      const consuming = await brom.api.get(BOB, '/applications', {
        query: { owner: TEAM_B, consuming: 'true' },
        expect: 200,
      });
      expect(consuming.body.totalCount).toBe(0);
    });

    it("pages through a producer's types, by producer or by name, with the producer's owner", async () => {
      const { items, totalCount } = await walk(
        brom.api,
        MALLORY,
        '/applications/{name}/notification-types',
        { limit: 200, sort: 'name', order: 'desc' },
        { name: data.producer },
      );
      expect(totalCount).toBe(MANY);
      expect(items.map(t => t.name)).toEqual(data.types.map(t => t.name).reverse());
      expect(items.every(t => t.producerOwner === TEAM_A)).toBe(true);
      const all = await walk(brom.api, MALLORY, '/notification-types', {
        application: data.producer,
        q: 'event-06',
        limit: 7,
      });
      expect(all.items.map(t => t.name)).toEqual(
        data.types.filter(t => t.name.startsWith('event-06')).map(t => t.name),
      );
    });

    it('gives the approvals inbox and its history page by page, with both teams', async () => {
      const waiting = await walk(brom.api, ALICE, '/approvals', {
        q: 'bulk',
        limit: 250,
      });
      const requested = data.subscriptions.filter(s => s.state === 'requested');
      expect(waiting.totalCount).toBe(requested.length);
      expect(waiting.items).toHaveLength(requested.length);
      // Most recently changed first, the id (descending too) breaking ties.
      const expected = [...requested]
        .sort((a, b) => byCodePoint(b.updated_at, a.updated_at) || byCodePoint(b.id, a.id))
        .map(s => s.id);
      expect(waiting.items.map(s => s.id)).toEqual(expected);
      expect(waiting.items[0]).toMatchObject({
        consumerOwner: TEAM_B,
        producerOwner: TEAM_A,
      });
      const decided = await walk(brom.api, ALICE, '/approvals', {
        state: 'decided',
        sort: 'consumer',
        order: 'asc',
        q: 'bulk',
        limit: 25,
      });
      expect(decided.items.map(s => s.consumer)).toEqual(
        data.subscriptions
          .filter(s => s.state === 'rejected')
          .map((_, i) => data.consumers[i * 10].name),
      );
      // Bob's team decides nothing here.
      const none = await brom.api.get(BOB, '/approvals', { query: { q: 'bulk' }, expect: 200 });
      expect(none.body.totalCount).toBe(0);
    });

    it('refuses a cursor it did not give, one made for another order, and a cursor with an offset', async () => {
      const first = await brom.api.get(BOB, '/applications', {
        query: { owner: TEAM_B, limit: 10 },
        expect: 200,
      });
      const cursor = first.body.nextCursor;
      expect(typeof cursor).toBe('string');
      const garbled = await brom.api.get(BOB, '/applications', {
        query: { cursor: 'not-a-cursor' },
        expect: 400,
      });
      expect(garbled.body.error.message).toMatch(/cursor is not one this API gave out/);
      const otherOrder = await brom.api.get(BOB, '/applications', {
        query: { cursor, sort: 'title' },
        expect: 400,
      });
      expect(otherOrder.body.error.message).toMatch(/cursor was made for sort=name&order=asc/);
      const both = await brom.api.get(BOB, '/applications', {
        query: { cursor, offset: 10 },
        expect: 400,
      });
      expect(both.body.error.message).toMatch(/either cursor or offset/);
      const badSort = await brom.api.get(BOB, '/subscriptions', {
        query: { sort: 'justification' },
        expect: 400,
      });
      expect(badSort.body.error.message).toMatch(/sort/);
    });

    it(`counts at most ${LIST_COUNT_BOUND} and says so`, async () => {
      const rows = Array.from({ length: LIST_COUNT_BOUND + 5 }, (_, i) =>
        applicationRow(`bound-${databaseId.length}-${i}`, `bound-${pad(i)}x${databaseId.length}`, TEAM_C, 'Bound'),
      );
      await brom.backend.knex.batchInsert('brom_applications', rows, 500);
      const res = await brom.api.get(MALLORY, '/applications', {
        query: { owner: TEAM_C, limit: 5 },
        expect: 200,
      });
      expect(res.body.totalCount).toBe(LIST_COUNT_BOUND);
      expect(res.body.totalCountBounded).toBe(true);
      expect(res.body.items).toHaveLength(5);
      const small = await brom.api.get(MALLORY, '/applications', {
        query: { owner: TEAM_A, limit: 5 },
        expect: 200,
      });
      expect(small.body.totalCountBounded).toBe(false);
    });
  },
);

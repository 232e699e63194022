import {
  ALICE,
  BOB,
  CAROL,
  TEAM_A,
  createTestDatabases,
  useBromTestBackend,
} from '../__testUtils__/backend';
import {
  ALICE_PRODUCES_BOB_CONSUMES,
  createApplication,
  pendingSubscription,
} from '../__testUtils__/fixtures';

/** Real concurrency needs a database with more than one connection: PostgreSQL only. */
const databases = createTestDatabases(['POSTGRES_15']);
const ids = databases.eachSupportedId();

if (ids.length === 0) {
  // Only outside CI (createTestDatabases fails in CI when PostgreSQL is missing).
  // eslint-disable-next-line jest/no-disabled-tests, jest/expect-expect
  it.skip('needs PostgreSQL (BACKSTAGE_TEST_DATABASE_POSTGRES15_CONNECTION_STRING)', () => {});
}

describe.each(ids)('concurrent decisions on %s', databaseId => {
  const brom = useBromTestBackend(databases, databaseId);

  async function stateVersion() {
    const row = await brom.backend
      .knex('brom_state_version')
      .where('id', 1)
      .first();
    return Number(row.version);
  }

  it('lets exactly one of 20 concurrent approvals and rejections win', async () => {
    const { producer, consumer, subscription } = await pendingSubscription(
      brom.api,
      ALICE_PRODUCES_BOB_CONSUMES,
    );
    const versionBefore = await stateVersion();

    const responses = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        i % 2 === 0
          ? brom.api.post(ALICE, '/subscriptions/{id}/approve', {
              params: { id: subscription.id },
              body: { generation: 1 },
            })
          : brom.api.post(CAROL, '/subscriptions/{id}/reject', {
              params: { id: subscription.id },
              body: { generation: 1, reason: `Rejection ${i}` },
            }),
      ),
    );

    const statuses = responses.map(r => r.status).sort();
    expect(statuses).toEqual([200, ...Array(19).fill(409)]);
    const winner = responses.find(r => r.status === 200)!.body;
    expect(winner.generation).toBe(2);

    const current = await brom.api.get(BOB, '/subscriptions/{id}', {
      params: { id: subscription.id },
      expect: 200,
    });
    expect(current.body).toEqual(winner);

    for (const application of [producer.name, consumer.name]) {
      const decisions = await brom.backend
        .knex('brom_audit_events')
        .where({ application, target_id: subscription.id })
        .whereIn('action', ['subscription.approved', 'subscription.rejected']);
      expect(decisions).toHaveLength(1);
      expect(decisions[0].action).toBe(`subscription.${winner.state}`);
    }
    // The losers' transactions left no trace, not even a version bump.
    expect(await stateVersion()).toBe(versionBefore + 1);
  });

  it('never lets concurrent requests create more than two live credentials', async () => {
    const app = await createApplication(brom.api, ALICE, TEAM_A);
    const responses = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        brom.api.post(
          i % 2 === 0 ? ALICE : CAROL,
          '/applications/{name}/credentials',
          {
            params: { name: app.name },
          },
        ),
      ),
    );
    expect(responses.map(r => r.status).sort()).toEqual([
      201,
      201,
      ...Array(8).fill(409),
    ]);
    const rows = await brom.backend
      .knex('brom_credentials')
      .join(
        'brom_applications',
        'brom_applications.id',
        'brom_credentials.application_id',
      )
      .where('brom_applications.name', app.name);
    expect(rows).toHaveLength(2);
  });
});

import { pollUntil, useTestDatabase } from '@internal/brom-test';
import knexFactory, { Knex } from 'knex';
import { CatalogStepsProbe } from './catalogSteps';

const COMPONENT = 'component:default/c1';
const API = 'api:default/p.t';
/** The relation row the processing loop writes for the Component's consumesApi. */
const CONSUMES_API = {
  originating_entity_id: 'id1',
  source_entity_ref: COMPONENT,
  type: 'consumesApi',
  target_entity_ref: API,
};

describe('CatalogStepsProbe', () => {
  const database = useTestDatabase();
  let knex: Knex;

  beforeAll(async () => {
    knex = knexFactory({ client: 'pg', connection: database().connection });
    // The catalog's columns the probe reads (the catalog's own migrations make more).
    await knex.schema.createTable('refresh_state', t => {
      t.text('entity_id').primary();
      t.text('entity_ref').unique();
      t.text('unprocessed_entity');
    });
    await knex.schema.createTable('relations', t => {
      t.text('originating_entity_id');
      t.text('source_entity_ref');
      t.text('type');
      t.text('target_entity_ref');
    });
    await knex.schema.createTable('final_entities', t => {
      t.text('entity_id').primary();
      t.text('final_entity');
    });
    await knex('refresh_state').insert({
      entity_id: 'id1',
      entity_ref: COMPONENT,
      unprocessed_entity: JSON.stringify({ kind: 'Component', spec: {} }),
    });
  });

  afterAll(async () => {
    await knex.destroy();
  });

  it('reads each step of the relation from the catalog tables', async () => {
    const probe = new CatalogStepsProbe(knex);
    expect(await probe.read(COMPONENT, API)).toEqual({
      applied: false,
      processed: false,
      stitched: false,
    });
    expect(await probe.read('component:default/none', API)).toEqual({
      applied: false,
      processed: false,
      stitched: false,
    });

    await knex('refresh_state')
      .where({ entity_id: 'id1' })
      .update({
        unprocessed_entity: JSON.stringify({
          kind: 'Component',
          spec: { consumesApis: [API] },
        }),
      });
    expect(await probe.read(COMPONENT, API)).toEqual({
      applied: true,
      processed: false,
      stitched: false,
    });

    // Another relation of the entity is not this one.
    await knex('relations').insert([
      {
        originating_entity_id: 'id1',
        source_entity_ref: COMPONENT,
        type: 'ownedBy',
        target_entity_ref: API,
      },
      {
        originating_entity_id: 'id1',
        source_entity_ref: COMPONENT,
        type: 'consumesApi',
        target_entity_ref: 'api:default/other',
      },
    ]);
    await knex('final_entities').insert({
      entity_id: 'id1',
      final_entity: JSON.stringify({
        relations: [{ type: 'ownedBy', targetRef: API }],
      }),
    });
    expect((await probe.read(COMPONENT, API)).processed).toBe(false);
    expect((await probe.read(COMPONENT, API)).stitched).toBe(false);

    await knex('relations').insert(CONSUMES_API);
    expect(await probe.read(COMPONENT, API)).toEqual({
      applied: true,
      processed: true,
      stitched: false,
    });

    await knex('final_entities')
      .where({ entity_id: 'id1' })
      .update({
        final_entity: JSON.stringify({
          relations: [
            { type: 'ownedBy', targetRef: API },
            { type: 'consumesApi', targetRef: API },
          ],
        }),
      });
    expect(await probe.read(COMPONENT, API)).toEqual({
      applied: true,
      processed: true,
      stitched: true,
    });
  });

  it('says when a watch first saw each step, each implying the ones before', async () => {
    const probe = new CatalogStepsProbe(knex, { intervalMs: 5 });
    // All three steps hold already (the test above left them so): one sample sees them.
    const before = Date.now();
    const steps = await probe.watch(COMPONENT, API).stop();
    expect(steps.appliedAt).toBeGreaterThanOrEqual(before);
    expect(steps.processedAt).toBe(steps.appliedAt);
    expect(steps.stitchedAt).toBe(steps.appliedAt);

    // Only the delta written when the watch starts; the relation comes while it samples.
    await knex('relations')
      .where({ target_entity_ref: API, type: 'consumesApi' })
      .delete();
    await knex('final_entities')
      .where({ entity_id: 'id1' })
      .update({ final_entity: JSON.stringify({ relations: [] }) });
    const read = jest.spyOn(probe, 'read');
    const samplesAfter = (n: number) =>
      pollUntil(async () => (read.mock.calls.length > n ? true : undefined), {
        timeoutMs: 30_000,
        intervalMs: 5,
        describe: () => `the watch sampled more than ${n} times`,
      });
    const watch = probe.watch(COMPONENT, API);
    await samplesAfter(1);
    await knex('relations').insert(CONSUMES_API);
    // The sample started after the insert has answered once the one after it starts.
    await samplesAfter(read.mock.calls.length + 1);
    const partial = await watch.stop();
    expect(partial.appliedAt).toBeDefined();
    expect(partial.processedAt).toBeGreaterThan(partial.appliedAt!);
    expect(partial.stitchedAt).toBeUndefined();
  });
});

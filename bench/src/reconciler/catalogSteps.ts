import { Knex } from 'knex';

/**
 * When a Component's new consumesApi relation passed each step of the catalog's own pipeline
 * (ms since the epoch, when the sample that first showed it arrived): the entity provider's
 * delta wrote the entity that lists the API, the processing loop wrote the relation, the
 * stitcher wrote the final entity that carries it. Undefined: not seen before the watch stopped.
 */
export interface CatalogSteps {
  appliedAt?: number;
  processedAt?: number;
  stitchedAt?: number;
}

interface StepRow {
  applied: boolean;
  processed: boolean;
  stitched: boolean;
}

/**
 * Samples the catalog's tables (refresh_state, relations, final_entities) for one Component
 * every few tens of milliseconds, so that "approval committed → the catalog shows the
 * relation" splits into the provider's, the processing loop's and the stitcher's share. One
 * indexed lookup of one row per sample.
 */
export class CatalogStepsProbe {
  readonly #knex: Knex;
  readonly #intervalMs: number;

  constructor(knex: Knex, options?: { intervalMs?: number }) {
    this.#knex = knex;
    this.#intervalMs = options?.intervalMs ?? 20;
  }

  /** What the catalog's tables hold of `entityRef`'s consumesApi relation to `apiRef` now. */
  async read(entityRef: string, apiRef: string): Promise<StepRow> {
    const relation = JSON.stringify([
      { type: 'consumesApi', targetRef: apiRef },
    ]);
    const { rows } = await this.#knex.raw<{ rows: StepRow[] }>(
      `select
         (r.unprocessed_entity::jsonb #> '{spec,consumesApis}') is not null as applied,
         exists (
           select 1 from relations l
           where l.originating_entity_id = r.entity_id
             and l.type = 'consumesApi' and l.target_entity_ref = ?
         ) as processed,
         coalesce((f.final_entity::jsonb -> 'relations') @> ?::jsonb, false) as stitched
       from refresh_state r
       left join final_entities f on f.entity_id = r.entity_id
       where r.entity_ref = ?`,
      [apiRef, relation, entityRef],
    );
    return rows[0] ?? { applied: false, processed: false, stitched: false };
  }

  /**
   * Starts sampling; `stop()` ends it and says when each step was first seen. A step seen
   * already at the first sample gets that sample's time.
   */
  watch(entityRef: string, apiRef: string): { stop(): Promise<CatalogSteps> } {
    const steps: CatalogSteps = {};
    let stopped = false;
    const sample = async () => {
      const row = await this.read(entityRef, apiRef);
      const at = Date.now();
      // Each step implies the ones before it (a sample can miss a short one).
      if (row.stitched) steps.stitchedAt ??= at;
      if (row.processed || row.stitched) steps.processedAt ??= at;
      if (row.applied || row.processed || row.stitched) steps.appliedAt ??= at;
    };
    const loop = (async () => {
      while (!stopped) {
        await sample();
        if (steps.stitchedAt !== undefined) return;
        await new Promise(resolve => setTimeout(resolve, this.#intervalMs));
      }
    })();
    return {
      stop: async () => {
        stopped = true;
        await loop;
        // A sample that began before the last step's commit missed it: one more after it.
        if (steps.stitchedAt === undefined) await sample();
        return steps;
      },
    };
  }
}

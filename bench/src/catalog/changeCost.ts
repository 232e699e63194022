/*
 * `npm run bench:catalog-change`: what one change costs the catalog module's state that the
 * relations processor reads (issue #20, decision 0022's session-13 amendment), on the backend's
 * event loop. A synthetic export at --scale (1: the reconciler benchmark's store, 1,000
 * producers with 5,000 types, 2,000 consumers, 10,000 subscriptions; a third of the
 * applications linked to catalog Components) is indexed once; each round, interleaved:
 *   - whole: building the index from the whole export (`CatalogIndex.of`), which every change
 *     paid before the index was updated in place (on top of rebuilding the export itself);
 *   - change: replacing one consumer's rows (`CatalogIndex.replace`, what a change pays now),
 *     for --changes different consumers.
 * Median (min–max) of the per-round medians, in ms.
 */
import { CatalogIndex } from '@internal/plugin-catalog-backend-module-brom';
import { parseOptions } from '../options';
import { median, spread } from '../stats';

/** BROM's catalog export (the module's input). */
type CatalogExport = Parameters<typeof CatalogIndex.of>[0];

interface Options {
  scale: number;
  rounds: number;
  changes: number;
}

function syntheticExport(scale: number): CatalogExport {
  const producers = Math.round(1_000 * scale);
  const consumers = Math.round(2_000 * scale);
  const app = (name: string, i: number) => ({
    name,
    title: name,
    description: '',
    owner: 'group:default/team',
    entityRef: i % 3 === 0 ? `component:default/${name}` : null,
  });
  const applications = [
    ...Array.from({ length: producers }, (_, i) => app(`producer-${i}`, i)),
    ...Array.from({ length: consumers }, (_, i) => app(`consumer-${i}`, i)),
  ];
  const notificationTypes = Array.from({ length: producers * 5 }, (_, i) => ({
    application: `producer-${i % producers}`,
    name: `type-${i}`,
    routingKeyPattern: `type-${i}.#`,
    description: '',
    payloadSchema: null,
    deprecation: null,
  }));
  const subscriptions = Array.from({ length: consumers * 5 }, (_, i) => ({
    consumer: `consumer-${i % consumers}`,
    producer: `producer-${i % producers}`,
    notificationType: `type-${i % notificationTypes.length}`,
  }));
  return {
    version: 1,
    broker: { vhost: 'brom', prefix: 'brom.', amqpUrls: [] },
    applications,
    notificationTypes,
    subscriptions,
  };
}

/** The export of only one consumer, as BROM's change log answers for a change it touched. */
function partOf(
  data: CatalogExport,
  consumer: string,
  version: number,
): CatalogExport {
  return {
    ...data,
    version,
    applications: data.applications.filter(a => a.name === consumer),
    notificationTypes: [],
    subscriptions: data.subscriptions.filter(s => s.consumer === consumer),
  };
}

function main(): void {
  const options = parseOptions<Options>(
    process.argv.slice(2),
    { scale: 10, rounds: 5, changes: 200 },
    { scale: 'number', rounds: 'number', changes: 'number' },
  );
  const data = syntheticExport(options.scale);
  const consumers = data.applications.filter(a =>
    a.name.startsWith('consumer-'),
  );
  // The parts are prepared outside the timing: the change log hands them over ready.
  const parts = Array.from({ length: options.changes }, (_, i) =>
    partOf(data, consumers[(i * 7919) % consumers.length].name, i + 2),
  );
  console.log(
    `bench:catalog-change — scale ${options.scale}: ${data.applications.length} applications, ${data.notificationTypes.length} types, ${data.subscriptions.length} subscriptions; ${options.rounds} rounds of 3 whole builds and ${options.changes} changes`,
  );
  const index = CatalogIndex.of(data);
  const whole: number[] = [];
  const change: number[] = [];
  for (let round = 0; round < options.rounds; round++) {
    const builds: number[] = [];
    for (let i = 0; i < 3; i++) {
      const t0 = performance.now();
      const built = CatalogIndex.of(data);
      builds.push(performance.now() - t0);
      if (built.version !== data.version)
        throw new Error('index without its version');
    }
    const replaces: number[] = [];
    for (const part of parts) {
      const touched = new Set([part.applications[0].name]);
      const t0 = performance.now();
      index.replace(part, touched);
      replaces.push(performance.now() - t0);
      if (
        index.subscriptionsOf(part.applications[0].name).length !==
        part.subscriptions.length
      ) {
        throw new Error(
          `replace lost ${part.applications[0].name}'s subscriptions`,
        );
      }
    }
    whole.push(median(builds));
    change.push(median(replaces));
    console.log(
      `round ${round + 1}: whole export indexed ${median(builds).toFixed(
        1,
      )} ms; one change ${median(replaces).toFixed(3)} ms`,
    );
  }
  const show = (values: number[], digits: number) => {
    const s = spread(values);
    return `${s.median.toFixed(digits)} ms (${s.min.toFixed(
      digits,
    )}–${s.max.toFixed(digits)}, ${s.n} rounds)`;
  };
  console.log(`whole export indexed (every change before): ${show(whole, 1)}`);
  console.log(`one change replaced in place (now): ${show(change, 3)}`);
}

main();

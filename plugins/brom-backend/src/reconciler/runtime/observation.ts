import { BrokerApi } from '../core/BrokerApi';
import { emptyObservation, KINDS, ObjectRef, ObservedOf } from '../core/kinds';
import { BrokerObjectKind, ObservedTopology } from '../core/types';

/** Targeted reads in flight at once. */
const READ_CONCURRENCY = 8;

/** Everything in the vhost: what a full pass plans against. */
export async function observeVhost(
  broker: BrokerApi,
  vhost: string,
): Promise<ObservedTopology> {
  if (!(await broker.hasVhost(vhost))) return emptyObservation(null);
  const observed = emptyObservation(vhost);
  await Promise.all(
    KINDS.map(async ({ stage, observe }) => {
      if (!observe || stage === 'vhost') return;
      (observed as unknown as Record<string, unknown>)[stage] = await observe.list(broker, vhost);
    }),
  );
  return observed;
}

/**
 * The vhost and just the named objects (those that exist), for a pass that only looks at
 * what a change touched. Other objects may come along (e.g. bindings between the same pair).
 */
export async function observeObjects(
  broker: BrokerApi,
  vhost: string,
  refs: ObjectRef[],
): Promise<ObservedTopology> {
  if (!(await broker.hasVhost(vhost))) return emptyObservation(null);
  const observed = emptyObservation(vhost);
  const reads: Array<() => Promise<void>> = [];
  for (const { kind, stage, observe } of KINDS) {
    if (!observe || stage === 'vhost') continue;
    const found = observed[stage] as ObservedOf<BrokerObjectKind>[];
    const ofKind = refs.filter(ref => ref.kind === kind);
    for (const read of observe.reads(broker, vhost, ofKind)) {
      reads.push(async () => {
        found.push(...(await read()));
      });
    }
  }
  let next = 0;
  const worker = async () => {
    while (next < reads.length) await reads[next++]();
  };
  await Promise.all(Array.from({ length: Math.min(READ_CONCURRENCY, reads.length) }, worker));
  return observed;
}

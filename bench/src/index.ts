/**
 * BROM benchmarks. The runnable benchmarks are scripts (`npm run bench:sidecar`); this entry
 * point exports only the statistics helpers they share.
 *
 * @packageDocumentation
 */

export {
  clearlyBelow,
  median,
  percentile,
  percentileOfSorted,
  spread,
  summarizeLatencies,
} from './stats';
export type { LatencySummary, Spread } from './stats';

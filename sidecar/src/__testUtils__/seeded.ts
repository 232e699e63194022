/**
 * A seeded pseudo-random generator (mulberry32) for fuzz tests and the benchmark's workload:
 * deterministic, so a failure names a case that can be rerun and every benchmark run measures
 * the same policy and requests.
 */
export function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

import { performance } from 'node:perf_hooks';
import { median, spread, Spread } from './stats';

/**
 * Times each case in interleaved rounds, as the benchmarks' method asks (several rounds,
 * medians and spread): after `warmup` untimed runs of every case (plans cached, code warm),
 * each round runs every case `calls` times, in an order rotated by one each round so that no
 * case always follows the same one, and keeps the median of those calls. The result holds,
 * in the cases' order, the median with min–max of each case's per-round medians, in ms.
 */
export async function interleavedRounds(
  cases: Record<string, () => Promise<unknown>>,
  options: { rounds: number; calls: number; warmup?: number; now?: () => number },
): Promise<Map<string, Spread>> {
  const now = options.now ?? (() => performance.now());
  const names = Object.keys(cases);
  for (const name of names) {
    for (let i = 0; i < (options.warmup ?? 1); i++) await cases[name]();
  }
  const perRound = new Map<string, number[]>(names.map(name => [name, []]));
  for (let round = 0; round < options.rounds; round++) {
    const shift = round % names.length;
    for (const name of [...names.slice(shift), ...names.slice(0, shift)]) {
      const times: number[] = [];
      for (let i = 0; i < options.calls; i++) {
        const start = now();
        await cases[name]();
        times.push(now() - start);
      }
      perRound.get(name)!.push(median(times));
    }
  }
  return new Map(names.map(name => [name, spread(perRound.get(name)!)]));
}

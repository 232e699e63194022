import { interleavedRounds } from './rounds';

describe('interleavedRounds', () => {
  it('warms every case up, rotates the order each round and reports the spread of per-round medians', async () => {
    const order: string[] = [];
    let clock = 0;
    // Each call of a case advances the clock by its own cost, so each timing is exact.
    const costs: Record<string, number[]> = { a: [], b: [], c: [] };
    const cases = Object.fromEntries(
      Object.keys(costs).map(name => [
        name,
        async () => {
          order.push(name);
          const fixed: Record<string, number> = { a: 1, b: 2 };
          const cost = fixed[name] ?? 3 + order.length;
          costs[name].push(cost);
          clock += cost;
        },
      ]),
    );
    const result = await interleavedRounds(cases, {
      rounds: 3,
      calls: 2,
      warmup: 2,
      now: () => clock,
    });

    expect(order.slice(0, 6)).toEqual(['a', 'a', 'b', 'b', 'c', 'c']);
    // Rounds: a b c, then b c a, then c a b (each case twice in a row).
    expect(order.slice(6)).toEqual([
      'a', 'a', 'b', 'b', 'c', 'c',
      'b', 'b', 'c', 'c', 'a', 'a',
      'c', 'c', 'a', 'a', 'b', 'b',
    ]);
    expect([...result.keys()]).toEqual(['a', 'b', 'c']);
    expect(result.get('a')).toEqual({ median: 1, min: 1, max: 1, n: 3 });
    expect(result.get('b')).toEqual({ median: 2, min: 2, max: 2, n: 3 });
    // c costs 3 + its position in the call order: calls 11–12, 15–16, 19–20 (1-based).
    expect(result.get('c')).toEqual({ median: 18.5, min: 14.5, max: 22.5, n: 3 });
  });
});

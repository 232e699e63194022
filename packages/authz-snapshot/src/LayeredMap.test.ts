import { LayeredMap } from './LayeredMap';
import { seeded } from './__testUtils__/seeded';

const sorted = <K, V>(map: ReadonlyMap<K, V>) =>
  [...map].sort((a, b) => String(a[0]).localeCompare(String(b[0])));

const lookups = <V>(map: ReadonlyMap<string, V>, keys: string[]) =>
  keys.map(k => [map.get(k), map.has(k)]);

describe('LayeredMap', () => {
  it.each([1, 2, 3])(
    'answers as a plain map over random versions, and every version stays as it was (seed %i)',
    seed => {
      const random = seeded(seed);
      const key = () => `k${Math.floor(random() * 300)}`;
      let plain = new Map<string, number>();
      let layered = LayeredMap.of<string, number>([]);
      const versions: Array<[Map<string, number>, LayeredMap<string, number>]> =
        [];
      let folds = 0;
      for (let step = 0; step < 400; step++) {
        const next = new Map(plain);
        const edits = 1 + Math.floor(random() * 6);
        const before = layered;
        layered = layered.with(draft => {
          for (let i = 0; i < edits; i++) {
            const k = key();
            expect(draft.get(k)).toBe(next.get(k));
            expect(draft.has(k)).toBe(next.has(k));
            if (random() < 0.35) {
              draft.delete(k);
              next.delete(k);
            } else {
              draft.set(k, step);
              next.set(k, step);
            }
          }
        });
        if (layered.layerSize < before.layerSize) folds++;
        plain = next;
        expect(layered.size).toBe(plain.size);
        expect(sorted(layered)).toEqual(sorted(plain));
        expect(new Set(layered.keys())).toEqual(new Set(plain.keys()));
        expect([...layered.values()].sort()).toEqual(
          [...plain.values()].sort(),
        );
        const probes = Array.from({ length: 20 }, key);
        expect(lookups(layered, probes)).toEqual(lookups(plain, probes));
        if (step % 50 === 0) versions.push([plain, layered]);
      }
      for (const [expected, version] of versions) {
        expect(version.size).toBe(expected.size);
        expect(sorted(version)).toEqual(sorted(expected));
      }
      // The layer was folded into a new base along the way, and is bounded.
      expect(folds).toBeGreaterThan(0);
      expect(layered.layerSize).toBeLessThanOrEqual(64 + 6);
    },
  );

  it('copies the layer, not the base, for a new version', () => {
    const base = LayeredMap.of<string, number>(
      Array.from({ length: 10_000 }, (_, i) => [`k${i}`, i] as const),
    );
    const next = base.with(draft => {
      draft.set('k1', -1);
      draft.delete('k2');
      draft.set('new', 7);
    });
    expect(next.layerSize).toBe(3);
    expect(next.size).toBe(10_000);
    expect(next.get('k1')).toBe(-1);
    expect(next.has('k2')).toBe(false);
    expect(next.get('new')).toBe(7);
    expect(base.get('k1')).toBe(1);
    expect(base.has('k2')).toBe(true);
    expect(base.has('new')).toBe(false);
    // Iteration: the base's order less what the layer replaced or removed, then the layer.
    expect([...next.keys()].slice(0, 3)).toEqual(['k0', 'k3', 'k4']);
    expect([...next.keys()].slice(-2)).toEqual(['k1', 'new']);
    const seen: string[] = [];
    next.forEach((value, k, map) => {
      expect(map).toBe(next);
      if (value < 1) seen.push(k);
    });
    expect(seen).toEqual(['k0', 'k1']);
  });

  it('refuses undefined values, which a lookup could not tell from a missing key', () => {
    expect(() =>
      LayeredMap.empty<string, number | undefined>().with(d =>
        d.set('a', undefined),
      ),
    ).toThrow(/no undefined values/);
  });

  it('makes one version per draft', () => {
    const draft = LayeredMap.of([['a', 1]]).edit();
    draft.set('b', 2);
    const made = draft.done();
    expect(() => draft.set('c', 3)).toThrow(/has made its version/);
    expect(() => draft.done()).toThrow(/has made its version/);
    expect([...made]).toEqual([
      ['a', 1],
      ['b', 2],
    ]);
  });
});

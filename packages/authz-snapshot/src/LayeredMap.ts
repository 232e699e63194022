/** Marks a key of the base that a layer removed. */
const GONE: unique symbol = Symbol('gone');
type Gone = typeof GONE;

/** The changes of one new version of a {@link LayeredMap}. */
export interface LayeredMapDraft<K, V> {
  get(key: K): V | undefined;
  has(key: K): boolean;
  set(key: K, value: V): void;
  delete(key: K): void;
}

/**
 * The most keys a layer may hold before a new version folds it into a new base: enough that a
 * version costs a copy of a small map rather than of the base, few enough that folding (a copy
 * of the base) comes seldom. A change of c keys then costs O(√n + c) amortised: a copy of at most
 * 4√n layer entries, and a fold of n every 4√n ÷ c versions.
 */
function layerLimit(baseSize: number): number {
  return Math.max(64, 4 * Math.ceil(Math.sqrt(baseSize)));
}

/**
 * An immutable map whose versions share their entries: a base map that no version changes, and
 * a small layer of the keys set or removed since the base was made. A new version
 * (`with`) copies the layer, not the base, so a change of a few keys costs about the square
 * root of the map's size instead of a copy of the whole map; a lookup costs one lookup in the
 * small layer and at most one in the base. Every version stays as it was, so a reader holding
 * one sees exactly that version.
 *
 * Iteration gives the base's entries in their order (less those the layer replaced or removed),
 * then the layer's.
 */
export class LayeredMap<K, V> implements ReadonlyMap<K, V> {
  readonly size: number;
  readonly #base: ReadonlyMap<K, V>;
  readonly #layer: ReadonlyMap<K, V | Gone>;

  private constructor(
    base: ReadonlyMap<K, V>,
    layer: ReadonlyMap<K, V | Gone>,
    size: number,
  ) {
    this.#base = base;
    this.#layer = layer;
    this.size = size;
  }

  /** A map of `entries` (the last of a key wins). */
  static of<K, V>(entries: Iterable<readonly [K, V]>): LayeredMap<K, V> {
    const base = new Map<K, V>(entries);
    return new LayeredMap<K, V>(base, new Map(), base.size);
  }

  /** A map with no entries. */
  static empty<K, V>(): LayeredMap<K, V> {
    return LayeredMap.of<K, V>([]);
  }

  get(key: K): V | undefined {
    const layered = this.#layer.get(key);
    if (layered !== undefined) {
      return layered === GONE ? undefined : layered;
    }
    return this.#base.get(key);
  }

  has(key: K): boolean {
    const layered = this.#layer.get(key);
    if (layered !== undefined) {
      return layered !== GONE;
    }
    return this.#base.has(key);
  }

  /**
   * A new version: this one with what `edit` sets and deletes. This version is left as it was.
   * Values must not be undefined (a lookup could not tell them from a missing key).
   */
  with(edit: (draft: LayeredMapDraft<K, V>) => void): LayeredMap<K, V> {
    const draft = this.edit();
    edit(draft);
    return draft.done();
  }

  /** A draft of a new version, made by `done()`; this version is left as it was. */
  edit(): LayeredMapDraft<K, V> & { done(): LayeredMap<K, V> } {
    const base = this.#base;
    const layer = new Map(this.#layer);
    let size = this.size;
    let done = false;
    const has = (key: K) => {
      const layered = layer.get(key);
      return layered !== undefined ? layered !== GONE : base.has(key);
    };
    const open = () => {
      if (done) throw new Error('This draft has made its version');
    };
    return {
      get: key => {
        const layered = layer.get(key);
        if (layered !== undefined) {
          return layered === GONE ? undefined : layered;
        }
        return base.get(key);
      },
      has,
      set: (key, value) => {
        open();
        if (value === undefined) {
          throw new TypeError('A LayeredMap holds no undefined values');
        }
        if (!has(key)) size++;
        layer.set(key, value);
      },
      delete: key => {
        open();
        if (!has(key)) return;
        size--;
        if (base.has(key)) layer.set(key, GONE);
        else layer.delete(key);
      },
      done: () => {
        open();
        done = true;
        // Over an empty base (a map being filled) the layer is the base: folding costs what
        // copying the layer would.
        if (base.size === 0 || layer.size > layerLimit(base.size)) {
          const unfolded = new LayeredMap(base, layer, size);
          return new LayeredMap(new Map(unfolded), new Map(), size);
        }
        return new LayeredMap(base, layer, size);
      },
    };
  }

  *entries(): MapIterator<[K, V]> {
    const layer = this.#layer;
    for (const entry of this.#base) {
      if (!layer.has(entry[0])) yield entry;
    }
    for (const [key, value] of layer) {
      if (value !== GONE) yield [key, value];
    }
  }

  *keys(): MapIterator<K> {
    for (const [key] of this.entries()) yield key;
  }

  *values(): MapIterator<V> {
    for (const [, value] of this.entries()) yield value;
  }

  [Symbol.iterator](): MapIterator<[K, V]> {
    return this.entries();
  }

  forEach(
    callback: (value: V, key: K, map: ReadonlyMap<K, V>) => void,
    thisArg?: unknown,
  ): void {
    for (const [key, value] of this.entries()) {
      callback.call(thisArg, value, key, this);
    }
  }

  /** Layer entries this version holds (for tests and benchmarks). */
  get layerSize(): number {
    return this.#layer.size;
  }
}

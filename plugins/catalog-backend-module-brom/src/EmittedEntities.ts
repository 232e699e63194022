/** One emitted entity as JSON (to tell whether it changed) and the application it shows. */
export interface EmittedEntity {
  json: string;
  application: string | undefined;
}

/**
 * What the provider last emitted, by entity ref, with the refs each application shows: a
 * change's removals are looked up among its applications' entities, not among all of them.
 */
export class EmittedEntities {
  readonly #byRef = new Map<string, EmittedEntity>();
  readonly #refsOf = new Map<string, Set<string>>();

  get(ref: string): EmittedEntity | undefined {
    return this.#byRef.get(ref);
  }

  set(ref: string, entity: EmittedEntity) {
    this.delete(ref);
    this.#byRef.set(ref, entity);
    if (entity.application === undefined) return;
    const refs = this.#refsOf.get(entity.application);
    if (refs) refs.add(ref);
    else this.#refsOf.set(entity.application, new Set([ref]));
  }

  delete(ref: string) {
    const entity = this.#byRef.get(ref);
    if (!entity) return;
    this.#byRef.delete(ref);
    if (entity.application === undefined) return;
    const refs = this.#refsOf.get(entity.application);
    refs?.delete(ref);
    if (refs?.size === 0) this.#refsOf.delete(entity.application);
  }

  refsOf(application: string): Iterable<string> {
    return this.#refsOf.get(application) ?? [];
  }
}

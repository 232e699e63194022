import { CatalogExport } from '@internal/plugin-brom-common';

type ExportApplication = CatalogExport['applications'][number];
type ExportType = CatalogExport['notificationTypes'][number];
type ExportSubscription = CatalogExport['subscriptions'][number];

const refKey = (entityRef: string) => entityRef.toLocaleLowerCase('en-US');

/**
 * BROM's catalog export by application, what {@link BromRelationsProcessor} looks up for every
 * Component the catalog processes. Built once from a full export; a change replaces the rows of
 * only the applications it touched, in place, so a change costs its own size. (Rebuilding the
 * export and its index on every change cost 70–220 ms of the backend's event loop at 10x the
 * benchmark's scale: 30,000 applications, 50,000 types, 100,000 subscriptions.)
 */
export class CatalogIndex {
  #version: number;
  readonly #applications = new Map<string, ExportApplication>();
  readonly #types = new Map<string, ExportType[]>();
  readonly #subscriptions = new Map<string, ExportSubscription[]>();
  /** Applications by the entity ref they link to, in lower case. */
  readonly #linked = new Map<string, ExportApplication[]>();

  private constructor(version: number) {
    this.#version = version;
  }

  static of(data: CatalogExport): CatalogIndex {
    const index = new CatalogIndex(data.version);
    index.#add(data);
    return index;
  }

  /** The version of BROM's state the index shows. */
  get version(): number {
    return this.#version;
  }

  /** The applications linked to a catalog entity (its ref in any case). */
  linkedTo(entityRef: string): readonly ExportApplication[] {
    return this.#linked.get(refKey(entityRef)) ?? [];
  }

  typesOf(application: string): readonly ExportType[] {
    return this.#types.get(application) ?? [];
  }

  /** The approved subscriptions the application consumes. */
  subscriptionsOf(application: string): readonly ExportSubscription[] {
    return this.#subscriptions.get(application) ?? [];
  }

  /** Every entity ref an application links to, in lower case. */
  linkedRefs(): string[] {
    return [...this.#linked.keys()];
  }

  /** The entity refs (lower case) the named applications link to. */
  linkedRefsOf(applications: Iterable<string>): string[] {
    const refs: string[] = [];
    for (const name of applications) {
      const ref = this.#applications.get(name)?.entityRef;
      if (ref) refs.push(refKey(ref));
    }
    return refs;
  }

  /**
   * Replaces everything of the `touched` applications with `part`, the export of only those
   * applications that BROM's change log answers with, and takes its version.
   */
  replace(part: CatalogExport, touched: ReadonlySet<string>): void {
    for (const name of touched) {
      const app = this.#applications.get(name);
      if (app?.entityRef) {
        const key = refKey(app.entityRef);
        const rest = (this.#linked.get(key) ?? []).filter(a => a.name !== name);
        if (rest.length) this.#linked.set(key, rest);
        else this.#linked.delete(key);
      }
      this.#applications.delete(name);
      this.#types.delete(name);
      this.#subscriptions.delete(name);
    }
    this.#add(part);
    this.#version = part.version;
  }

  #add(data: CatalogExport) {
    for (const app of data.applications) {
      this.#applications.set(app.name, app);
      if (app.entityRef) push(this.#linked, refKey(app.entityRef), app);
    }
    for (const type of data.notificationTypes) {
      push(this.#types, type.application, type);
    }
    for (const sub of data.subscriptions) {
      push(this.#subscriptions, sub.consumer, sub);
    }
  }
}

function push<T>(map: Map<string, T[]>, key: string, item: T) {
  const list = map.get(key);
  if (list) list.push(item);
  else map.set(key, [item]);
}

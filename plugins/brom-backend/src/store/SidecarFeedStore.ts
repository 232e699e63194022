import { BromStore } from './BromStore';

/** Which snapshot version each sidecar instance last held, and when it said so. */
export interface SidecarHolding {
  instance: string;
  version: number;
  seenAt: string;
}

/**
 * What the sidecars hold: the authz feed records each poll, the reconciler waits for every
 * recently seen sidecar before it closes revoked users' connections.
 */
export interface SidecarFeedStore {
  recordHeld(holding: SidecarHolding): Promise<void>;
  /** Instances seen at or after `since` (ISO time). */
  listSeenSince(since: string): Promise<SidecarHolding[]>;
}

export class DatabaseSidecarFeedStore implements SidecarFeedStore {
  readonly #store: BromStore;

  private constructor(store: BromStore) {
    this.#store = store;
  }

  static create(options: { store: BromStore }): DatabaseSidecarFeedStore {
    return new DatabaseSidecarFeedStore(options.store);
  }

  async recordHeld({
    instance,
    version,
    seenAt,
  }: SidecarHolding): Promise<void> {
    await this.#store.db
      .insertInto('brom_sidecar_feed')
      .values({ instance, version, seen_at: seenAt })
      .onConflict(oc =>
        oc.column('instance').doUpdateSet({ version, seen_at: seenAt }),
      )
      .execute();
  }

  async listSeenSince(since: string): Promise<SidecarHolding[]> {
    const rows = await this.#store.db
      .selectFrom('brom_sidecar_feed')
      .selectAll()
      .where('seen_at', '>=', since)
      .execute();
    return rows.map(r => ({
      instance: r.instance,
      version: Number(r.version),
      seenAt: r.seen_at,
    }));
  }
}

import {
  AuthService,
  DiscoveryService,
  LoggerService,
} from '@backstage/backend-plugin-api';
import { Config } from '@backstage/config';
import {
  ANNOTATION_LOCATION,
  ANNOTATION_ORIGIN_LOCATION,
  Entity,
  stringifyEntityRef,
} from '@backstage/catalog-model';
import { ResponseError } from '@backstage/errors';
import {
  CatalogService,
  EntityProvider,
  EntityProviderConnection,
} from '@backstage/plugin-catalog-node';
import { CatalogChanges, CatalogExport } from '@internal/plugin-brom-common';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { CatalogIndex } from './CatalogIndex';
import { EmittedEntities } from './EmittedEntities';
import { ANNOTATION_BROM_APPLICATION, entitiesFromExport } from './entities';

const PROVIDER_NAME = 'brom';

/** BROM holds a long-poll for at most this long. */
const MAX_CHANGE_WAIT_SECONDS = 60;

/**
 * Mirrors BROM's applications and notification types into the catalog. It reads BROM's
 * service API with a plugin-to-plugin token (a module cannot reach another plugin's
 * database). A long-poll on BROM's change log (its domain events) answers with the
 * applications a change touched and their rows only; the provider rebuilds just their
 * entities and applies a delta of those that differ from what it emitted. The whole export
 * (megabytes at scale) is read only by the full mutation on a slow schedule, the safety net,
 * and when the log cannot say what changed.
 * Linked Components (not emitted here) are refreshed so {@link BromRelationsProcessor}
 * re-adds their relations.
 */
export class BromEntityProvider implements EntityProvider {
  readonly #logger: LoggerService;
  readonly #discovery: DiscoveryService;
  readonly #auth: AuthService;
  readonly #catalog?: CatalogService;
  readonly #portalUrl: string;
  readonly fullRefreshSeconds: number;
  readonly pollSeconds: number;
  /** How long one long-poll waits for a change before it answers "none". */
  readonly changeWaitSeconds: number;
  #connection?: EntityProviderConnection;
  /** BROM's state as the relations processor reads it; undefined before the first full mutation. */
  #index?: CatalogIndex;
  /** What was last emitted, by entity ref: the entity as JSON and the application it shows. */
  #emitted = new EmittedEntities();
  /** The change-log position of what was last emitted; undefined before the first full mutation. */
  #sequence: number | undefined;
  #refreshing: Promise<void> | undefined;

  private constructor(options: {
    logger: LoggerService;
    discovery: DiscoveryService;
    auth: AuthService;
    catalog?: CatalogService;
    portalUrl: string;
    fullRefreshSeconds: number;
    pollSeconds: number;
    changeWaitSeconds: number;
  }) {
    this.#logger = options.logger.child({ provider: PROVIDER_NAME });
    this.#discovery = options.discovery;
    this.#auth = options.auth;
    this.#catalog = options.catalog;
    this.#portalUrl = options.portalUrl;
    this.fullRefreshSeconds = options.fullRefreshSeconds;
    this.pollSeconds = options.pollSeconds;
    this.changeWaitSeconds = options.changeWaitSeconds;
  }

  static fromConfig(
    config: Config,
    deps: {
      logger: LoggerService;
      discovery: DiscoveryService;
      auth: AuthService;
      catalog?: CatalogService;
    },
  ) {
    const appBaseUrl =
      config.getOptionalString('app.baseUrl') ?? 'http://localhost:3000';
    return new BromEntityProvider({
      ...deps,
      portalUrl: `${appBaseUrl.replace(/\/$/, '')}/brom`,
      fullRefreshSeconds:
        config.getOptionalNumber('brom.catalog.fullRefreshSeconds') ?? 600,
      pollSeconds: config.getOptionalNumber('brom.catalog.pollSeconds') ?? 1,
      changeWaitSeconds: Math.min(
        config.getOptionalNumber('brom.catalog.changeWaitSeconds') ?? 30,
        MAX_CHANGE_WAIT_SECONDS,
      ),
    });
  }

  getProviderName(): string {
    return PROVIDER_NAME;
  }

  async connect(connection: EntityProviderConnection): Promise<void> {
    this.#connection = connection;
  }

  /** BROM's state the relations processor works from. */
  latest(): CatalogIndex | undefined {
    return this.#index;
  }

  /** Pure: the entities that describe one export of BROM's state. */
  read(data: CatalogExport): Entity[] {
    const location = `url:${this.#portalUrl}`;
    return entitiesFromExport(data, { portalUrl: this.#portalUrl }).map(
      entity => ({
        ...entity,
        metadata: {
          ...entity.metadata,
          annotations: {
            ...entity.metadata.annotations,
            [ANNOTATION_LOCATION]: location,
            [ANNOTATION_ORIGIN_LOCATION]: location,
          },
        },
      }),
    );
  }

  /** Replaces every entity of this provider (one at a time: a call meanwhile waits for it). */
  fullRefresh(): Promise<void> {
    this.#refreshing ??= this.#fullRefresh().finally(() => {
      this.#refreshing = undefined;
    });
    return this.#refreshing;
  }

  async #fullRefresh(): Promise<void> {
    const connection = this.#requireConnection();
    const data = await this.#fetchExport();
    // At 10x the benchmark's scale each step below runs 0.3-0.8 s without a break (80,000
    // entities): the event loop turns between them, so requests are not held for the sum.
    await nextTurn();
    const entities = this.read(data);
    await nextTurn();
    await connection.applyMutation({
      type: 'full',
      entities: entities.map(entity => ({
        entity,
        locationKey: this.#locationKey(),
      })),
    });
    await nextTurn();
    this.#emitted = new EmittedEntities();
    for (const e of entities)
      this.#emitted.set(stringifyEntityRef(e), emitted(e));
    this.#sequence = data.sequence;
    const before = this.#index;
    this.#index = CatalogIndex.of(data);
    await this.#refreshLinked(
      [...(before?.linkedRefs() ?? []), ...this.#index.linkedRefs()],
      before?.version,
    );
  }

  /**
   * Long-polls the change log again and again until `ms` have passed since the call: each
   * answer is followed at once by the next long-poll, so a change committed while the one
   * before it was being applied waits only for that (a scheduler's pause between single polls
   * would add up to a whole interval to it). The module's scheduler starts this every
   * `pollSeconds`; a run that fails ends early, and the scheduler's interval is then the pause
   * before the next. Each long-poll answers only when BROM's state moved, so this does not spin.
   */
  async pollFor(ms: number, signal?: AbortSignal): Promise<void> {
    const until = Date.now() + ms;
    do {
      await this.poll(signal);
    } while (Date.now() < until && !signal?.aborted);
  }

  /**
   * Waits up to {@link BromEntityProvider.changeWaitSeconds} for a change in BROM's change log
   * after the position last emitted; if something changed, rebuilds the entities of only the
   * applications it touched and applies those that differ. Before the first full mutation, or
   * when the log cannot say (too many changes, another database), it runs the full mutation.
   */
  async poll(signal?: AbortSignal): Promise<void> {
    const connection = this.#requireConnection();
    const after = this.#sequence;
    if (after === undefined) {
      await this.fullRefresh();
      return;
    }
    const query = new URLSearchParams({
      after: String(after),
      waitSeconds: String(this.changeWaitSeconds),
    });
    const changes = await this.#get<CatalogChanges>(
      `/service/catalog-changes?${query}`,
      signal,
    );
    if (this.#sequence !== after) return; // a full mutation ran meanwhile
    if (changes.full || !changes.export || !changes.applications) {
      this.#logger.info(
        'BROM changed too much to say what: applying a full mutation',
      );
      await this.fullRefresh();
      return;
    }
    if (changes.sequence === after) return;
    const touched = new Set(changes.applications);
    const part = changes.export;
    const entities = this.read(part);
    const next = new Map(
      entities.map(e => [stringifyEntityRef(e), emitted(e)]),
    );
    const added = entities.filter(
      e =>
        this.#emitted.get(stringifyEntityRef(e))?.json !==
        next.get(stringifyEntityRef(e))!.json,
    );
    const removed: string[] = [];
    for (const application of touched) {
      for (const ref of this.#emitted.refsOf(application)) {
        if (!next.has(ref)) removed.push(ref);
      }
    }
    if (added.length || removed.length) {
      await connection.applyMutation({
        type: 'delta',
        added: added.map(entity => ({
          entity,
          locationKey: this.#locationKey(),
        })),
        removed: removed.map(entityRef => ({
          entityRef,
          locationKey: this.#locationKey(),
        })),
      });
    }
    for (const ref of removed) this.#emitted.delete(ref);
    for (const [ref, e] of next) this.#emitted.set(ref, e);
    this.#sequence = changes.sequence;
    // What the relations processor reads: the touched applications' rows replaced.
    const index = this.#index!;
    const version = index.version;
    const before = index.linkedRefsOf(touched);
    index.replace(part, touched);
    await this.#refreshLinked(
      [...before, ...index.linkedRefsOf(touched)],
      version,
    );
  }

  /**
   * Refreshes linked Components whose relations may have changed (`refs`, lower case: those
   * of the applications a change touched, before and after it), unless BROM's version is still
   * `previousVersion`.
   */
  async #refreshLinked(refs: string[], previousVersion: number | undefined) {
    const affected = new Set(refs);
    if (!this.#catalog || affected.size === 0) return;
    if (previousVersion === this.#index?.version) return;
    const credentials = await this.#auth.getOwnServiceCredentials();
    for (const ref of affected) {
      await this.#catalog
        .refreshEntity(ref, { credentials })
        .catch(error =>
          this.#logger.debug(
            `Could not refresh linked entity ${ref}: ${error}`,
          ),
        );
    }
  }

  #locationKey() {
    return `brom-provider:${PROVIDER_NAME}`;
  }

  #requireConnection(): EntityProviderConnection {
    if (!this.#connection) {
      throw new Error('BromEntityProvider is not connected to the catalog');
    }
    return this.#connection;
  }

  #fetchExport(signal?: AbortSignal): Promise<CatalogExport> {
    return this.#get<CatalogExport>('/service/catalog-export', signal);
  }

  async #get<T>(path: string, signal?: AbortSignal): Promise<T> {
    const { token } = await this.#auth.getPluginRequestToken({
      onBehalfOf: await this.#auth.getOwnServiceCredentials(),
      targetPluginId: 'brom',
    });
    const baseUrl = await this.#discovery.getBaseUrl('brom');
    const res = await fetch(`${baseUrl}${path}`, {
      headers: { Authorization: `Bearer ${token}` },
      signal,
    });
    if (!res.ok) throw await ResponseError.fromResponse(res);
    return (await res.json()) as T;
  }
}

/** What is remembered of an emitted entity: its JSON, and the application it shows. */
function emitted(entity: Entity): {
  json: string;
  application: string | undefined;
} {
  return {
    json: JSON.stringify(entity),
    application: entity.metadata.annotations?.[ANNOTATION_BROM_APPLICATION],
  };
}

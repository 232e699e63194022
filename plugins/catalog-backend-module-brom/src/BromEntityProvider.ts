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
import { CatalogExport } from '@internal/plugin-brom-common';
import { entitiesFromExport } from './entities';

const PROVIDER_NAME = 'brom';

/** BROM holds a long-poll for at most this long. */
const MAX_CHANGE_WAIT_SECONDS = 60;

/**
 * Mirrors BROM's applications and notification types into the catalog. It reads BROM's
 * service API with a plugin-to-plugin token (a module cannot reach another plugin's
 * database). A long-poll on BROM's state version tells it when something changed; only then
 * does it download the export (megabytes at scale) and apply a delta of the entities that
 * differ from what it last emitted. A full mutation on a slow schedule is the safety net.
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
  #latest?: CatalogExport;
  #emitted = new Map<string, string>();
  #linked = new Set<string>();

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
    const appBaseUrl = config.getOptionalString('app.baseUrl') ?? 'http://localhost:3000';
    return new BromEntityProvider({
      ...deps,
      portalUrl: `${appBaseUrl.replace(/\/$/, '')}/brom`,
      fullRefreshSeconds:
        config.getOptionalNumber('brom.catalog.fullRefreshSeconds') ?? 600,
      pollSeconds: config.getOptionalNumber('brom.catalog.pollSeconds') ?? 3,
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

  /** The export the relations processor works from. */
  latest(): CatalogExport | undefined {
    return this.#latest;
  }

  /** Pure: the entities that describe one export of BROM's state. */
  read(data: CatalogExport): Entity[] {
    const location = `url:${this.#portalUrl}`;
    return entitiesFromExport(data, { portalUrl: this.#portalUrl }).map(entity => ({
      ...entity,
      metadata: {
        ...entity.metadata,
        annotations: {
          ...entity.metadata.annotations,
          [ANNOTATION_LOCATION]: location,
          [ANNOTATION_ORIGIN_LOCATION]: location,
        },
      },
    }));
  }

  /** Replaces every entity of this provider. */
  async fullRefresh(): Promise<void> {
    const connection = this.#requireConnection();
    const data = await this.#fetchExport();
    const entities = this.read(data);
    await connection.applyMutation({
      type: 'full',
      entities: entities.map(entity => ({ entity, locationKey: this.#locationKey() })),
    });
    this.#emitted = new Map(entities.map(e => [stringifyEntityRef(e), JSON.stringify(e)]));
    await this.#accept(data);
  }

  /**
   * Waits up to {@link BromEntityProvider.changeWaitSeconds} for BROM's state to move past the
   * export last read; if it moved, downloads the export and applies what changed since the
   * last mutation.
   */
  async poll(signal?: AbortSignal): Promise<void> {
    const connection = this.#requireConnection();
    const held = this.#latest?.version;
    if (held !== undefined && (await this.#waitForChange(held, signal)) === held) return;
    const data = await this.#fetchExport(signal);
    if (this.#latest && data.version === this.#latest.version) return;
    const entities = this.read(data);
    const next = new Map(entities.map(e => [stringifyEntityRef(e), JSON.stringify(e)]));
    const added = entities.filter(
      e => this.#emitted.get(stringifyEntityRef(e)) !== next.get(stringifyEntityRef(e)),
    );
    const removed = [...this.#emitted.keys()].filter(ref => !next.has(ref));
    if (added.length || removed.length) {
      await connection.applyMutation({
        type: 'delta',
        added: added.map(entity => ({ entity, locationKey: this.#locationKey() })),
        removed: removed.map(entityRef => ({ entityRef, locationKey: this.#locationKey() })),
      });
    }
    this.#emitted = next;
    await this.#accept(data);
  }

  async #accept(data: CatalogExport) {
    const previous = this.#latest;
    this.#latest = data;
    const linked = new Set(
      data.applications.flatMap(a => (a.entityRef ? [a.entityRef.toLocaleLowerCase('en-US')] : [])),
    );
    const affected = new Set([...linked, ...this.#linked]);
    this.#linked = linked;
    if (!this.#catalog || affected.size === 0) return;
    if (previous && previous.version === data.version) return;
    const credentials = await this.#auth.getOwnServiceCredentials();
    for (const ref of affected) {
      await this.#catalog.refreshEntity(ref, { credentials }).catch(error =>
        this.#logger.debug(`Could not refresh linked entity ${ref}: ${error}`),
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

  /** BROM's state version once it is not `after`, or `after` when the wait ran out. */
  async #waitForChange(after: number, signal?: AbortSignal): Promise<number> {
    const query = new URLSearchParams({
      after: String(after),
      waitSeconds: String(this.changeWaitSeconds),
    });
    const { version } = await this.#get<{ version: number }>(
      `/service/catalog-version?${query}`,
      signal,
    );
    return version;
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

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
} from '@backstage/catalog-model';
import { ResponseError } from '@backstage/errors';
import {
  EntityProvider,
  EntityProviderConnection,
} from '@backstage/plugin-catalog-node';
import { CatalogExport } from '@internal/plugin-brom-common';
import { entitiesFromExport } from './entities';

const PROVIDER_NAME = 'brom';

/**
 * Mirrors BROM's applications and notification types into the catalog. It reads BROM's
 * service API with a plugin-to-plugin token (a module cannot reach another plugin's
 * database) and replaces its whole set of entities on each refresh.
 */
export class BromEntityProvider implements EntityProvider {
  readonly #logger: LoggerService;
  readonly #discovery: DiscoveryService;
  readonly #auth: AuthService;
  readonly #portalUrl: string;
  readonly fullRefreshSeconds: number;
  #connection?: EntityProviderConnection;
  #lastVersion = -1;

  private constructor(options: {
    logger: LoggerService;
    discovery: DiscoveryService;
    auth: AuthService;
    portalUrl: string;
    fullRefreshSeconds: number;
  }) {
    this.#logger = options.logger.child({ provider: PROVIDER_NAME });
    this.#discovery = options.discovery;
    this.#auth = options.auth;
    this.#portalUrl = options.portalUrl;
    this.fullRefreshSeconds = options.fullRefreshSeconds;
  }

  static fromConfig(
    config: Config,
    deps: { logger: LoggerService; discovery: DiscoveryService; auth: AuthService },
  ) {
    const appBaseUrl = config.getOptionalString('app.baseUrl') ?? 'http://localhost:3000';
    return new BromEntityProvider({
      ...deps,
      portalUrl: `${appBaseUrl.replace(/\/$/, '')}/brom`,
      fullRefreshSeconds: config.getOptionalNumber('brom.catalog.refreshSeconds') ?? 5,
    });
  }

  getProviderName(): string {
    return PROVIDER_NAME;
  }

  getTaskId(): string {
    return `${PROVIDER_NAME}:refresh`;
  }

  async connect(connection: EntityProviderConnection): Promise<void> {
    this.#connection = connection;
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

  /** Fetches BROM's state and, when it moved, replaces this provider's entities. */
  async refresh(): Promise<void> {
    const connection = this.#connection;
    if (!connection) throw new Error('BromEntityProvider is not connected to the catalog');
    const data = await this.#fetchExport();
    if (data.version === this.#lastVersion) return;
    const entities = this.read(data);
    await connection.applyMutation({
      type: 'full',
      entities: entities.map(entity => ({ entity, locationKey: `brom:${PROVIDER_NAME}` })),
    });
    this.#lastVersion = data.version;
    this.#logger.debug(`Published ${entities.length} entities for BROM version ${data.version}`);
  }

  async #fetchExport(): Promise<CatalogExport> {
    const { token } = await this.#auth.getPluginRequestToken({
      onBehalfOf: await this.#auth.getOwnServiceCredentials(),
      targetPluginId: 'brom',
    });
    const baseUrl = await this.#discovery.getBaseUrl('brom');
    const res = await fetch(`${baseUrl}/service/catalog-export`, {
      headers: { Authorization: `Bearer ${token}` },
    });
    if (!res.ok) throw await ResponseError.fromResponse(res);
    return (await res.json()) as CatalogExport;
  }
}

import {
  AuthService,
  DiscoveryService,
  LoggerService,
  RootConfigService,
  SchedulerService,
} from '@backstage/backend-plugin-api';
import {
  ANNOTATION_LOCATION,
  ANNOTATION_ORIGIN_LOCATION,
  Entity,
  GroupEntity,
  parseEntityRef,
  UserEntity,
} from '@backstage/catalog-model';
import { ResponseError } from '@backstage/errors';
import {
  CatalogProcessingExtensionPoint,
  EntityProvider,
  EntityProviderConnection,
} from '@backstage/plugin-catalog-node';
import { OrgExport } from '@internal/plugin-brom-common';

const PROVIDER_NAME = 'brom-org';

/** An unchanged export is published again after this long, a safety net for a lost mutation. */
export const REPUBLISH_MS = 10 * 60_000;

/**
 * Publishes BROM's users and groups as catalog `User` and `Group` entities with
 * `memberOf` relations, so pages can show who is in which team. They come from Feide at
 * sign-in and from nowhere else: production config refuses `User` and `Group` entities from
 * catalog files. The export is small and changes at sign-ins, so a change is published as a
 * full mutation, which also drops groups nobody is a member of any more; an unchanged export
 * is not published again until {@link REPUBLISH_MS} has passed.
 */
export class BromOrgEntityProvider implements EntityProvider {
  readonly #logger: LoggerService;
  readonly #discovery: DiscoveryService;
  readonly #auth: AuthService;
  readonly #location: string;
  /** How often the export is read (`brom.catalog.orgRefreshSeconds`). */
  readonly refreshSeconds: number;
  readonly #now: () => number;
  #connection?: EntityProviderConnection;
  /** What the last mutation published, as JSON, and when. */
  #published?: { json: string; at: number };

  private constructor(options: {
    logger: LoggerService;
    discovery: DiscoveryService;
    auth: AuthService;
    portalUrl: string;
    refreshSeconds: number;
    now?: () => number;
  }) {
    this.#logger = options.logger.child({ provider: PROVIDER_NAME });
    this.#discovery = options.discovery;
    this.#auth = options.auth;
    this.#location = `url:${options.portalUrl}`;
    this.refreshSeconds = options.refreshSeconds;
    this.#now = options.now ?? Date.now;
  }

  static fromConfig(
    config: RootConfigService,
    deps: {
      logger: LoggerService;
      discovery: DiscoveryService;
      auth: AuthService;
      /** The clock that decides when an unchanged export is published again (tests). */
      now?: () => number;
    },
  ): BromOrgEntityProvider {
    const appBaseUrl =
      config.getOptionalString('app.baseUrl') ?? 'http://localhost:3000';
    return new BromOrgEntityProvider({
      ...deps,
      portalUrl: `${appBaseUrl.replace(/\/$/, '')}/brom`,
      refreshSeconds:
        config.getOptionalNumber('brom.catalog.orgRefreshSeconds') ?? 5,
      now: deps.now,
    });
  }

  getProviderName(): string {
    return PROVIDER_NAME;
  }

  async connect(connection: EntityProviderConnection): Promise<void> {
    this.#connection = connection;
  }

  /** Pure: the `User` and `Group` entities that describe one export. */
  read(data: OrgExport): Entity[] {
    const annotations = {
      [ANNOTATION_LOCATION]: this.#location,
      [ANNOTATION_ORIGIN_LOCATION]: this.#location,
    };
    const groups = data.groups.map(
      (group): GroupEntity => ({
        apiVersion: 'backstage.io/v1alpha1',
        kind: 'Group',
        metadata: {
          name: parseEntityRef(group.entityRef).name,
          title: group.displayName,
          annotations,
        },
        spec: {
          type: 'team',
          profile: { displayName: group.displayName },
          children: [],
        },
      }),
    );
    const users = data.users.map(
      (user): UserEntity => ({
        apiVersion: 'backstage.io/v1alpha1',
        kind: 'User',
        metadata: { name: parseEntityRef(user.entityRef).name, annotations },
        spec: {
          profile: {
            displayName: user.displayName,
            ...(user.email ? { email: user.email } : {}),
          },
          memberOf: user.memberOf,
        },
      }),
    );
    return [...groups, ...users];
  }

  /** Replaces every user and group of this provider with BROM's current export. */
  async refresh(): Promise<void> {
    if (!this.#connection) {
      throw new Error('BromOrgEntityProvider is not connected to the catalog');
    }
    await this.publish(await this.#fetchExport());
  }

  /**
   * Publishes an export as a full mutation, unless it is what the last mutation published
   * less than {@link REPUBLISH_MS} ago: an unchanged export every few seconds would otherwise
   * have the catalog compare every user and group again each time. Resolves with whether it
   * published.
   */
  async publish(data: OrgExport): Promise<boolean> {
    if (!this.#connection) {
      throw new Error('BromOrgEntityProvider is not connected to the catalog');
    }
    const entities = this.read(data);
    const json = JSON.stringify(entities);
    const now = this.#now();
    if (this.#published?.json === json && now - this.#published.at < REPUBLISH_MS) {
      return false;
    }
    await this.#connection.applyMutation({
      type: 'full',
      entities: entities.map(entity => ({
        entity,
        locationKey: `brom-provider:${PROVIDER_NAME}`,
      })),
    });
    this.#published = { json, at: now };
    this.#logger.debug(`Published ${entities.length} users and groups`);
    return true;
  }

  async #fetchExport(): Promise<OrgExport> {
    const { token } = await this.#auth.getPluginRequestToken({
      onBehalfOf: await this.#auth.getOwnServiceCredentials(),
      targetPluginId: 'brom',
    });
    const baseUrl = await this.#discovery.getBaseUrl('brom');
    const res = await fetch(`${baseUrl}/service/org-export`, {
      headers: { Authorization: `Bearer ${token}` },
    });
    if (!res.ok) throw await ResponseError.fromResponse(res);
    return (await res.json()) as OrgExport;
  }
}

/**
 * Adds {@link BromOrgEntityProvider} to the catalog and schedules its refresh; for the
 * catalog module's `init`.
 */
export async function registerBromOrgProvider(options: {
  catalogProcessing: CatalogProcessingExtensionPoint;
  scheduler: SchedulerService;
  config: RootConfigService;
  logger: LoggerService;
  discovery: DiscoveryService;
  auth: AuthService;
}): Promise<BromOrgEntityProvider> {
  const provider = BromOrgEntityProvider.fromConfig(options.config, options);
  options.catalogProcessing.addEntityProvider(provider);
  await options.scheduler.scheduleTask({
    id: 'brom:org-refresh',
    frequency: { seconds: provider.refreshSeconds },
    timeout: { minutes: 1 },
    initialDelay: { seconds: 1 },
    scope: 'local',
    fn: () => provider.refresh(),
  });
  return provider;
}

import {
  NotificationSendOptions,
  NotificationService,
  notificationService,
} from '@backstage/plugin-notifications-node';
import {
  AuthService,
  BackendFeature,
  BackstageCredentials,
  coreServices,
  createBackendModule,
  createServiceFactory,
  HttpAuthService,
} from '@backstage/backend-plugin-api';
import {
  mockCredentials,
  mockServices,
  startTestBackend,
  TestDatabaseId,
  TestDatabases,
} from '@backstage/backend-test-utils';
import {
  AuthenticationError,
  InputError,
  NotAllowedError,
} from '@backstage/errors';
import permissionPlugin from '@backstage/plugin-permission-backend';
import { PermissionPolicy } from '@backstage/plugin-permission-node';
import { policyExtensionPoint } from '@backstage/plugin-permission-node/alpha';
import { Knex } from 'knex';
import { bromPermissionPolicyModule } from '../permissions/policy';
import bromPlugin from '../index';
import { BromTestClient } from './client';

export const TEAM_A = 'group:default/team-a';
export const TEAM_B = 'group:default/team-b';
export const TEAM_C = 'group:default/team-c';
export const ADMINS = 'group:default/brom-admins';

/** The people of the tests and the groups their sign-in gives them. */
export const ALICE = 'user:default/alice';
export const BOB = 'user:default/bob';
/** Alice's team mate: the second pair of eyes. */
export const CAROL = 'user:default/carol';
/** Owns nothing the tests touch. */
export const MALLORY = 'user:default/mallory';
export const ADMIN = 'user:default/admin';

const GROUPS: Record<string, string[]> = {
  [ALICE]: [TEAM_A],
  [BOB]: [TEAM_B],
  [CAROL]: [TEAM_A],
  [MALLORY]: [TEAM_C],
  [ADMIN]: [ADMINS],
};

export const TEST_CONFIG = {
  permission: { enabled: true },
  // Every response of the API tests is checked against openapi.yaml.
  brom: { admins: [ADMINS], api: { validateResponses: true } },
};

/**
 * Ownership claims as a sign-in resolver gives them: the user and their groups. Both BROM
 * and the permission backend read them through this service.
 */
export const userInfoFactory = createServiceFactory({
  service: coreServices.userInfo,
  deps: {},
  factory: () => ({
    async getUserInfo(credentials: BackstageCredentials) {
      const principal = credentials.principal as any;
      if (principal.type !== 'user') {
        throw new InputError(
          `User info not available for principal type '${principal.type}'`,
        );
      }
      return {
        userEntityRef: principal.userEntityRef,
        ownershipEntityRefs: [
          principal.userEntityRef,
          ...(GROUPS[principal.userEntityRef] ?? []),
        ],
      };
    },
  }),
});

const SERVICE_TOKEN_PREFIX = 'mock-service-token:';

/**
 * The mock auth service forwards a user as a bare user token to another plugin; a real
 * backend sends a plugin token on behalf of the user, which the receiver sees as a user
 * principal with the calling plugin as `actor`. The permission backend relies on that
 * (conditional decisions without a resource ref are refused for direct user requests), so
 * the tests model it: the token names its issuing plugin and the receiver sets the actor.
 */
export const authFactory = createServiceFactory({
  service: coreServices.auth,
  deps: { plugin: coreServices.pluginMetadata },
  factory({ plugin }): AuthService {
    const pluginId = plugin.getId();
    const inner = mockServices.auth({ pluginId });
    return {
      authenticate: (token, options) => inner.authenticate(token, options),
      isPrincipal: inner.isPrincipal.bind(inner) as AuthService['isPrincipal'],
      getNoneCredentials: () => inner.getNoneCredentials(),
      getOwnServiceCredentials: () => inner.getOwnServiceCredentials(),
      getLimitedUserToken: credentials =>
        inner.getLimitedUserToken(credentials),
      listPublicServiceKeys: () => inner.listPublicServiceKeys(),
      async getPluginRequestToken(options: {
        onBehalfOf: BackstageCredentials;
        targetPluginId: string;
      }) {
        const principal = options.onBehalfOf.principal as any;
        if (principal.type === 'user') {
          return {
            token: `${SERVICE_TOKEN_PREFIX}${JSON.stringify({
              sub: `plugin:${pluginId}`,
              obo: principal.userEntityRef,
              target: options.targetPluginId,
            })}`,
          };
        }
        return inner.getPluginRequestToken(options);
      },
    };
  },
});

export const httpAuthFactory = createServiceFactory({
  service: coreServices.httpAuth,
  deps: { plugin: coreServices.pluginMetadata },
  factory({ plugin }): HttpAuthService {
    const pluginId = plugin.getId();
    // Requests without credentials are anonymous, as in a real backend.
    const inner = mockServices.httpAuth({
      pluginId,
      defaultCredentials: mockCredentials.none(),
    });
    return {
      async credentials(req: any, options?: any) {
        const token = String(req.headers.authorization ?? '').match(
          /^Bearer[ ]+(\S+)$/i,
        )?.[1];
        if (token?.startsWith(SERVICE_TOKEN_PREFIX)) {
          const { sub, obo, target } = JSON.parse(
            token.slice(SERVICE_TOKEN_PREFIX.length),
          );
          if (obo && sub) {
            if (target && target !== pluginId) {
              throw new AuthenticationError(
                `Token for ${target} sent to ${pluginId}`,
              );
            }
            if (options?.allow && !options.allow.includes('user')) {
              throw new NotAllowedError(
                `This endpoint does not allow 'user' credentials`,
              );
            }
            return mockCredentials.user(obo, {
              actor: { subject: sub },
            }) as any;
          }
        }
        return inner.credentials(req, options);
      },
      issueUserCookie: inner.issueUserCookie.bind(inner),
    } as HttpAuthService;
  },
});

/** Installs `policy` as the permission backend's policy, in place of BROM's. */
function permissionPolicyModule(policy: PermissionPolicy) {
  return createBackendModule({
    pluginId: 'permission',
    moduleId: 'test-policy',
    register(reg) {
      reg.registerInit({
        deps: { policies: policyExtensionPoint },
        async init({ policies }) {
          policies.setPolicy(policy);
        },
      });
    },
  });
}

export interface BromTestBackendOptions {
  /** Merged over the test defaults (e.g. `broker` to run the reconciler against a test node). */
  brom?: Record<string, unknown>;
  /** A permission policy in place of BROM's own (`bromPermissionPolicyModule`). */
  policy?: PermissionPolicy;
  /** More features or service factories, e.g. a root logger that records what is logged. */
  features?: BackendFeature[];
}

/** Notifications the backend sent, kept in memory (the notifications backend is not running). */
export class RecordingNotificationService implements NotificationService {
  readonly sent: NotificationSendOptions[] = [];

  async send(options: NotificationSendOptions): Promise<void> {
    this.sent.push(options);
  }
}

export interface BromTestBackend {
  server: any;
  knex: Knex;
  notifications: RecordingNotificationService;
  stop(): Promise<void>;
}

/** BROM with the real permission backend and BROM's policy (or `policy`), on the given database. */
export async function startBromTestBackend(
  knex: Knex,
  options: BromTestBackendOptions = {},
): Promise<BromTestBackend> {
  const data = {
    ...TEST_CONFIG,
    brom: { ...TEST_CONFIG.brom, ...options.brom },
  };
  const notifications = new RecordingNotificationService();
  const backend = await startTestBackend({
    features: [
      createServiceFactory({
        service: notificationService,
        deps: {},
        factory: () => notifications,
      }),
      bromPlugin,
      permissionPlugin,
      options.policy
        ? permissionPolicyModule(options.policy)
        : bromPermissionPolicyModule,
      mockServices.rootConfig.factory({ data }),
      mockServices.database.factory({ knex }),
      userInfoFactory,
      authFactory,
      httpAuthFactory,
      ...(options.features ?? []),
    ],
  });
  return {
    server: backend.server,
    knex,
    notifications,
    stop: () => backend.stop(),
  };
}

/** What {@link useBromTestBackend} gives the tests of a suite; valid inside a test or hook. */
export interface BromTestBackendFixture {
  readonly backend: BromTestBackend;
  /** An OpenAPI-checked client of the backend. */
  readonly api: BromTestClient;
}

/**
 * One BROM backend (see {@link startBromTestBackend}) on `databaseId` for all the tests of
 * the enclosing `describe`: started before the first and stopped after the last. Call it
 * inside the `describe` and read `backend` and `api` inside the tests.
 */
export function useBromTestBackend(
  databases: TestDatabases,
  databaseId: TestDatabaseId,
  options: BromTestBackendOptions = {},
): BromTestBackendFixture {
  let backend: BromTestBackend | undefined;
  let api: BromTestClient | undefined;
  beforeAll(async () => {
    backend = await startBromTestBackend(
      await databases.init(databaseId),
      options,
    );
    api = new BromTestClient(backend.server);
  });
  afterAll(async () => {
    await backend?.stop();
    backend = undefined;
    api = undefined;
  });
  const current = <T>(value: T | undefined, what: string): T => {
    if (!value) {
      throw new Error(
        `No BROM test ${what} on ${databaseId}: use it inside a test or hook of the describe that called useBromTestBackend`,
      );
    }
    return value;
  };
  return {
    get backend() {
      return current(backend, 'backend');
    },
    get api() {
      return current(api, 'client');
    },
  };
}

export const DATABASE_IDS: TestDatabaseId[] = ['SQLITE_3', 'POSTGRES_15'];

/**
 * The databases every API suite runs on. In CI a missing PostgreSQL is a failure, never a
 * silent skip: TestDatabases drops a Docker-backed id when Docker is disabled and no
 * connection string is set, so the suite checks that it kept it.
 */
export function createTestDatabases(ids: TestDatabaseId[] = DATABASE_IDS) {
  const databases = TestDatabases.create({ ids });
  const missing = ids.filter(id => !databases.supports(id));
  if (missing.length > 0 && process.env.CI) {
    throw new Error(
      `Test databases ${missing.join(
        ', ',
      )} are not available; in CI set BACKSTAGE_TEST_DATABASE_POSTGRES15_CONNECTION_STRING (e.g. postgresql://postgres:postgres@127.0.0.1:5432)`,
    );
  }
  return databases;
}

/** `describe.each` rows: the supported ids (all of them in CI, see createTestDatabases). */
export function eachDatabase(databases: TestDatabases) {
  return databases.eachSupportedId();
}

/** The tables a user request may change; the reconciler's and the feed's own tables are left out. */
export const DOMAIN_TABLES = [
  'brom_applications',
  'brom_notification_types',
  'brom_subscriptions',
  'brom_credentials',
  'brom_audit_events',
] as const;

/** Every row of the domain tables (and the state version), in a stable order, for before/after comparisons. */
export async function dumpDomainTables(
  knex: Knex,
): Promise<Record<string, unknown[]>> {
  const dump: Record<string, unknown[]> = {};
  for (const table of [...DOMAIN_TABLES, 'brom_state_version']) {
    const rows = await knex(table).select();
    dump[table] = rows
      .map(row => JSON.stringify(row, Object.keys(row).sort()))
      .sort()
      .map(json => JSON.parse(json));
  }
  return dump;
}

/** All text in every BROM table, to search it for things that must never be stored. */
export async function dumpAllBromTables(knex: Knex): Promise<string> {
  const client = String(knex.client.config.client);
  const tables: string[] = /pg|postgres/.test(client)
    ? (
        await knex('pg_tables')
          .select('tablename')
          .whereRaw('schemaname = current_schema()')
      ).map((r: any) => r.tablename)
    : (await knex('sqlite_master').select('name').where('type', 'table')).map(
        (r: any) => r.name,
      );
  const parts: string[] = [];
  for (const table of tables.filter(t => t.startsWith('brom_')).sort()) {
    parts.push(table, JSON.stringify(await knex(table).select()));
  }
  return parts.join('\n');
}

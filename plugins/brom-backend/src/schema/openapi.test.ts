import {
  coreServices,
  createServiceFactory,
  HttpRouterServiceAuthPolicy,
} from '@backstage/backend-plugin-api';
import {
  mockServices,
  startTestBackend,
  TestDatabases,
} from '@backstage/backend-test-utils';
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import express from 'express';
import { readFileSync } from 'node:fs';
import request from 'supertest';
import { parse } from 'yaml';
import bromPlugin from '../index';
import { TEST_CONFIG } from '../__testUtils__/backend';

// The generator is a plain script so that it runs without a build; its module is CommonJS.
const generator = require('../../scripts/generate-openapi');

const databases = TestDatabases.create({ ids: ['SQLITE_3'] });

const METHODS = ['get', 'put', 'post', 'patch', 'delete'] as const;

interface OpenApiDocument {
  openapi: string;
  paths: Record<string, Record<string, any>>;
  components: Record<string, Record<string, any>>;
}

const document: OpenApiDocument = parse(
  readFileSync(generator.YAML_FILE, 'utf8'),
);

/** Mounts the plugin with an httpRouter that records what the plugin hands it. */
async function mountedPlugin() {
  const handlers: express.Handler[] = [];
  const authPolicies: HttpRouterServiceAuthPolicy[] = [];
  const recordingHttpRouter = createServiceFactory({
    service: coreServices.httpRouter,
    deps: {},
    factory: () => ({
      use: (handler: express.Handler) => {
        handlers.push(handler);
      },
      addAuthPolicy: (policy: HttpRouterServiceAuthPolicy) => {
        authPolicies.push(policy);
      },
    }),
  });
  const backend = await startTestBackend({
    features: [
      bromPlugin,
      recordingHttpRouter,
      // The probes below answer errors with a stand-in for Backstage's error middleware,
      // whose bodies are not the document's ErrorResponse.
      mockServices.rootConfig.factory({
        data: {
          ...TEST_CONFIG,
          brom: { ...TEST_CONFIG.brom, api: { validateResponses: false } },
        },
      }),
      mockServices.database.factory({ knex: await databases.init('SQLITE_3') }),
    ],
  });
  return { handlers, authPolicies, stop: () => backend.stop() };
}

/** JSON pointers of every `schema` in the document's paths and components. */
function schemaPointers(node: unknown, pointer = '#'): string[] {
  if (!node || typeof node !== 'object') return [];
  return Object.entries(node).flatMap(([key, value]) => {
    const child = `${pointer}/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`;
    return key === 'schema' ? [child] : schemaPointers(value, child);
  });
}

/**
 * Paths of this document that a module of the plugin serves on the plugin's router:
 * `@internal/plugin-brom-backend-module-memberships`, whose own tests run them against the
 * plugin (it is not mounted here: the module depends on this package, not the reverse).
 */
const MODULE_PATHS = ['/service/memberships/{userEntityRef}', '/service/org-export'];

describe('openapi.yaml', () => {
  let mounted: Awaited<ReturnType<typeof mountedPlugin>>;
  beforeAll(async () => {
    mounted = await mountedPlugin();
  });
  afterAll(async () => {
    await mounted?.stop();
  });

  it('is what the committed openapi.generated.ts was generated from', () => {
    expect(readFileSync(generator.GENERATED_FILE, 'utf8')).toBe(
      generator.renderOpenApiModule(readFileSync(generator.YAML_FILE, 'utf8')),
    );
  });

  it('is an OpenAPI 3 document whose schemas all compile', () => {
    expect(document.openapi).toMatch(/^3\./);
    const ajv = new Ajv2020({ strict: false, allErrors: true });
    addFormats(ajv);
    ajv.addSchema(document, 'brom');
    const pointers = [
      ...schemaPointers(document.paths, '#/paths'),
      ...schemaPointers(document.components, '#/components'),
      ...Object.keys(document.components.schemas).map(
        name => `#/components/schemas/${name}`,
      ),
    ];
    expect(pointers.length).toBeGreaterThan(50);
    for (const pointer of pointers) {
      expect(() => ajv.compile({ $ref: `brom${pointer}` })).not.toThrow();
    }
  });

  it('declares every path parameter of every path', () => {
    const problems: string[] = [];
    const resolve = (p: any) =>
      p.$ref ? document.components.parameters[p.$ref.split('/').pop()] : p;
    for (const [path, item] of Object.entries(document.paths)) {
      const inPath = [...path.matchAll(/\{([^}]+)\}/g)].map(m => m[1]).sort();
      for (const method of METHODS) {
        if (!item[method]) continue;
        const declared = [
          ...(item.parameters ?? []),
          ...(item[method].parameters ?? []),
        ]
          .map(resolve)
          .filter((p: any) => p.in === 'path')
          .map((p: any) => p.name)
          .sort();
        if (JSON.stringify(declared) !== JSON.stringify(inPath)) {
          problems.push(
            `${method.toUpperCase()} ${path}: declares ${declared} for ${inPath}`,
          );
        }
      }
    }
    expect(problems).toEqual([]);
  });

  /**
   * The validated router refuses any route the document does not describe (the mutating
   * routes are each shown to be served by router.permissions.test.ts). Every documented
   * read must reach a handler rather than fall through the plugin's routers.
   */
  describe('and the routes the plugin serves', () => {
    const FELL_THROUGH = 599;
    let app: express.Express;
    beforeAll(() => {
      app = express();
      for (const handler of mounted.handlers) app.use(handler);
      app.use((_req, res) => {
        res.status(FELL_THROUGH).end();
      });
      // Backstage's error middleware, as far as these tests tell errors apart.
      const statuses: Record<string, number> = {
        InputError: 400,
        AuthenticationError: 401,
        NotAllowedError: 403,
        NotFoundError: 404,
      };
      app.use(
        (
          error: Error,
          _req: express.Request,
          res: express.Response,
          _next: express.NextFunction,
        ) => {
          res.status(statuses[error.name] ?? 500).json({
            error: {
              name: error.name,
              message: error.message,
              cause: (error.cause as Error | undefined)?.message,
            },
          });
        },
      );
    });

    it('serves no route the document does not describe', async () => {
      for (const [method, path] of [
        ['get', '/applications/orders/secrets'],
        ['put', '/applications/orders'],
        ['post', '/health'],
      ] as const) {
        const res = await request(app)[method](path);
        expect([method, path, res.status]).toEqual([method, path, 400]);
        expect(res.body.error.message).toMatch(/not found|method not allowed/);
      }
    });

    /**
     * Backstage's permissions registry serves these on every plugin that registers permission
     * resources; they belong to the permission framework, not to BROM's API, and are not in
     * openapi.yaml, so the validated router must let them through.
     */
    it('lets the permission framework serve its own routes', async () => {
      const metadata = await request(app).get(
        '/.well-known/backstage/permissions/metadata',
      );
      expect(metadata.status).toBe(200);
      expect(metadata.body.permissions.length).toBeGreaterThan(0);
      const conditions = await request(app)
        .post('/.well-known/backstage/permissions/apply-conditions')
        .send({ items: [] });
      // A user may not ask; the framework's own handler says so, not the BROM validator.
      expect(conditions.status).toBe(403);
    });

    it('serves every documented read', async () => {
      const params: Record<string, string> = {
        name: 'orders',
        type: 'order-created',
        id: 'x',
      };
      const query: Record<string, Record<string, string>> = {
        '/authz/snapshot': { sidecar: 'probe' },
        '/service/catalog-version': { after: '0' },
        '/service/catalog-changes': { after: '0' },
      };
      const reads = Object.entries(document.paths).filter(
        ([path, item]) => item.get && !MODULE_PATHS.includes(path),
      );
      expect(reads.length).toBeGreaterThanOrEqual(15);
      for (const [template] of reads) {
        const path = template.replace(/\{([^}]+)\}/g, (_, p) => params[p]);
        const res = await request(app)
          .get(path)
          .query(query[template] ?? {});
        expect([template, res.status]).not.toEqual([template, FELL_THROUGH]);
        // The request passed the document, so a handler, not the validator, answered it.
        const { message = '', cause = '' } = res.body?.error ?? {};
        expect([template, `${message} ${cause}`]).not.toEqual([
          template,
          expect.stringMatching(/(^| )request\//),
        ]);
      }
    });
  });

  it('leaves only the health check unauthenticated', async () => {
    const { authPolicies } = mounted;
    const publicInDocument = Object.entries(document.paths)
      .filter(([, item]) =>
        METHODS.some(
          m =>
            item[m] &&
            Array.isArray(item[m].security) &&
            item[m].security.length === 0,
        ),
      )
      .map(([path]) => path);
    expect(
      authPolicies.filter(p => p.allow === 'unauthenticated').map(p => p.path),
    ).toEqual(publicInDocument);
  });
});

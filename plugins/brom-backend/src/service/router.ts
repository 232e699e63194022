import {
  HttpAuthService,
  PermissionsService,
  UserInfoService,
} from '@backstage/backend-plugin-api';
import { InputError, NotAllowedError, ServiceUnavailableError } from '@backstage/errors';
import {
  AuthorizeResult,
  ResourcePermission,
} from '@backstage/plugin-permission-common';
import { ConditionTransformer } from '@backstage/plugin-permission-node';
import {
  CatalogChanges,
  CatalogExport,
  approveSubscriptionRequestSchema,
  bromSubscriptionDecidePermission,
  bromSubscriptionRequestPermission,
  confirmQueueDeletionRequestSchema,
  createApplicationRequestSchema,
  createCredentialRequestSchema,
  createNotificationTypeRequestSchema,
  createNotificationTypeVersionRequestSchema,
  deleteRequestSchema,
  deprecateNotificationTypeRequestSchema,
  peekDeadLettersQuerySchema,
  describeZodError,
  APPLICATION_SORT_KEYS,
  NOTIFICATION_TYPE_SORT_KEYS,
  pageQuerySchema,
  reasonedDecisionRequestSchema,
  sortedPageQuerySchema,
  SUBSCRIPTION_SORT_KEYS,
  requestSubscriptionRequestSchema,
  rotateCredentialRequestSchema,
  updateApplicationRequestSchema,
  Subscription,
  updateNotificationTypeRequestSchema,
} from '@internal/plugin-brom-common';
import express, { ErrorRequestHandler, RequestHandler } from 'express';
import { z } from 'zod';
import { ApplicationQuery } from '../permissions/rules';
import { createOpenApiRouter } from '../schema/openapi.generated';
import { OwnerFilter } from '../store/queries';
import { StateWatcher } from '../store/StateWatcher';
import { Actor } from './Actor';
import { ApplicationService } from './ApplicationService';
import { AuditService } from './AuditService';
import { CredentialService } from './CredentialService';
import { DeadLetterService } from './DeadLetterService';
import { NotificationTypeService } from './NotificationTypeService';
import { QueueHealthService } from './QueueHealthService';
import { StatusService } from './StatusService';
import { SubscriptionService } from './SubscriptionService';

export interface RouterOptions {
  httpAuth: HttpAuthService;
  userInfo: UserInfoService;
  permissions: PermissionsService;
  applications: ApplicationService;
  notificationTypes: NotificationTypeService;
  subscriptions: SubscriptionService;
  credentials: CredentialService;
  audit: AuditService;
  status: StatusService;
  /** Queue health; undefined when no management API is configured (the route answers 503). */
  health?: QueueHealthService;
  /** Peek, replay and purge of dead letters (503 after the checks without a management API). */
  deadLetters?: DeadLetterService;
  /** Turns conditional permission decisions into owner filters (the `toQuery` of our rules). */
  transformConditions: ConditionTransformer<ApplicationQuery>;
  catalogExport: () => Promise<CatalogExport>;
  /** What changed for the catalog since a change-log position. */
  catalogChanges: (after: number) => Promise<CatalogChanges>;
  /** BROM's state version, read from the store. */
  stateVersion: () => Promise<number>;
  /** Tells when the state version moves past a given one (the catalog's long-poll waits on it). */
  watcher: Pick<StateWatcher, 'waitForVersionAfter'>;
  /**
   * Aborted when the backend shuts down: a held long-poll is answered at once, with
   * `Connection: close`, so it does not keep the server from closing.
   */
  shutdown?: AbortSignal;
  /** Extra routes mounted by other features of the plugin (the authz feed). */
  extraRoutes?: express.Router[];
  /**
   * Check every JSON response against openapi.yaml too, answering 500 on a mismatch. The API
   * tests turn it on; it costs a schema validation per response.
   */
  validateResponses?: boolean;
}

/** Any request of the typed router, whatever its documented parameters and body. */
type HttpRequest = Parameters<HttpAuthService['credentials']>[0];

const BODY_LIMIT = '256kb';

const searchFields = {
  q: z.string().max(200).optional(),
  owner: z.string().max(255).optional(),
};

const applicationListQuery = sortedPageQuerySchema(APPLICATION_SORT_KEYS, {
  sort: 'name',
  order: 'asc',
}).extend({
  ...searchFields,
  mine: z.enum(['true', 'false']).optional(),
  includeDeleted: z.enum(['true', 'false']).optional(),
  entityRef: z.string().max(255).optional(),
  consuming: z.enum(['true', 'false']).optional(),
});

const notificationTypeSortedQuery = sortedPageQuerySchema(NOTIFICATION_TYPE_SORT_KEYS, {
  sort: 'producer',
  order: 'asc',
});

const notificationTypeListQuery = notificationTypeSortedQuery.extend({
  ...searchFields,
  application: z.string().max(63).optional(),
});

const applicationNotificationTypeListQuery = notificationTypeSortedQuery.extend({
  q: searchFields.q,
});

const subscriptionState = z.enum(['requested', 'approved', 'rejected', 'revoked']);

const subscriptionSortedQuery = sortedPageQuerySchema(SUBSCRIPTION_SORT_KEYS, {
  sort: 'updatedAt',
  order: 'desc',
});

const subscriptionListQuery = subscriptionSortedQuery.extend({
  consumer: z.string().max(63).optional(),
  producer: z.string().max(63).optional(),
  notificationType: z.string().max(63).optional(),
  state: subscriptionState.optional(),
  q: searchFields.q,
  mine: z.enum(['true', 'false']).optional(),
});

/** The inbox: waiting requests by default; `decided` is the history of the others. */
const approvalListQuery = subscriptionSortedQuery.extend({
  state: z.enum(['requested', 'decided', 'approved', 'rejected', 'revoked']).default('requested'),
  q: searchFields.q,
});

const auditEventQuery = pageQuerySchema.extend({
  application: z.string().max(63).optional(),
  actor: z.string().max(255).optional(),
  action: z.string().max(64).optional(),
  since: z.iso.datetime({ offset: true }).optional(),
  until: z.iso.datetime({ offset: true }).optional(),
  includeDeleted: z.enum(['true', 'false']).optional(),
});

const emptyBody = z.object({}).strict();
const emptyQuery = z.object({}).strict();

const catalogChangeQuery = z.object({
  after: z.coerce.number().int().min(0),
  waitSeconds: z.coerce.number().int().min(0).max(60).default(0),
});

/**
 * The schemas each operation's handler parses its input with, by the operationId in
 * openapi.yaml: they say in words what the document's patterns and bounds refuse.
 */
const REQUEST_SCHEMAS: Record<string, { body?: z.ZodType; query?: z.ZodType }> = {
  listApplications: { query: applicationListQuery },
  createApplication: { body: createApplicationRequestSchema },
  updateApplication: { body: updateApplicationRequestSchema },
  deleteApplication: { query: deleteRequestSchema },
  confirmQueueDeletion: { body: confirmQueueDeletionRequestSchema },
  listNotificationTypes: { query: notificationTypeListQuery },
  listApplicationNotificationTypes: { query: applicationNotificationTypeListQuery },
  createNotificationType: { body: createNotificationTypeRequestSchema },
  updateNotificationType: { body: updateNotificationTypeRequestSchema },
  deleteNotificationType: { query: deleteRequestSchema },
  deprecateNotificationType: { body: deprecateNotificationTypeRequestSchema },
  createNotificationTypeVersion: { body: createNotificationTypeVersionRequestSchema },
  listSubscriptions: { query: subscriptionListQuery },
  listApprovals: { query: approvalListQuery },
  requestSubscription: { body: requestSubscriptionRequestSchema },
  approveSubscription: { body: approveSubscriptionRequestSchema },
  rejectSubscription: { body: reasonedDecisionRequestSchema },
  revokeSubscription: { body: reasonedDecisionRequestSchema },
  createCredential: { body: createCredentialRequestSchema },
  rotateCredential: { body: rotateCredentialRequestSchema },
  revokeCredential: { body: emptyBody },
  listAuditEvents: { query: auditEventQuery },
  peekDeadLetters: { query: peekDeadLettersQuerySchema },
  replayDeadLetters: { body: emptyBody },
  purgeDeadLetters: { query: emptyQuery },
};

/** The operation's own schemas' account of what is wrong with a request, if they refuse it too. */
function explanation(
  schemas: { body?: z.ZodType; query?: z.ZodType },
  req: express.Request,
): string | undefined {
  for (const [part, schema] of Object.entries(schemas)) {
    const result = schema.safeParse(part === 'body' ? req.body ?? {} : req.query);
    if (!result.success) return describeZodError(result.error);
  }
  return undefined;
}

const jsonBody = express.json({ limit: BODY_LIMIT });

/** Body-parser failures are the client's mistake: answer 400 with what to fix. */
const parseJsonBody: RequestHandler = (req, res, next) =>
  jsonBody(req, res, error => {
    if (error?.type === 'entity.too.large') {
      next(new InputError(`Request body is larger than ${BODY_LIMIT}`));
    } else if (error?.type === 'entity.parse.failed') {
      next(new InputError(`Request body is not valid JSON: ${error.message}`));
    } else {
      next(error);
    }
  });

export async function createRouter(options: RouterOptions): Promise<express.Router> {
  const { httpAuth, userInfo, permissions, status } = options;
  const { applications, notificationTypes, subscriptions, audit } = options;
  const credentialService = options.credentials;
  // Requests are validated against openapi.yaml before a handler runs; the handlers' zod
  // parsing then adds the rules a schema cannot say (and the defaults).
  const router = await createOpenApiRouter({
    middleware: [parseJsonBody],
    validatorOptions: {
      // A route the document does not describe is refused, so none can be served by mistake.
      // Backstage's permission framework serves its own routes under /.well-known on every
      // plugin that registers permissions; they are not part of BROM's API.
      ignoreUndocumented: false,
      ignorePaths: /^\/\.well-known\//,
      // Backstage's httpAuth authenticates every request (a user cookie as well as a token);
      // the document's security scheme describes that, it is not checked twice.
      validateSecurity: false,
      validateResponses: options.validateResponses ?? false,
    },
  });
  // Errors raised past this point come from handlers, not from the document's validator.
  router.use((_req, res, next) => {
    res.locals.requestValidated = true;
    next();
  });

  for (const extra of options.extraRoutes ?? []) router.use(extra);

  async function actorOf(req: HttpRequest): Promise<Actor> {
    const credentials = await httpAuth.credentials(req, { allow: ['user'] });
    const info = await userInfo.getUserInfo(credentials);
    return {
      credentials,
      userEntityRef: info.userEntityRef,
      ownershipEntityRefs: info.ownershipEntityRefs,
    };
  }

  /** Criteria on the owners of applications the actor holds `permission` on, or undefined for all. */
  async function ownersAllowed(
    actor: Actor,
    permission: ResourcePermission<'brom-application'>,
  ): Promise<OwnerFilter> {
    const [decision] = await permissions.authorizeConditional([{ permission }], {
      credentials: actor.credentials,
    });
    if (decision.result === AuthorizeResult.ALLOW) return undefined;
    if (decision.result !== AuthorizeResult.CONDITIONAL) return { ownerIn: [] };
    return options.transformConditions(decision.conditions);
  }

  /** An approved subscription, with what keeps its binding from being made if anything does. */
  async function withBlocks(subscription: Subscription): Promise<Subscription> {
    const blocked = await status.bindingBlocks(subscription);
    return blocked.length ? { ...subscription, blocked } : subscription;
  }

  router.get('/health', (_req, res) => {
    res.json({ status: 'ok' });
  });

  /** Only the catalog's own service identity may read BROM's state for the catalog. */
  async function requireCatalog(req: HttpRequest) {
    const credentials = await httpAuth.credentials(req, { allow: ['service'] });
    if (credentials.principal.subject !== 'plugin:catalog') {
      throw new NotAllowedError('Only the catalog plugin may read the catalog export');
    }
  }

  router.get('/service/catalog-export', async (req, res) => {
    await requireCatalog(req);
    res.json(await options.catalogExport());
  });

  /**
   * The catalog's long-poll on the change log: answers at once with what changed since
   * `after`, or waits for the state to move (a write without catalog events, such as a
   * status or finalizer write, answers with nothing changed).
   */
  router.get('/service/catalog-changes', async (req, res) => {
    await requireCatalog(req);
    const { after, waitSeconds } = parse(catalogChangeQuery, req.query);
    let changes = await options.catalogChanges(after);
    if (!changes.full && changes.sequence === after && waitSeconds > 0) {
      const closed = new AbortController();
      req.on('close', () => closed.abort());
      const version = await options.watcher.waitForVersionAfter(
        changes.version,
        waitSeconds * 1000,
        options.shutdown
          ? AbortSignal.any([closed.signal, options.shutdown])
          : closed.signal,
      );
      if (closed.signal.aborted) return;
      if (version !== changes.version) changes = await options.catalogChanges(after);
    }
    if (options.shutdown?.aborted) res.setHeader('Connection', 'close');
    res.json(changes);
  });

  /** The catalog's long-poll, so that it downloads the export only after a change. */
  router.get('/service/catalog-version', async (req, res) => {
    await requireCatalog(req);
    const { after, waitSeconds } = parse(catalogChangeQuery, req.query);
    let version = await options.stateVersion();
    if (version === after && waitSeconds > 0) {
      const closed = new AbortController();
      req.on('close', () => closed.abort());
      version = await options.watcher.waitForVersionAfter(
        after,
        waitSeconds * 1000,
        options.shutdown
          ? AbortSignal.any([closed.signal, options.shutdown])
          : closed.signal,
      );
      if (closed.signal.aborted) return;
    }
    if (options.shutdown?.aborted) res.setHeader('Connection', 'close');
    res.json({ version });
  });

  // ------------------------------------------------------------ applications

  router.get('/applications', async (req, res) => {
    const actor = await actorOf(req);
    const query = parse(applicationListQuery, req.query);
    res.json(
      await applications.listApplications({
        q: query.q,
        owner: query.owner,
        ownedBy: query.mine === 'true' ? actor.ownershipEntityRefs : undefined,
        includeDeleted: query.includeDeleted === 'true',
        entityRef: query.entityRef,
        consuming: query.consuming === 'true',
        sort: query.sort,
        order: query.order,
        cursor: query.cursor,
        offset: query.offset,
        limit: query.limit,
      }),
    );
  });

  router.post('/applications', async (req, res) => {
    const actor = await actorOf(req);
    const body = parse(createApplicationRequestSchema, req.body);
    res.status(201).json(await applications.createApplication(actor, body));
  });

  router.get('/applications/:name', async (req, res) => {
    await actorOf(req);
    res.json(await applications.getApplication(req.params.name));
  });

  router.patch('/applications/:name', async (req, res) => {
    const actor = await actorOf(req);
    const body = parse(updateApplicationRequestSchema, req.body);
    res.json(await applications.updateApplication(actor, req.params.name, body));
  });

  router.delete('/applications/:name', async (req, res) => {
    const actor = await actorOf(req);
    const query = parse(deleteRequestSchema, req.query);
    res.json(await applications.deleteApplication(actor, req.params.name, query));
  });

  router.post('/applications/:name/queue-deletion-confirmation', async (req, res) => {
    const actor = await actorOf(req);
    const body = parse(confirmQueueDeletionRequestSchema, req.body);
    res.json(await applications.confirmQueueDeletion(actor, req.params.name, body));
  });

  router.get('/applications/:name/status', async (req, res) => {
    const actor = await actorOf(req);
    res.json(await status.applicationStatus(actor, req.params.name));
  });

  router.get('/unmanaged-objects', async (req, res) => {
    const actor = await actorOf(req);
    res.json(await status.unmanagedObjects(actor));
  });

  router.get('/applications/:name/health', async (req, res) => {
    const actor = await actorOf(req);
    if (!options.health) {
      throw new ServiceUnavailableError(
        'Queue health needs the broker management API (brom.broker.managementUrl)',
      );
    }
    res.json(await options.health.applicationHealth(actor, req.params.name));
  });

  // ----------------------------------------------------------- dead letters

  function deadLetterService(): DeadLetterService {
    if (!options.deadLetters) {
      throw new ServiceUnavailableError(
        'The dead-letter tools need the broker management API (brom.broker.managementUrl)',
      );
    }
    return options.deadLetters;
  }

  router.get('/applications/:name/dead-letters', async (req, res) => {
    const actor = await actorOf(req);
    const { count } = parse(peekDeadLettersQuerySchema, req.query);
    res.setHeader('Cache-Control', 'no-store');
    res.json(await deadLetterService().peek(actor, req.params.name, count));
  });

  router.post('/applications/:name/dead-letters/replay', async (req, res) => {
    const actor = await actorOf(req);
    parse(emptyBody, req.body ?? {});
    res.status(202).json(await deadLetterService().replay(actor, req.params.name));
  });

  router.delete('/applications/:name/dead-letters', async (req, res) => {
    const actor = await actorOf(req);
    parse(emptyQuery, req.query);
    res.json(await deadLetterService().purge(actor, req.params.name));
  });

  // ------------------------------------------------------ notification types

  router.get('/notification-types', async (req, res) => {
    const actor = await actorOf(req);
    const query = parse(notificationTypeListQuery, req.query);
    res.json(
      await notificationTypes.listNotificationTypes(actor, query),
    );
  });

  router.get('/applications/:name/notification-types', async (req, res) => {
    const actor = await actorOf(req);
    const query = parse(applicationNotificationTypeListQuery, req.query);
    await applications.getApplication(req.params.name);
    res.json(
      await notificationTypes.listNotificationTypes(actor, {
        ...query,
        application: req.params.name,
      }),
    );
  });

  router.post('/applications/:name/notification-types', async (req, res) => {
    const actor = await actorOf(req);
    const body = parse(createNotificationTypeRequestSchema, req.body);
    res
      .status(201)
      .json(await notificationTypes.createNotificationType(actor, req.params.name, body));
  });

  router.get('/applications/:name/notification-types/:type', async (req, res) => {
    const actor = await actorOf(req);
    res.json(
      await notificationTypes.getNotificationType(actor, req.params.name, req.params.type),
    );
  });

  router.patch('/applications/:name/notification-types/:type', async (req, res) => {
    const actor = await actorOf(req);
    const body = parse(updateNotificationTypeRequestSchema, req.body);
    res.json(
      await notificationTypes.updateNotificationType(actor, req.params.name, req.params.type, body),
    );
  });

  router.delete('/applications/:name/notification-types/:type', async (req, res) => {
    const actor = await actorOf(req);
    const query = parse(deleteRequestSchema, req.query);
    res.json(
      await notificationTypes.deleteNotificationType(actor, req.params.name, req.params.type, query),
    );
  });

  router.post('/applications/:name/notification-types/:type/deprecation', async (req, res) => {
    const actor = await actorOf(req);
    const body = parse(deprecateNotificationTypeRequestSchema, req.body);
    res.json(
      await notificationTypes.deprecateNotificationType(
        actor,
        req.params.name,
        req.params.type,
        body,
      ),
    );
  });

  router.post('/applications/:name/notification-types/:type/versions', async (req, res) => {
    const actor = await actorOf(req);
    const body = parse(createNotificationTypeVersionRequestSchema, req.body);
    res
      .status(201)
      .json(
        await notificationTypes.createNotificationTypeVersion(
          actor,
          req.params.name,
          req.params.type,
          body,
        ),
      );
  });

  // ----------------------------------------------------------- subscriptions

  router.get('/subscriptions', async (req, res) => {
    const actor = await actorOf(req);
    const query = parse(subscriptionListQuery, req.query);
    res.json(
      await subscriptions.listSubscriptions(actor, {
        ...query,
        consumerAllowed:
          query.mine === 'true'
            ? await ownersAllowed(actor, bromSubscriptionRequestPermission)
            : undefined,
      }),
    );
  });

  /** The approvals inbox: requests waiting on applications the user may decide for. */
  router.get('/approvals', async (req, res) => {
    const actor = await actorOf(req);
    const { state, ...query } = parse(approvalListQuery, req.query);
    res.json(
      await subscriptions.listSubscriptions(actor, {
        ...query,
        ...(state === 'decided'
          ? { states: ['approved', 'rejected', 'revoked'] as const satisfies string[] }
          : { state }),
        producerAllowed: await ownersAllowed(actor, bromSubscriptionDecidePermission),
      }),
    );
  });

  router.post('/subscriptions', async (req, res) => {
    const actor = await actorOf(req);
    const body = parse(requestSubscriptionRequestSchema, req.body);
    const requested = await subscriptions.requestSubscription(actor, body);
    res.status(201).json(requested.state === 'approved' ? await withBlocks(requested) : requested);
  });

  router.get('/subscriptions/:id', async (req, res) => {
    const actor = await actorOf(req);
    res.json(await subscriptions.getSubscription(actor, req.params.id));
  });

  router.post('/subscriptions/:id/approve', async (req, res) => {
    const actor = await actorOf(req);
    const body = parse(approveSubscriptionRequestSchema, req.body);
    const approved = await subscriptions.approveSubscription(actor, req.params.id, body);
    res.json(await withBlocks(approved));
  });

  router.post('/subscriptions/:id/reject', async (req, res) => {
    const actor = await actorOf(req);
    const body = parse(reasonedDecisionRequestSchema, req.body);
    res.json(await subscriptions.rejectSubscription(actor, req.params.id, body));
  });

  router.post('/subscriptions/:id/revoke', async (req, res) => {
    const actor = await actorOf(req);
    const body = parse(reasonedDecisionRequestSchema, req.body);
    res.json(await subscriptions.revokeSubscription(actor, req.params.id, body));
  });

  // ------------------------------------------------------------- credentials

  router.get('/applications/:name/credentials', async (req, res) => {
    const actor = await actorOf(req);
    res.json({ items: await credentialService.listCredentials(actor, req.params.name) });
  });

  router.post('/applications/:name/credentials', async (req, res) => {
    const actor = await actorOf(req);
    const body = parse(createCredentialRequestSchema, req.body ?? {});
    res.setHeader('Cache-Control', 'no-store');
    res.status(201).json(await credentialService.createCredential(actor, req.params.name, body));
  });

  router.post('/applications/:name/credentials/rotate', async (req, res) => {
    const actor = await actorOf(req);
    const body = parse(rotateCredentialRequestSchema, req.body ?? {});
    res.setHeader('Cache-Control', 'no-store');
    res.status(201).json(await credentialService.rotateCredential(actor, req.params.name, body));
  });

  router.post('/applications/:name/credentials/:id/revoke', async (req, res) => {
    const actor = await actorOf(req);
    parse(emptyBody, req.body ?? {});
    res.json(await credentialService.revokeCredential(actor, req.params.name, req.params.id));
  });

  // ------------------------------------------------------------------- audit

  router.get('/audit-events', async (req, res) => {
    const actor = await actorOf(req);
    const query = parse(auditEventQuery, req.query);
    res.json(
      await audit.listAuditEvents(actor, {
        ...query,
        includeDeleted: query.includeDeleted === 'true',
      }),
    );
  });

  /**
   * openapi.yaml decides which requests are well-formed, and its validator's message names the
   * rule ("must match pattern ..."). Before a user operation's refusal is answered, the caller
   * is checked as its handler would (a service token is refused whatever it sent); then, when
   * the operation's own schema refuses the request too, its words ("lower-case letters, digits
   * and single dashes") become the message and the document's stays as the cause.
   */
  const explainRefusal: ErrorRequestHandler = (error, req, res, next) => {
    const operationId: string | undefined = (req as any).openapi?.schema?.operationId;
    const schemas = operationId ? REQUEST_SCHEMAS[operationId] : undefined;
    if (!(error instanceof InputError) || !schemas || res.locals.requestValidated) {
      next(error);
      return;
    }
    httpAuth.credentials(req, { allow: ['user'] }).then(() => {
      const words = explanation(schemas, req);
      next(words ? new InputError(words, error) : error);
    }, next);
  };
  router.use(explainRefusal);
  return router;
}

function parse<S extends z.ZodType>(schema: S, input: unknown): z.infer<S> {
  const result = schema.safeParse(input);
  if (!result.success) throw new InputError(describeZodError(result.error));
  return result.data;
}

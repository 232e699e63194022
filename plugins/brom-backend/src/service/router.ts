import {
  HttpAuthService,
  PermissionsService,
  UserInfoService,
} from '@backstage/backend-plugin-api';
import { InputError, NotAllowedError } from '@backstage/errors';
import {
  AuthorizeResult,
  ResourcePermission,
} from '@backstage/plugin-permission-common';
import { ConditionTransformer } from '@backstage/plugin-permission-node';
import {
  CatalogExport,
  approveSubscriptionRequestSchema,
  bromSubscriptionDecidePermission,
  bromSubscriptionRequestPermission,
  confirmQueueDeletionRequestSchema,
  createApplicationRequestSchema,
  createCredentialRequestSchema,
  createNotificationTypeRequestSchema,
  deleteRequestSchema,
  describeZodError,
  pageQuerySchema,
  reasonedDecisionRequestSchema,
  requestSubscriptionRequestSchema,
  rotateCredentialRequestSchema,
  updateApplicationRequestSchema,
  updateNotificationTypeRequestSchema,
} from '@internal/plugin-brom-common';
import express, { ErrorRequestHandler, Request } from 'express';
import Router from 'express-promise-router';
import { z } from 'zod';
import { ApplicationQuery } from '../permissions/rules';
import { OwnerFilter } from '../store/queries';
import { Actor } from './Actor';
import { ApplicationService } from './ApplicationService';
import { AuditService } from './AuditService';
import { CredentialService } from './CredentialService';
import { NotificationTypeService } from './NotificationTypeService';
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
  /** Turns conditional permission decisions into owner filters (the `toQuery` of our rules). */
  transformConditions: ConditionTransformer<ApplicationQuery>;
  catalogExport: () => Promise<CatalogExport>;
  /** Extra routes mounted by other features of the plugin (the authz feed). */
  extraRoutes?: express.Router[];
}

const BODY_LIMIT = '256kb';

const searchQuerySchema = pageQuerySchema.extend({
  q: z.string().max(200).optional(),
  owner: z.string().max(255).optional(),
});

/** Body-parser failures are the client's mistake: answer 400 with what to fix. */
const bodyErrors: ErrorRequestHandler = (error, _req, _res, next) => {
  if (error?.type === 'entity.too.large') {
    next(new InputError(`Request body is larger than ${BODY_LIMIT}`));
  } else if (error?.type === 'entity.parse.failed') {
    next(new InputError(`Request body is not valid JSON: ${error.message}`));
  } else {
    next(error);
  }
};

export async function createRouter(options: RouterOptions): Promise<express.Router> {
  const { httpAuth, userInfo, permissions, status } = options;
  const { applications, notificationTypes, subscriptions, audit } = options;
  const credentialService = options.credentials;
  const router = Router();
  router.use(express.json({ limit: BODY_LIMIT }));

  for (const extra of options.extraRoutes ?? []) router.use(extra);

  async function actorOf(req: Request): Promise<Actor> {
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

  router.get('/health', (_req, res) => {
    res.json({ status: 'ok' });
  });

  /** BROM's state for the catalog module; only the catalog's own service identity may read it. */
  router.get('/service/catalog-export', async (req, res) => {
    const credentials = await httpAuth.credentials(req, { allow: ['service'] });
    if (credentials.principal.subject !== 'plugin:catalog') {
      throw new NotAllowedError('Only the catalog plugin may read the catalog export');
    }
    res.json(await options.catalogExport());
  });

  // ------------------------------------------------------------ applications

  router.get('/applications', async (req, res) => {
    const actor = await actorOf(req);
    const query = parse(
      searchQuerySchema.extend({
        mine: z.enum(['true', 'false']).optional(),
        includeDeleted: z.enum(['true', 'false']).optional(),
      }),
      req.query,
    );
    res.json(
      await applications.listApplications({
        q: query.q,
        owner: query.owner,
        ownedBy: query.mine === 'true' ? actor.ownershipEntityRefs : undefined,
        includeDeleted: query.includeDeleted === 'true',
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
    await actorOf(req);
    res.json(await status.applicationStatus(req.params.name));
  });

  // ------------------------------------------------------ notification types

  router.get('/notification-types', async (req, res) => {
    const actor = await actorOf(req);
    const query = parse(
      searchQuerySchema.extend({ application: z.string().max(63).optional() }),
      req.query,
    );
    res.json(
      await notificationTypes.listNotificationTypes(actor, query),
    );
  });

  router.get('/applications/:name/notification-types', async (req, res) => {
    const actor = await actorOf(req);
    const query = parse(pageQuerySchema, req.query);
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

  // ----------------------------------------------------------- subscriptions

  const subscriptionListQuery = pageQuerySchema.extend({
    consumer: z.string().max(63).optional(),
    producer: z.string().max(63).optional(),
    notificationType: z.string().max(63).optional(),
    state: z.enum(['requested', 'approved', 'rejected', 'revoked']).optional(),
    mine: z.enum(['true', 'false']).optional(),
  });

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
    const query = parse(pageQuerySchema, req.query);
    res.json(
      await subscriptions.listSubscriptions(actor, {
        ...query,
        state: 'requested',
        producerAllowed: await ownersAllowed(actor, bromSubscriptionDecidePermission),
      }),
    );
  });

  router.post('/subscriptions', async (req, res) => {
    const actor = await actorOf(req);
    const body = parse(requestSubscriptionRequestSchema, req.body);
    res.status(201).json(await subscriptions.requestSubscription(actor, body));
  });

  router.get('/subscriptions/:id', async (req, res) => {
    const actor = await actorOf(req);
    res.json(await subscriptions.getSubscription(actor, req.params.id));
  });

  router.post('/subscriptions/:id/approve', async (req, res) => {
    const actor = await actorOf(req);
    const body = parse(approveSubscriptionRequestSchema, req.body);
    res.json(await subscriptions.approveSubscription(actor, req.params.id, body));
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
    parse(z.object({}).strict(), req.body ?? {});
    res.json(await credentialService.revokeCredential(actor, req.params.name, req.params.id));
  });

  // ------------------------------------------------------------------- audit

  router.get('/audit-events', async (req, res) => {
    const actor = await actorOf(req);
    const query = parse(
      pageQuerySchema.extend({
        application: z.string().max(63).optional(),
        actor: z.string().max(255).optional(),
        action: z.string().max(64).optional(),
        since: z.iso.datetime({ offset: true }).optional(),
        until: z.iso.datetime({ offset: true }).optional(),
        includeDeleted: z.enum(['true', 'false']).optional(),
      }),
      req.query,
    );
    res.json(
      await audit.listAuditEvents(actor, {
        ...query,
        includeDeleted: query.includeDeleted === 'true',
      }),
    );
  });

  router.use(bodyErrors);
  return router;
}

function parse<S extends z.ZodType>(schema: S, input: unknown): z.infer<S> {
  const result = schema.safeParse(input);
  if (!result.success) throw new InputError(describeZodError(result.error));
  return result.data;
}

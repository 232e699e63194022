import { HttpAuthService, LoggerService } from '@backstage/backend-plugin-api';
import {
  KubernetesValidatorFunctions,
  parseEntityRef,
  stringifyEntityRef,
} from '@backstage/catalog-model';
import { InputError, NotAllowedError } from '@backstage/errors';
import express, { Request } from 'express';
import Router from 'express-promise-router';
import { z } from 'zod';
import { describeZodError } from '@internal/plugin-brom-common';
import { MembershipStore } from './MembershipStore';

/** Who may record memberships: the auth plugin's sign-in resolver. */
const SIGN_IN_SUBJECT = 'plugin:auth';
/** Who may read them: the catalog module that publishes users and groups. */
const CATALOG_SUBJECT = 'plugin:catalog';
const MAX_GROUPS = 1000;

/** A ref of the given kind in the default namespace, returned in canonical form. */
function entityRefOf(kind: 'user' | 'group') {
  return z.string().transform((value, ctx) => {
    try {
      const ref = parseEntityRef(value);
      if (
        ref.kind.toLocaleLowerCase('en-US') === kind &&
        ref.namespace === 'default' &&
        KubernetesValidatorFunctions.isValidObjectName(ref.name)
      ) {
        return stringifyEntityRef(ref).toLocaleLowerCase('en-US');
      }
    } catch {
      // Reported below like any other malformed ref.
    }
    ctx.addIssue({
      code: 'custom',
      message: `must be a ${kind} entity ref in the default namespace`,
    });
    return z.NEVER;
  });
}

const membershipsSchema = z.strictObject({
  displayName: z.string().min(1).max(255),
  email: z.string().max(255).optional(),
  groups: z
    .array(
      z.strictObject({
        ref: entityRefOf('group'),
        displayName: z.string().min(1).max(255),
      }),
    )
    .max(MAX_GROUPS),
});

/**
 * BROM's service routes for users and groups:
 * - `PUT /service/memberships/:userEntityRef` records what a sign-in found (only the auth
 *   plugin may call it), creating the user at the first sign-in;
 * - `GET /service/org-export` lists users and groups for the catalog (only the catalog).
 *
 * Ownership decisions never read these: they come from the signed-in user's token. The
 * catalog copy is what pages show and what the catalog's own policy sees.
 */
export function createMembershipsRouter(options: {
  httpAuth: HttpAuthService;
  memberships: MembershipStore;
  logger: LoggerService;
}): express.Router {
  const { httpAuth, memberships } = options;
  const logger = options.logger.child({ feature: 'memberships' });
  const router = Router();
  router.use(express.json({ limit: '256kb' }));

  async function requireService(
    req: Request,
    subject: string,
    purpose: string,
  ) {
    const credentials = await httpAuth.credentials(req, { allow: ['service'] });
    if (credentials.principal.subject !== subject) {
      throw new NotAllowedError(
        `Only ${subject} may ${purpose}, not ${credentials.principal.subject}`,
      );
    }
  }

  router.put('/service/memberships/:userEntityRef', async (req, res) => {
    await requireService(req, SIGN_IN_SUBJECT, 'record group memberships');
    const userRef = entityRefOf('user').safeParse(req.params.userEntityRef);
    if (!userRef.success) {
      throw new InputError(`userEntityRef ${describeZodError(userRef.error)}`);
    }
    const body = membershipsSchema.safeParse(req.body);
    if (!body.success) throw new InputError(describeZodError(body.error));

    await memberships.replaceMemberships(userRef.data, body.data);
    logger.info(
      `Recorded ${body.data.groups.length} group memberships of ${userRef.data}`,
      { userEntityRef: userRef.data },
    );
    res.status(204).end();
  });

  router.get('/service/org-export', async (req, res) => {
    await requireService(req, CATALOG_SUBJECT, 'read users and groups');
    res.setHeader('Cache-Control', 'no-store');
    res.json(await memberships.orgExport());
  });

  return router;
}

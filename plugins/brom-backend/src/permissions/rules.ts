import {
  createConditionExports,
  createPermissionResourceRef,
  createPermissionRule,
} from '@backstage/plugin-permission-node';
import {
  Application,
  BROM_APPLICATION_RESOURCE_TYPE,
} from '@internal/plugin-brom-common';
import { z } from 'zod';

/** What a BROM permission condition becomes in SQL: a filter on the owner column. */
export type ApplicationQuery = { ownerIn: string[] };

export const bromApplicationResourceRef = createPermissionResourceRef<
  Application,
  ApplicationQuery
>().with({
  pluginId: 'brom',
  resourceType: BROM_APPLICATION_RESOURCE_TYPE,
});

/** True when the application is owned by one of the given entity refs (the user's claims). */
export const isApplicationOwner = createPermissionRule({
  name: 'IS_APPLICATION_OWNER',
  description: 'Allow when the application is owned by one of the given groups or users',
  resourceRef: bromApplicationResourceRef,
  paramsSchema: z.object({
    claims: z
      .array(z.string())
      .describe('Entity refs of the user and the groups the user belongs to'),
  }),
  apply: (application, { claims }) => claims.includes(application.owner),
  toQuery: ({ claims }) => ({ ownerIn: claims }),
});

export const bromApplicationRules = { isApplicationOwner };

export const {
  conditions: bromApplicationConditions,
  createConditionalDecision: createBromApplicationConditionalDecision,
} = createConditionExports({
  resourceRef: bromApplicationResourceRef,
  rules: bromApplicationRules,
});

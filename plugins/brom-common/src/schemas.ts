import { z } from 'zod';
import { routingKeyPatternProblem } from './routingKeys';

/**
 * Characters that make two strings look alike or reorder text on screen: controls,
 * zero-width characters and bidirectional overrides. No BROM text field needs them.
 */
const INVISIBLE_OR_BIDI =
  // eslint-disable-next-line no-control-regex -- matching control characters is the point
  /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F\u00AD\u061C\u180E\u200B-\u200F\u202A-\u202E\u2060-\u2064\u2066-\u2069\uFEFF]/;

const text = (max: number) =>
  z
    .string()
    .max(max, { message: `must be at most ${max} characters` })
    .refine(s => !INVISIBLE_OR_BIDI.test(s), {
      message:
        'must not contain control, zero-width or right-to-left override characters',
    });

/** Catalog entity name rules, narrowed to lower case: what RabbitMQ object names derive from. */
export const APPLICATION_NAME_PATTERN = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;

export const applicationNameSchema = z
  .string()
  .min(1, { message: 'must not be empty' })
  .max(63, { message: 'must be at most 63 characters' })
  .regex(APPLICATION_NAME_PATTERN, {
    message:
      'must be lower-case letters, digits and single dashes, starting and ending with a letter or digit',
  });

export const notificationTypeNameSchema = applicationNameSchema;

export const routingKeyPatternSchema = z.string().superRefine((value, ctx) => {
  const problem = routingKeyPatternProblem(value);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

/** A group entity ref in its full form, e.g. `group:default/team-a`. */
export const groupRefSchema = z
  .string()
  .regex(/^group:[a-z0-9][a-z0-9._-]{0,62}\/[a-zA-Z0-9][a-zA-Z0-9._-]{0,62}$/, {
    message: 'must be a group entity ref such as group:default/team-a',
  });

/** A component entity ref in its full form, e.g. `component:default/orders`. */
export const componentRefSchema = z
  .string()
  .regex(/^component:[a-z0-9][a-z0-9._-]{0,62}\/[a-zA-Z0-9][a-zA-Z0-9._-]{0,62}$/, {
    message: 'must be a component entity ref such as component:default/orders',
  });

const generationSchema = z.number().int().min(1);
const timestampSchema = z.iso.datetime({ offset: true });

/** Bounds of a queue's message TTL: one second to a year. */
export const MESSAGE_TTL_MS_BOUNDS = { min: 1000, max: 365 * 24 * 3600 * 1000 };
/** Bounds of a queue's length limit, in messages. */
export const MAX_LENGTH_BOUNDS = { min: 1, max: 100_000_000 };

export const applicationSettingsSchema = z
  .object({
    messageTtlMs: z
      .number()
      .int()
      .min(MESSAGE_TTL_MS_BOUNDS.min)
      .max(MESSAGE_TTL_MS_BOUNDS.max)
      .nullable(),
    maxLength: z
      .number()
      .int()
      .min(MAX_LENGTH_BOUNDS.min)
      .max(MAX_LENGTH_BOUNDS.max)
      .nullable(),
  })
  .strict();

/** Longest name RabbitMQ accepts for a queue or exchange (a short string). */
const brokerName = text(255).min(1, { message: 'must not be empty' });

/** An upstream broker's address: amqp or amqps, a host, no credentials (those go apart). */
export const upstreamUriSchema = text(1000).superRefine((value, ctx) => {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    ctx.addIssue({ code: 'custom', message: 'must be a URI such as amqps://broker.example.org/vhost' });
    return;
  }
  if (url.protocol !== 'amqp:' && url.protocol !== 'amqps:') {
    ctx.addIssue({ code: 'custom', message: 'must start with amqp:// or amqps://' });
  } else if (!url.hostname) {
    ctx.addIssue({ code: 'custom', message: 'must name the upstream host' });
  } else if (url.username || url.password || value.slice(0, value.indexOf('/', 8)).includes('@')) {
    ctx.addIssue({
      code: 'custom',
      message: 'must not contain credentials: give username and password separately',
    });
  } else if (url.hash) {
    ctx.addIssue({ code: 'custom', message: 'must not have a #fragment' });
  }
});

const externalProducerFields = z
  .object({
    upstreamUri: upstreamUriSchema,
    upstreamExchange: brokerName.nullable().optional(),
    upstreamRoutingKey: text(255).nullable().optional(),
    upstreamQueue: brokerName.nullable().optional(),
    username: text(255).min(1, { message: 'must not be empty' }),
    /** Write-only: kept encrypted, never returned. Omitted on an update: the stored one stays. */
    password: z.string().min(1, { message: 'must not be empty' }).max(1024).optional(),
  })
  .strict();

function checkUpstreamSource(
  value: z.infer<typeof externalProducerFields>,
  ctx: z.RefinementCtx,
) {
  const exchange = Boolean(value.upstreamExchange);
  const queue = Boolean(value.upstreamQueue);
  if (exchange === queue) {
    ctx.addIssue({
      code: 'custom',
      path: ['upstreamQueue'],
      message: 'give exactly one of upstreamExchange and upstreamQueue',
    });
  }
  if (queue && value.upstreamRoutingKey) {
    ctx.addIssue({
      code: 'custom',
      path: ['upstreamRoutingKey'],
      message: 'only applies to an upstream exchange',
    });
  }
}

/** Registering an external producer: everything, the password included. */
export const externalProducerCreateSchema = externalProducerFields.superRefine((value, ctx) => {
  checkUpstreamSource(value, ctx);
  if (value.password === undefined) {
    ctx.addIssue({ code: 'custom', path: ['password'], message: 'is required' });
  }
});

/** Changing an external producer: the password only when it changes. */
export const externalProducerUpdateSchema = externalProducerFields.superRefine(checkUpstreamSource);

export type ExternalProducerRequest = z.infer<typeof externalProducerFields>;

export const createApplicationRequestSchema = z
  .object({
    name: applicationNameSchema,
    title: text(200).optional(),
    description: text(4000).optional(),
    owner: groupRefSchema,
    entityRef: componentRefSchema.nullable().optional(),
    settings: applicationSettingsSchema.partial().optional(),
    externalProducer: externalProducerCreateSchema.optional(),
  })
  .strict();

export const updateApplicationRequestSchema = z
  .object({
    generation: generationSchema,
    title: text(200).optional(),
    description: text(4000).optional(),
    owner: groupRefSchema.optional(),
    entityRef: componentRefSchema.nullable().optional(),
    settings: applicationSettingsSchema.partial().optional(),
    /** null: no longer an external producer (its shovel is removed). */
    externalProducer: externalProducerUpdateSchema.nullable().optional(),
  })
  .strict();

/** How deeply objects and arrays may nest in a payload schema, the outermost counting 1. */
export const PAYLOAD_SCHEMA_MAX_DEPTH = 32;
/** The largest payload schema, in characters of its JSON. */
export const PAYLOAD_SCHEMA_MAX_LENGTH = 64 * 1024;

/**
 * Whether JSON nests deeper than `max`, found without recursion: anything that walks JSON
 * recursively (JSON.stringify, a schema validator) runs out of stack on deep enough input,
 * so the depth is bounded before anything else looks at it.
 */
export function jsonNestsDeeperThan(value: unknown, max: number): boolean {
  const pending: Array<{ value: unknown; depth: number }> = [{ value, depth: 1 }];
  for (let next = pending.pop(); next; next = pending.pop()) {
    if (next.value === null || typeof next.value !== 'object') continue;
    if (next.depth > max) return true;
    for (const child of Object.values(next.value)) {
      pending.push({ value: child, depth: next.depth + 1 });
    }
  }
  return false;
}

const jsonSchemaObject = z.record(z.string(), z.unknown()).superRefine((schema, ctx) => {
  if (jsonNestsDeeperThan(schema, PAYLOAD_SCHEMA_MAX_DEPTH)) {
    ctx.addIssue({
      code: 'custom',
      message: `must not nest objects and arrays more than ${PAYLOAD_SCHEMA_MAX_DEPTH} levels deep`,
    });
  } else if (JSON.stringify(schema).length > PAYLOAD_SCHEMA_MAX_LENGTH) {
    ctx.addIssue({ code: 'custom', message: 'must be at most 64 KiB as JSON' });
  }
});

export const createNotificationTypeRequestSchema = z
  .object({
    name: notificationTypeNameSchema,
    routingKeyPattern: routingKeyPatternSchema,
    description: text(4000),
    payloadSchema: jsonSchemaObject.nullable().optional(),
    visibility: z.enum(['public', 'private']).optional(),
    requiresApproval: z.boolean().optional(),
  })
  .strict();

export const updateNotificationTypeRequestSchema = z
  .object({
    generation: generationSchema,
    routingKeyPattern: routingKeyPatternSchema.optional(),
    description: text(4000).optional(),
    payloadSchema: jsonSchemaObject.nullable().optional(),
    visibility: z.enum(['public', 'private']).optional(),
    requiresApproval: z.boolean().optional(),
  })
  .strict();

/** Deprecating a type, or moving the sunset of a deprecated one later. */
export const deprecateNotificationTypeRequestSchema = z
  .object({
    generation: generationSchema,
    sunsetAt: timestampSchema,
    /** A live type of the same producer that replaces this one. */
    successor: notificationTypeNameSchema.nullable().optional(),
  })
  .strict();

/**
 * A new version of a type: a copy with the changes live subscribers would otherwise receive
 * unasked; the old type is deprecated with the new one as its successor.
 */
export const createNotificationTypeVersionRequestSchema = z
  .object({
    generation: generationSchema,
    name: notificationTypeNameSchema,
    sunsetAt: timestampSchema,
    routingKeyPattern: routingKeyPatternSchema.optional(),
    description: text(4000).optional(),
    payloadSchema: jsonSchemaObject.nullable().optional(),
    visibility: z.enum(['public', 'private']).optional(),
    requiresApproval: z.boolean().optional(),
  })
  .strict();

export const requestSubscriptionRequestSchema = z
  .object({
    consumer: applicationNameSchema,
    producer: applicationNameSchema,
    notificationType: notificationTypeNameSchema,
    justification: text(2000).refine(s => s.trim().length > 0, {
      message: 'must explain why the consumer needs these notifications',
    }),
  })
  .strict();

export const approveSubscriptionRequestSchema = z
  .object({ generation: generationSchema, reason: text(2000).optional() })
  .strict();

/** Rejecting and revoking need a reason: the requester sees it. */
export const reasonedDecisionRequestSchema = z
  .object({
    generation: generationSchema,
    reason: text(2000).refine(s => s.trim().length > 0, {
      message: 'must tell the requester why',
    }),
  })
  .strict();

export const createCredentialRequestSchema = z
  .object({ expiresAt: timestampSchema.nullable().optional() })
  .strict();

export const rotateCredentialRequestSchema = z
  .object({
    /** How long the credentials live before the rotation keep working. */
    overlapSeconds: z.number().int().min(0).max(30 * 24 * 3600).optional(),
    expiresAt: timestampSchema.nullable().optional(),
  })
  .strict();

export const deleteRequestSchema = z
  .object({
    generation: z.coerce.number().int().min(1),
    force: z
      .enum(['true', 'false'])
      .optional()
      .transform(v => v === 'true'),
  })
  .strict();

export const confirmQueueDeletionRequestSchema = z
  .object({ generation: generationSchema })
  .strict();

export const pageQuerySchema = z.object({
  offset: z.coerce.number().int().min(0).max(1_000_000).default(0),
  limit: z.coerce.number().int().min(1).max(500).default(50),
});

/**
 * A list that pages by key: `cursor` (the previous page's `nextCursor`) continues after the
 * last row it saw, in the order `sort` and `order` give; `offset` still jumps, bounded.
 */
export function sortedPageQuerySchema<S extends readonly [string, ...string[]]>(
  sortKeys: S,
  defaults: { sort: S[number]; order: 'asc' | 'desc' },
) {
  return pageQuerySchema.extend({
    sort: z
      .enum(sortKeys, { error: `sort must be one of ${sortKeys.join(', ')}` })
      .default(defaults.sort as any),
    order: z
      .enum(['asc', 'desc'], { error: 'order must be asc or desc' })
      .default(defaults.order),
    cursor: z.string().max(1000).optional(),
  });
}

export const APPLICATION_SORT_KEYS = ['name', 'title', 'owner'] as const;
export const NOTIFICATION_TYPE_SORT_KEYS = ['producer', 'name', 'owner'] as const;
export const SUBSCRIPTION_SORT_KEYS = ['updatedAt', 'requestedAt', 'consumer', 'producer'] as const;

/** A zod error as one line a client can act on: each issue with the path it is about. */
export function describeZodError(error: z.ZodError): string {
  return error.issues
    .map(issue => {
      const path = issue.path.join('.');
      if (issue.code === 'unrecognized_keys') {
        return `unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys
          .map(k => `"${k}"`)
          .join(', ')}${path ? ` in ${path}` : ''}`;
      }
      return path ? `${path}: ${issue.message}` : issue.message;
    })
    .join('; ');
}

export type CreateApplicationRequest = z.infer<typeof createApplicationRequestSchema>;
export type UpdateApplicationRequest = z.infer<typeof updateApplicationRequestSchema>;
export type CreateNotificationTypeRequest = z.infer<
  typeof createNotificationTypeRequestSchema
>;
export type UpdateNotificationTypeRequest = z.infer<
  typeof updateNotificationTypeRequestSchema
>;
export type DeprecateNotificationTypeRequest = z.infer<
  typeof deprecateNotificationTypeRequestSchema
>;
export type CreateNotificationTypeVersionRequest = z.infer<
  typeof createNotificationTypeVersionRequestSchema
>;
export type RequestSubscriptionRequest = z.infer<
  typeof requestSubscriptionRequestSchema
>;
export type ApproveSubscriptionRequest = z.infer<
  typeof approveSubscriptionRequestSchema
>;
export type ReasonedDecisionRequest = z.infer<typeof reasonedDecisionRequestSchema>;
export type CreateCredentialRequest = z.infer<typeof createCredentialRequestSchema>;
export type RotateCredentialRequest = z.infer<typeof rotateCredentialRequestSchema>;

/** The most messages one peek at a dead-letter queue returns. */
export const DEAD_LETTER_PEEK_MAX = 50;

/** `GET /applications/{name}/dead-letters`: how many messages to show (default 10). */
export const peekDeadLettersQuerySchema = z
  .object({
    count: z.coerce
      .number()
      .int('count must be a whole number')
      .min(1, 'count must be at least 1')
      .max(DEAD_LETTER_PEEK_MAX, `count must be at most ${DEAD_LETTER_PEEK_MAX}`)
      .default(10),
  })
  .strict();

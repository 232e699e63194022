import { ResponseError } from '@backstage/errors';
import {
  Application,
  ApplicationHealth,
  DeadLetterPeek,
  ApplicationStatus,
  AuditEvent,
  Credential,
  NotificationType,
  ObjectStatus,
  Page,
  Subscription,
} from '@internal/plugin-brom-common';

const T0 = '2026-11-21T10:00:00.000Z';

export function page<T>(items: T[], totalCount = items.length): Page<T> {
  return { items, totalCount, offset: 0, limit: 500 };
}

/** A promise that never settles: the component stays loading. */
export function pending<T>(): Promise<T> {
  return new Promise<T>(() => {});
}

export function application(overrides: Partial<Application> = {}): Application {
  return {
    id: 'a-payments-api',
    name: 'payments-api',
    title: 'Payments API',
    description: 'Takes card and invoice payments.',
    owner: 'group:default/payments',
    entityRef: null,
    settings: { messageTtlMs: null, maxLength: null },
    externalProducer: null,
    generation: 1,
    createdAt: T0,
    updatedAt: T0,
    deletedAt: null,
    queueDeletionConfirmedAt: null,
    ...overrides,
  };
}

export function notificationType(
  overrides: Partial<NotificationType> = {},
): NotificationType {
  return {
    id: 't-payment-completed',
    application: 'payments-api',
    name: 'payment-completed',
    routingKeyPattern: 'payment.*.completed',
    description: 'A payment was captured.',
    payloadSchema: null,
    visibility: 'public',
    requiresApproval: true,
    deprecation: null,
    generation: 1,
    createdAt: T0,
    updatedAt: T0,
    deletedAt: null,
    ...overrides,
  };
}

export function subscription(
  overrides: Partial<Subscription> = {},
): Subscription {
  return {
    id: 's-warehouse-payment-completed',
    consumer: 'warehouse',
    producer: 'payments-api',
    notificationType: 'payment-completed',
    routingKeyPattern: 'payment.*.completed',
    state: 'requested',
    justification: 'Start picking as soon as payment is captured.',
    requestedBy: 'user:default/bob',
    requestedAt: T0,
    decidedBy: null,
    decidedAt: null,
    reason: null,
    notificationTypeDeprecation: null,
    generation: 1,
    updatedAt: T0,
    ...overrides,
  };
}

export function credential(overrides: Partial<Credential> = {}): Credential {
  return {
    id: 'c1',
    application: 'payments-api',
    username: 'payments-api-4f2a',
    createdAt: T0,
    createdBy: 'user:default/alice',
    expiresAt: null,
    revokedAt: null,
    revokedBy: null,
    ...overrides,
  };
}

export function objectStatus(
  overrides: Partial<ObjectStatus> = {},
): ObjectStatus {
  return {
    key: 'exchange:brom.payments-api',
    kind: 'exchange',
    name: 'brom.payments-api',
    application: 'payments-api',
    subscriptionId: null,
    desiredGeneration: 1,
    condition: {
      type: 'Ready',
      status: 'True',
      reason: 'Synced',
      message: '',
      observedGeneration: 1,
      lastTransitionTime: T0,
    },
    attempts: 1,
    lastAttemptAt: T0,
    nextAttemptAt: null,
    ...overrides,
  };
}

export function applicationStatus(
  objects: ObjectStatus[],
  summary: string,
  overrides: Partial<ApplicationStatus> = {},
): ApplicationStatus {
  return {
    application: 'payments-api',
    summary,
    ready:
      objects.every(o => o.condition.status === 'True') && objects.length > 0,
    objects,
    observedAt: T0,
    unmanaged: [],
    ...overrides,
  };
}

export function auditEvent(
  id: number,
  overrides: Partial<AuditEvent> = {},
): AuditEvent {
  return {
    id,
    at: T0,
    actor: 'user:default/alice',
    action: 'notification-type.created',
    targetKind: 'notificationType',
    targetId: `t${id}`,
    application: 'payments-api',
    applicationId: 'b0e1c6a2-0000-4000-8000-000000000001',
    before: null,
    after: { application: 'payments-api', name: `type-${id}` },
    ...overrides,
  };
}

const STATUS_TEXT: Record<number, string> = {
  400: 'Bad Request',
  403: 'Forbidden',
  404: 'Not Found',
  409: 'Conflict',
  500: 'Internal Server Error',
};

const ERROR_NAME: Record<number, string> = {
  400: 'InputError',
  403: 'NotAllowedError',
  404: 'NotFoundError',
  409: 'ConflictError',
};

/** The error `BromClient` throws when the backend answers `statusCode` with `message`. */
export function responseError(
  statusCode: number,
  message: string,
): Promise<ResponseError> {
  const name = ERROR_NAME[statusCode] ?? 'Error';
  const body = JSON.stringify({
    error: { name, message },
    request: { method: 'POST', url: '/api/brom' },
    response: { statusCode },
  });
  return ResponseError.fromResponse({
    status: statusCode,
    statusText: STATUS_TEXT[statusCode] ?? 'Error',
    headers: {
      get: (header: string) =>
        header === 'content-type' ? 'application/json' : null,
    },
    text: async () => body,
  } as unknown as Response);
}

export function applicationHealth(
  overrides: Partial<ApplicationHealth> = {},
): ApplicationHealth {
  return {
    application: 'payments-api',
    observedAt: T0,
    queue: {
      name: 'brom.payments-api',
      exists: true,
      messagesReady: 12,
      messagesUnacknowledged: 3,
      consumers: 2,
      publishRate: 4.5,
      deliverRate: 4.2,
      ackRate: 4.1,
      lastDeliveryAt: T0,
    },
    deadLetterQueue: {
      name: 'brom.payments-api.dlq',
      exists: true,
      messagesReady: 0,
      messagesUnacknowledged: 0,
      consumers: 0,
      publishRate: 0,
      deliverRate: 0,
      ackRate: 0,
      lastDeliveryAt: null,
    },
    exchange: {
      name: 'brom.payments-api',
      exists: true,
      publishRate: 7,
      unroutableRate: 0.5,
    },
    warnings: [],
    ...overrides,
  };
}

export function deadLetterPeek(
  overrides: Partial<DeadLetterPeek> = {},
): DeadLetterPeek {
  return {
    application: 'payments-api',
    queue: 'brom.payments-api.dlq',
    messageCount: 1,
    messages: [
      {
        routingKey: 'order.42.created',
        redelivered: false,
        deaths: [
          {
            reason: 'rejected',
            queue: 'brom.payments-api',
            time: T0,
            count: 1,
            exchange: 'brom.orders',
            routingKeys: ['order.42.created'],
          },
        ],
        properties: { content_type: 'application/json', delivery_mode: 2 },
        headers: {},
        payloadBytes: 13,
        payload: '{"order":42}',
        payloadEncoding: 'string',
        payloadTruncated: false,
      },
    ],
    replayRunning: false,
    ...overrides,
  };
}

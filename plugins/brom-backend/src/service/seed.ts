import { LoggerService } from '@backstage/backend-plugin-api';
import { randomUUID } from 'node:crypto';
import { Application, NotificationType } from '@internal/plugin-brom-common';
import { BromUnitOfWork } from '../store/BromRepositories';

const SEEDER = 'brom:example-data';

interface SeedApplication {
  name: string;
  title: string;
  description: string;
  owner: string;
  entityRef?: string;
  types?: Array<{
    name: string;
    pattern: string;
    description: string;
    requiresApproval?: boolean;
    payloadSchema?: Record<string, unknown>;
  }>;
}

const GROUP_PAYMENTS = 'group:default/payments';
const GROUP_LOGISTICS = 'group:default/logistics';

const APPLICATIONS: SeedApplication[] = [
  {
    name: 'payments-api',
    title: 'Payments API',
    description: 'Takes card and invoice payments; tells others when money moves.',
    owner: GROUP_PAYMENTS,
    types: [
      {
        name: 'payment-completed',
        pattern: 'payment.*.completed',
        description: 'A payment was captured. The middle word is the payment id.',
        payloadSchema: {
          type: 'object',
          required: ['paymentId', 'amount', 'currency'],
          properties: {
            paymentId: { type: 'string' },
            amount: { type: 'number' },
            currency: { type: 'string', minLength: 3, maxLength: 3 },
          },
        },
      },
      {
        name: 'payment-refunded',
        pattern: 'payment.*.refunded',
        description: 'A payment was refunded in full or in part.',
        requiresApproval: false,
      },
    ],
  },
  {
    name: 'invoicing',
    title: 'Invoicing',
    description: 'Sends invoices and reminders.',
    owner: GROUP_PAYMENTS,
  },
  {
    name: 'shipping-service',
    title: 'Shipping service',
    description: 'Books carriers and tracks parcels.',
    owner: GROUP_LOGISTICS,
    types: [
      {
        name: 'shipment-dispatched',
        pattern: 'shipment.*.dispatched',
        description: 'A parcel left the warehouse. The middle word is the shipment id.',
      },
      {
        name: 'shipment-events',
        pattern: 'shipment.tracking.#',
        description: 'Every tracking event from the carriers.',
      },
    ],
  },
  {
    name: 'warehouse',
    title: 'Warehouse',
    description: 'Picks and packs orders.',
    owner: GROUP_LOGISTICS,
  },
];

const SUBSCRIPTIONS: Array<{
  consumer: string;
  producer: string;
  type: string;
  state: 'requested' | 'approved' | 'rejected' | 'revoked';
  justification: string;
  requestedBy: string;
  decidedBy?: string;
  reason?: string;
}> = [
  {
    consumer: 'shipping-service',
    producer: 'payments-api',
    type: 'payment-completed',
    state: 'approved',
    justification: 'We book the carrier once the order is paid.',
    requestedBy: 'user:default/bob',
    decidedBy: 'user:default/alice',
  },
  {
    consumer: 'warehouse',
    producer: 'payments-api',
    type: 'payment-completed',
    state: 'requested',
    justification: 'Start picking as soon as payment is captured.',
    requestedBy: 'user:default/bob',
  },
  {
    consumer: 'invoicing',
    producer: 'shipping-service',
    type: 'shipment-events',
    state: 'rejected',
    justification: 'Show tracking on invoices.',
    requestedBy: 'user:default/alice',
    decidedBy: 'user:default/bob',
    reason: 'Tracking events are very chatty; subscribe to shipment-dispatched instead.',
  },
  {
    consumer: 'invoicing',
    producer: 'shipping-service',
    type: 'shipment-dispatched',
    state: 'requested',
    justification: 'Send the invoice when the parcel leaves.',
    requestedBy: 'user:default/alice',
  },
  {
    consumer: 'warehouse',
    producer: 'payments-api',
    type: 'payment-refunded',
    state: 'approved',
    justification: 'Restock refunded items.',
    requestedBy: 'user:default/bob',
  },
];

/**
 * Fills an empty store with two teams' producers, consumers and subscriptions in every
 * state, so `npm start` shows a working portal. Does nothing when any application exists.
 * Example data is a starting state, not a change anyone made, so it records no domain events.
 */
export async function seedExampleData(options: {
  work: BromUnitOfWork;
  logger: LoggerService;
}): Promise<void> {
  const { work, logger } = options;
  const seeded = await work.write(async repositories => {
    const existing = await repositories.applications.list({ offset: 0, limit: 1 });
    if (existing.totalCount > 0) return false;
    const now = new Date().toISOString();
    const applications = new Map<string, Application>();
    const types = new Map<string, NotificationType>();
    for (const seed of APPLICATIONS) {
      const application: Application = {
        id: randomUUID(),
        name: seed.name,
        title: seed.title,
        description: seed.description,
        owner: seed.owner,
        entityRef: seed.entityRef ?? null,
        settings: { messageTtlMs: null, maxLength: null },
        externalProducer: null,
        generation: 1,
        createdAt: now,
        updatedAt: now,
        deletedAt: null,
        queueDeletionConfirmedAt: null,
      };
      applications.set(seed.name, application);
      await repositories.applications.insert(application, { createdBy: SEEDER });
      for (const seedType of seed.types ?? []) {
        const type: NotificationType = {
          id: randomUUID(),
          application: seed.name,
          name: seedType.name,
          routingKeyPattern: seedType.pattern,
          description: seedType.description,
          payloadSchema: seedType.payloadSchema ?? null,
          visibility: 'public',
          requiresApproval: seedType.requiresApproval ?? true,
          deprecation: null,
          generation: 1,
          createdAt: now,
          updatedAt: now,
          deletedAt: null,
        };
        types.set(`${seed.name}/${seedType.name}`, type);
        await repositories.notificationTypes.insert(type, { applicationId: application.id });
      }
    }
    for (const s of SUBSCRIPTIONS) {
      const type = types.get(`${s.producer}/${s.type}`)!;
      await repositories.subscriptions.insert(
        {
          id: randomUUID(),
          consumer: s.consumer,
          producer: s.producer,
          notificationType: s.type,
          routingKeyPattern: type.routingKeyPattern,
          state: s.state,
          justification: s.justification,
          requestedBy: s.requestedBy,
          requestedAt: now,
          decidedBy: s.decidedBy ?? null,
          decidedAt: s.state === 'requested' ? null : now,
          reason: s.reason ?? null,
          notificationTypeDeprecation: null,
          generation: 1,
          updatedAt: now,
        },
        {
          consumerId: applications.get(s.consumer)!.id,
          typeId: type.id,
          requiresApproval: type.requiresApproval,
        },
      );
    }
    for (const seed of APPLICATIONS) {
      await repositories.audit.append({
        at: now,
        actor: SEEDER,
        action: 'application.created',
        targetKind: 'application',
        targetId: applications.get(seed.name)!.id,
        application: seed.name,
        applicationId: applications.get(seed.name)!.id,
        before: null,
        after: { name: seed.name, owner: seed.owner, seeded: true },
      });
    }
    return true;
  });
  if (seeded) logger.info('Seeded example BROM applications, types and subscriptions');
}

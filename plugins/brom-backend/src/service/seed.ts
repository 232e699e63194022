import { LoggerService } from '@backstage/backend-plugin-api';
import { randomUUID } from 'node:crypto';
import { BromStore } from '../store/BromStore';

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
 */
export async function seedExampleData(options: {
  store: BromStore;
  logger: LoggerService;
}): Promise<void> {
  const { store, logger } = options;
  const seeded = await store.write(async tx => {
    const existing = await tx
      .selectFrom('brom_applications')
      .select('id')
      .limit(1)
      .executeTakeFirst();
    if (existing) return false;
    const now = new Date().toISOString();
    const appIds = new Map<string, string>();
    const typeIds = new Map<string, string>();
    for (const app of APPLICATIONS) {
      const id = randomUUID();
      appIds.set(app.name, id);
      await tx
        .insertInto('brom_applications')
        .values({
          id,
          name: app.name,
          title: app.title,
          description: app.description,
          owner: app.owner,
          entity_ref: app.entityRef ?? null,
          message_ttl_ms: null,
          max_length: null,
          generation: 1,
          created_at: now,
          created_by: SEEDER,
          updated_at: now,
          deleted_at: null,
          deleted_by: null,
          queue_deletion_confirmed_at: null,
          queue_deletion_confirmed_by: null,
        })
        .execute();
      for (const type of app.types ?? []) {
        const typeId = randomUUID();
        typeIds.set(`${app.name}/${type.name}`, typeId);
        await tx
          .insertInto('brom_notification_types')
          .values({
            id: typeId,
            application_id: id,
            name: type.name,
            routing_key_pattern: type.pattern,
            description: type.description,
            payload_schema: type.payloadSchema ? JSON.stringify(type.payloadSchema) : null,
            visibility: 'public',
            requires_approval: type.requiresApproval ?? true,
            generation: 1,
            created_at: now,
            updated_at: now,
            deleted_at: null,
            deleted_by: null,
          })
          .execute();
      }
    }
    for (const s of SUBSCRIPTIONS) {
      await tx
        .insertInto('brom_subscriptions')
        .values({
          id: randomUUID(),
          consumer_application_id: appIds.get(s.consumer)!,
          notification_type_id: typeIds.get(`${s.producer}/${s.type}`)!,
          state: s.state,
          justification: s.justification,
          requested_by: s.requestedBy,
          requested_at: now,
          decided_by: s.decidedBy ?? null,
          decided_at: s.state === 'requested' ? null : now,
          reason: s.reason ?? null,
          generation: 1,
          updated_at: now,
        })
        .execute();
    }
    await tx
      .insertInto('brom_audit_events')
      .values(
        APPLICATIONS.map(app => ({
          at: now,
          actor: SEEDER,
          action: 'application.created',
          target_kind: 'application',
          target_id: appIds.get(app.name)!,
          application: app.name,
          before: null,
          after: JSON.stringify({ name: app.name, owner: app.owner, seeded: true }),
        })),
      )
      .execute();
    return true;
  });
  if (seeded) logger.info('Seeded example BROM applications, types and subscriptions');
}

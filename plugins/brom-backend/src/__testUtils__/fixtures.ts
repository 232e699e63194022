import {
  Application,
  NotificationType,
  Subscription,
} from '@internal/plugin-brom-common';
import { Knex } from 'knex';
import { ALICE, BOB, TEAM_A, TEAM_B } from './backend';
import { BromTestClient, uniqueName } from './client';

/** Registers an application owned by `owner`, as `who`. */
export async function createApplication(
  api: BromTestClient,
  who: string,
  owner: string,
  body: Record<string, unknown> = {},
): Promise<Application> {
  const res = await api.post(who, '/applications', {
    body: { name: uniqueName('app'), owner, ...body },
    expect: 201,
  });
  return res.body;
}

/** Declares a notification type with a pattern no other type of the producer overlaps. */
export async function createNotificationType(
  api: BromTestClient,
  who: string,
  application: string,
  body: Record<string, unknown> = {},
): Promise<NotificationType> {
  const name = uniqueName('type');
  const res = await api.post(who, '/applications/{name}/notification-types', {
    params: { name: application },
    body: {
      name,
      routingKeyPattern: `${name}.*`,
      description: `Sent when ${name} happens`,
      ...body,
    },
    expect: 201,
  });
  return res.body;
}

export async function requestSubscription(
  api: BromTestClient,
  who: string,
  consumer: string,
  type: NotificationType,
  expect = 201,
): Promise<Subscription> {
  const res = await api.post(who, '/subscriptions', {
    body: {
      consumer,
      producer: type.application,
      notificationType: type.name,
      justification: 'We need to know',
    },
    expect,
  });
  return res.body;
}

/** The usual sides of a subscription: Alice's team produces, Bob's team consumes. */
export const ALICE_PRODUCES_BOB_CONSUMES = {
  producer: ALICE,
  producerOwner: TEAM_A,
  consumer: BOB,
  consumerOwner: TEAM_B,
};

/** A producer of `producerOwner`, one type, and a consumer of `consumerOwner` with a pending request. */
export async function pendingSubscription(
  api: BromTestClient,
  who: {
    producer: string;
    producerOwner: string;
    consumer: string;
    consumerOwner: string;
  },
  typeBody: Record<string, unknown> = {},
) {
  const producer = await createApplication(
    api,
    who.producer,
    who.producerOwner,
  );
  const type = await createNotificationType(
    api,
    who.producer,
    producer.name,
    typeBody,
  );
  const consumer = await createApplication(
    api,
    who.consumer,
    who.consumerOwner,
  );
  const subscription = await requestSubscription(
    api,
    who.consumer,
    consumer.name,
    type,
  );
  return { producer, type, consumer, subscription };
}

export async function auditRows(
  knex: Knex,
  where: { application?: string; targetId?: string } = {},
) {
  let query = knex('brom_audit_events').select().orderBy('id');
  if (where.application) query = query.where('application', where.application);
  if (where.targetId) query = query.where('target_id', where.targetId);
  return query;
}

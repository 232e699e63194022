import { ObjectStatus } from '@internal/plugin-brom-common';
import { OPTIONS, sampleInput } from '../reconciler/__testUtils__/fakeBroker';
import { desiredTopology } from '../reconciler/core/topology';
import { summarise, withMissing, withPendingWork } from './StatusService';

const BILLING = { id: 'app-billing', name: 'billing', updatedAt: '2026-03-01T11:00:00.000Z' };
const BINDING = 'binding:brom.orders->queue:brom.billing:order.*.created';

function ready(key: string, kind: ObjectStatus['kind'], desiredGeneration = 1): ObjectStatus {
  return {
    key,
    kind,
    name: key.slice(key.indexOf(':') + 1),
    application: kind === 'vhost' ? null : 'billing',
    subscriptionId: null,
    desiredGeneration,
    condition: {
      type: 'Ready',
      status: 'True',
      reason: 'InSync',
      message: 'as desired',
      observedGeneration: desiredGeneration,
      lastTransitionTime: '2026-03-01T12:00:00.000Z',
    },
    attempts: 0,
    lastAttemptAt: null,
    nextAttemptAt: null,
  };
}

describe('withPendingWork', () => {
  const desired = desiredTopology(sampleInput(), OPTIONS);
  const everything = [
    ready('vhost:brom', 'vhost'),
    ready('exchange:brom.billing.dlx', 'exchange'),
    ready('policy:brom.billing', 'policy'),
    ready('queue:brom.billing', 'queue'),
    ready('queue:brom.billing.dlq', 'queue'),
    ready('binding:brom.billing.dlx->queue:brom.billing.dlq:', 'binding'),
    ready(BINDING, 'binding', 2),
  ];

  it('reads ready when every desired object is recorded ready at its generation', () => {
    const status = summarise(withPendingWork(everything, desired, BILLING));
    expect(status).toMatchObject({ ready: true, summary: '6 of 6 objects ready' });
  });

  it('lists a desired object with no record as pending, and counts it', () => {
    const recorded = everything.filter(o => o.key !== BINDING);
    const objects = withPendingWork(recorded, desired, BILLING);
    expect(objects.find(o => o.key === BINDING)).toMatchObject({
      kind: 'binding',
      name: 'brom.orders->queue:brom.billing:order.*.created',
      application: 'billing',
      subscriptionId: 'sub-billing',
      desiredGeneration: 2,
      condition: { status: 'Unknown', reason: 'Pending', message: 'not created on the broker yet' },
    });
    expect(summarise(objects)).toMatchObject({
      ready: false,
      summary: `5 of 6 objects ready; binding ${BINDING.slice('binding:'.length)} pending: not created on the broker yet (Pending)`,
    });
  });

  it('lists a record of an older generation, and a ready record no longer desired, as pending', () => {
    const recorded = [
      ...everything.filter(o => o.key !== BINDING),
      ready(BINDING, 'binding', 1),
      ready('binding:brom.orders->queue:brom.billing:order.#', 'binding', 1),
    ];
    const objects = withPendingWork(recorded, desired, BILLING);
    expect(objects.find(o => o.key === BINDING)!.condition).toMatchObject({
      status: 'Unknown',
      reason: 'Pending',
      message: 'changed since it was reconciled (generation 1 of 2)',
    });
    expect(
      objects.find(o => o.key === 'binding:brom.orders->queue:brom.billing:order.#')!.condition,
    ).toMatchObject({ status: 'Unknown', message: 'no longer wanted: waiting to be deleted' });
    expect(summarise(objects)).toMatchObject({ ready: false });
    expect(summarise(objects).summary).toMatch(/^5 of 7 objects ready; /);
  });
});

describe('withMissing', () => {
  const AT = Date.parse('2026-03-01T12:05:00.000Z');
  const shovel = ready('shovel:brom.billing', 'shovel');

  it('marks a ready object the check did not find as Missing, and a found one that does not run with its health', () => {
    const queue = ready('queue:brom.billing', 'queue');
    const [missing, stopped] = withMissing([queue, shovel], {
      at: AT,
      missing: new Set([queue.key]),
      unhealthy: new Map([
        [shovel.key, { status: 'False', reason: 'ShovelTerminated', message: 'terminated on rabbit@a: auth failure' }],
      ]),
    });
    expect(missing.condition).toMatchObject({ status: 'False', reason: 'Missing' });
    expect(stopped.condition).toEqual({
      type: 'Ready',
      status: 'False',
      reason: 'ShovelTerminated',
      message: 'terminated on rabbit@a: auth failure',
      observedGeneration: 1,
      lastTransitionTime: new Date(AT).toISOString(),
    });
  });

  it('keeps what the reconciler wrote after the check', () => {
    const written = { ...shovel, lastAttemptAt: new Date(AT + 1_000).toISOString() };
    const [kept] = withMissing([written], {
      at: AT,
      missing: new Set(),
      unhealthy: new Map([[shovel.key, { status: 'False', reason: 'ShovelStarting', message: 'starting' }]]),
    });
    expect(kept).toBe(written);
  });
});

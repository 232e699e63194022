import { FakeBroker, OPTIONS, sampleInput } from '../__testUtils__/fakeBroker';
import {
  Condition,
  nextCondition,
  plannedReadiness,
  summariseApplication,
} from './conditions';
import { plan } from './plan';
import { desiredTopology } from './topology';

const T0 = new Date('2026-03-01T10:00:00.000Z');
const T1 = new Date('2026-03-01T10:05:00.000Z');
const T2 = new Date('2026-03-01T10:10:00.000Z');

describe('nextCondition', () => {
  const ready = {
    type: 'Ready' as const,
    status: 'True' as const,
    reason: 'InSync',
    message: 'matches the broker',
    observedGeneration: 1,
  };

  it('stamps the first condition with the current time', () => {
    expect(nextCondition(undefined, ready, T0)).toEqual({
      ...ready,
      lastTransitionTime: T0.toISOString(),
    });
  });

  it('keeps the transition time while the status stays, even when reason, message or generation move', () => {
    const first = nextCondition(undefined, ready, T0);
    const second = nextCondition(
      first,
      {
        ...ready,
        reason: 'Adopted',
        message: 'now managed',
        observedGeneration: 2,
      },
      T1,
    );
    expect(second).toEqual({
      ...ready,
      reason: 'Adopted',
      message: 'now managed',
      observedGeneration: 2,
      lastTransitionTime: T0.toISOString(),
    });
  });

  it('moves the transition time when the status moves, and again when it moves back', () => {
    const first = nextCondition(undefined, ready, T0);
    const failing = nextCondition(
      first,
      {
        ...ready,
        status: 'False',
        reason: 'BrokerUnavailable',
        message: 'connection refused',
      },
      T1,
    );
    const stillFailing = nextCondition(failing, { ...failing }, T2);
    const recovered = nextCondition(stillFailing, ready, T2);

    expect(failing.lastTransitionTime).toBe(T1.toISOString());
    expect(stillFailing.lastTransitionTime).toBe(T1.toISOString());
    expect(recovered.lastTransitionTime).toBe(T2.toISOString());
  });
});

describe('summariseApplication', () => {
  const condition = (
    status: Condition['status'],
    reason = 'InSync',
    message = 'ok',
  ) => ({
    status,
    reason,
    message,
  });

  it('counts ready objects and explains failures before pending ones', () => {
    expect(
      summariseApplication([
        { key: 'queue:brom.billing', condition: condition('True') },
        {
          key: 'policy:brom.billing',
          condition: condition('Unknown', 'Creating', 'creating on the broker'),
        },
        { key: 'exchange:brom.billing.dlx', condition: condition('True') },
        {
          key: 'binding:brom.orders->queue:brom.billing:order.*',
          condition: condition(
            'False',
            'Conflict',
            'an unmanaged binding differs',
          ),
        },
      ]),
    ).toBe(
      '2 of 4 objects ready; binding brom.orders->queue:brom.billing:order.* failing: an unmanaged binding differs (Conflict); policy brom.billing pending: creating on the broker (Creating)',
    );
  });

  it('says all are ready when they are, and something sensible when there are none', () => {
    expect(
      summariseApplication([{ key: 'queue:a', condition: condition('True') }]),
    ).toBe('1 of 1 objects ready');
    expect(summariseApplication([])).toBe('no broker objects');
  });

  it('lists at most three problems and counts the rest', () => {
    const objects = ['a', 'b', 'c', 'd', 'e'].map(n => ({
      key: `queue:${n}`,
      condition: condition('False', 'BrokerUnavailable', 'timeout'),
    }));
    expect(summariseApplication(objects)).toBe(
      '0 of 5 objects ready; queue a failing: timeout (BrokerUnavailable); queue b failing: timeout (BrokerUnavailable); queue c failing: timeout (BrokerUnavailable); 2 more not ready',
    );
  });
});

describe('plannedReadiness', () => {
  it('marks in-sync objects ready, writes in progress and conflicts failing', () => {
    const broker = new FakeBroker();
    const first = plan(
      desiredTopology(sampleInput(), OPTIONS),
      broker.observed,
      broker.managed,
      OPTIONS,
    );
    const creating = plannedReadiness(first);
    expect(creating.get('queue:brom.billing')).toEqual({
      status: 'Unknown',
      reason: 'Creating',
      message: 'creating on the broker',
    });

    broker.apply(first);
    broker.managed.delete('policy:brom.billing');
    broker.observed.policies.find(p => p.name === 'brom.billing')!.priority = 0;
    const second = plannedReadiness(
      plan(
        desiredTopology(sampleInput(), OPTIONS),
        broker.observed,
        broker.managed,
        OPTIONS,
      ),
    );
    expect(second.get('queue:brom.billing')).toMatchObject({
      status: 'True',
      reason: 'InSync',
    });
    expect(second.get('policy:brom.billing')).toMatchObject({
      status: 'False',
      reason: 'Conflict',
    });
  });
});

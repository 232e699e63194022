import { ObjectStatus } from '@internal/plugin-brom-common';
import {
  describeLastAttempt,
  describeNextAttempt,
  describeObject,
  describeReadiness,
} from './statusWords';

const now = new Date('2026-11-21T12:00:00.000Z');

function object(
  overrides: Partial<ObjectStatus> & Pick<ObjectStatus, 'condition'>,
): ObjectStatus {
  return {
    key: 'queue:brom.billing',
    kind: 'queue',
    name: 'brom.billing',
    application: 'billing',
    subscriptionId: null,
    desiredGeneration: 1,
    attempts: 0,
    lastAttemptAt: null,
    nextAttemptAt: null,
    ...overrides,
  };
}

const condition = (
  status: 'True' | 'False' | 'Unknown',
  reason: string,
  message: string,
) => ({
  type: 'Ready' as const,
  status,
  reason,
  message,
  observedGeneration: 1,
  lastTransitionTime: '2026-11-21T11:00:00.000Z',
});

describe('status in plain words', () => {
  it('says where a shovel runs, and why it is not running', () => {
    const shovel = (c: ReturnType<typeof condition>) =>
      object({ key: 'shovel:brom.partner', kind: 'shovel', name: 'brom.partner', condition: c });
    expect(describeObject(shovel(condition('True', 'ShovelRunning', '')))).toBe(
      'Shovel from the upstream brom.partner',
    );
    expect(
      describeReadiness(shovel(condition('True', 'ShovelRunning', 'running on rabbit@node-2')), now),
    ).toBe('Ready: running on rabbit@node-2');
    expect(
      describeReadiness(
        shovel(
          condition(
            'False',
            'ShovelStarting',
            'starting on rabbit@node-2: connecting to the upstream, or waiting to reconnect',
          ),
        ),
        now,
      ),
    ).toBe('Failing: starting on rabbit@node-2: connecting to the upstream, or waiting to reconnect');
  });

  it('says a synced object is ready', () => {
    expect(
      describeReadiness(
        object({ condition: condition('True', 'Synced', '') }),
        now,
      ),
    ).toBe('Ready');
  });

  it('says why an object fails and when it is retried', () => {
    const failing = object({
      condition: condition('False', 'BrokerUnavailable', 'connection refused'),
      attempts: 3,
      lastAttemptAt: '2026-11-21T11:58:00.000Z',
      nextAttemptAt: '2026-11-21T12:00:12.000Z',
    });
    expect(describeReadiness(failing, now)).toBe(
      'Failing: connection refused, retrying in 12 s',
    );
    expect(describeLastAttempt(failing, now)).toBe(
      '2 min ago (3 attempts in a row)',
    );
    expect(describeNextAttempt(failing, now)).toBe('In 12 s');
  });

  it('falls back to the reason when there is no message, and says when a retry is due', () => {
    const due = object({
      condition: condition('False', 'InequivalentArguments', ''),
      nextAttemptAt: '2026-11-21T11:59:00.000Z',
    });
    expect(describeReadiness(due, now)).toBe(
      'Failing: InequivalentArguments, retrying now',
    );
  });

  it('describes work in progress and subscription bindings', () => {
    const binding = object({
      kind: 'binding',
      name: 'brom.orders->queue:brom.billing:order.*.created',
      subscriptionId: 's1',
      condition: condition('Unknown', 'Creating', 'creating on the broker'),
    });
    expect(describeReadiness(binding, now)).toBe(
      'In progress: creating on the broker',
    );
    expect(describeObject(binding)).toBe(
      'Subscription binding brom.orders->queue:brom.billing:order.*.created',
    );
    expect(describeLastAttempt(binding, now)).toBe('Never');
    expect(describeNextAttempt(binding, now)).toBe('—');
  });
});

import { compileRoutingKeyPatterns } from '@internal/brom-authz-snapshot';
import { FakeBroker, OPTIONS, sampleInput } from '../__testUtils__/fakeBroker';
import { Plan, plan, plannedWrites } from './plan';
import { desiredTopology } from './topology';
import { ReconcilerInput, TopologyOptions } from './types';

const NATIVE: TopologyOptions = { ...OPTIONS, authzMode: 'native' };

/** The sample with a live credential for each application (orders has two: a rotation). */
function nativeInput(): ReconcilerInput {
  return {
    ...sampleInput(),
    credentials: [
      {
        id: 'cred-orders-1',
        applicationId: 'app-orders',
        username: 'orders.aaaa2222',
      },
      {
        id: 'cred-orders-2',
        applicationId: 'app-orders',
        username: 'orders.bbbb3333',
      },
      {
        id: 'cred-billing',
        applicationId: 'app-billing',
        username: 'billing.cccc4444',
      },
      {
        id: 'cred-shipping',
        applicationId: 'app-shipping',
        username: 'shipping.dddd5555',
      },
    ],
  };
}

function planFor(
  input: ReconcilerInput,
  broker: FakeBroker,
  options = NATIVE,
): Plan {
  return plan(
    desiredTopology(input, options),
    broker.observed,
    broker.managed,
    options,
  );
}

function converged(input = nativeInput()): FakeBroker {
  const broker = new FakeBroker();
  broker.apply(planFor(input, broker));
  broker.writes.length = 0;
  return broker;
}

function waves(p: Plan): string[] {
  return p.waves.map(
    w => `${w.operation} ${w.stage}: ${w.actions.map(a => a.key).join(' ')}`,
  );
}

/** Runs a PCRE topic permission the way RabbitMQ's internal backend does, in JavaScript. */
function brokerRegexMatches(regex: string, key: string): boolean {
  if (regex === '(?!)') return false;
  const body = regex.replace(/^\(\?s\)/, '').replace(/\\z$/, '$');
  return new RegExp(body, 's').test(key);
}

describe('native authorisation mode', () => {
  it('gives every live credential a broker user and the permissions the live sidecar grants its application', () => {
    const topology = desiredTopology(nativeInput(), NATIVE);

    expect(
      topology.users.map(u => [u.key, u.name, u.owner.applicationId]),
    ).toEqual([
      ['user:billing.cccc4444', 'billing.cccc4444', 'app-billing'],
      ['user:orders.aaaa2222', 'orders.aaaa2222', 'app-orders'],
      ['user:orders.bbbb3333', 'orders.bbbb3333', 'app-orders'],
      ['user:shipping.dddd5555', 'shipping.dddd5555', 'app-shipping'],
    ]);
    const byUser = new Map(topology.permissions.map(p => [p.user, p]));
    expect(byUser.get('orders.aaaa2222')).toMatchObject({
      key: 'permissions:orders.aaaa2222',
      configure: '',
      write: '^brom\\.orders\\z',
      read: '',
      topic: [
        {
          exchange: 'brom.orders',
          write:
            '(?s)^(?:order(?:\\..*)?)\\z',
          read: '(?!)',
        },
      ],
      dependsOn: ['vhost:brom', 'user:orders.aaaa2222'],
    });
    expect(byUser.get('billing.cccc4444')).toMatchObject({
      configure: '',
      write: '',
      read: '^(?:brom\\.billing|brom\\.billing\\.dlq)\\z',
      topic: [],
    });
  });

  it('allows exactly the routing keys the sidecar allows', () => {
    const patterns = ['order.*.created', 'invoice.#', 'ø-x.*'];
    const topology = desiredTopology(
      {
        ...nativeInput(),
        notificationTypes: patterns.map((routingKeyPattern, i) => ({
          id: `type-${i}`,
          applicationId: 'app-orders',
          name: `t${i}`,
          routingKeyPattern,
          generation: 1,
          deletedAt: null,
        })),
      },
      NATIVE,
    );
    const regex = topology.permissions.find(p => p.user === 'orders.aaaa2222')!
      .topic[0].write;
    const sidecar = compileRoutingKeyPatterns(patterns);
    for (const key of [
      'order.1.created',
      'order..created',
      'order.1.created.x',
      'order.1.created\n',
      'invoice',
      'invoice.x.y',
      'invoicex',
      'ø-x.',
      'ø-x',
      '',
      'order.\n.created',
    ]) {
      expect([key, brokerRegexMatches(regex, key)]).toEqual([
        key,
        sidecar(key),
      ]);
    }
  });

  it('writes the same users but no permissions in live mode, and none for deleted applications', () => {
    const live = desiredTopology(nativeInput(), OPTIONS);
    expect(live.permissions).toEqual([]);
    expect(live.users).toEqual(desiredTopology(nativeInput(), NATIVE).users);

    const input = nativeInput();
    input.applications[0].deletedAt = '2026-03-01T12:00:00Z';
    const topology = desiredTopology(input, NATIVE);
    expect(topology.users.map(u => u.name)).toEqual([
      'billing.cccc4444',
      'shipping.dddd5555',
    ]);
  });

  it('creates users before their permissions, after everything else', () => {
    const p = planFor(nativeInput(), new FakeBroker());
    expect(waves(p).slice(-2)).toEqual([
      'put users: user:billing.cccc4444 user:orders.aaaa2222 user:orders.bbbb3333 user:shipping.dddd5555',
      'put permissions: permissions:billing.cccc4444 permissions:orders.aaaa2222 permissions:orders.bbbb3333 permissions:shipping.dddd5555',
    ]);
  });

  it('removes a revoked credential: its permissions, then its user', () => {
    const broker = converged();
    const input = nativeInput();
    input.credentials = input.credentials!.filter(
      c => c.id !== 'cred-orders-1',
    );

    const p = planFor(input, broker);
    expect(waves(p)).toEqual([
      'delete permissions: permissions:orders.aaaa2222',
      'delete users: user:orders.aaaa2222',
    ]);
  });

  it('repairs drift: a password or tags given to a managed user, permissions widened by hand', () => {
    const broker = converged();
    const user = broker.observed.users.find(
      u => u.name === 'billing.cccc4444',
    )!;
    user.password_hash = 'c2FsdGhhc2g=';
    user.tags = ['management'];
    const permissions = broker.observed.permissions.find(
      x => x.user === 'billing.cccc4444',
    )!;
    permissions.configure = '.*';

    const p = planFor(nativeInput(), broker);
    const updates = plannedWrites(p).filter(a => a.action === 'update');
    expect(
      updates.map(a => [a.key, a.action === 'update' && a.differences]),
    ).toEqual([
      [
        'user:billing.cccc4444',
        [
          'has an internal password (it must have none)',
          'tags is "management" on the broker, "" desired',
        ],
      ],
      [
        'permissions:billing.cccc4444',
        ['configure is ".*" on the broker, "" desired'],
      ],
    ]);
  });

  it('removes the topic permission of an application that stops producing', () => {
    const broker = converged();
    const input = nativeInput();
    input.notificationTypes = [];
    input.subscriptions = [];

    const p = planFor(input, broker);
    const update = plannedWrites(p).find(
      a => a.key === 'permissions:orders.aaaa2222',
    );
    expect(update).toMatchObject({
      action: 'update',
      differences: [
        'write is "^brom\\\\.orders\\\\z" on the broker, "" desired',
        'topic permissions on brom.orders',
      ],
    });
  });

  it("never touches an operator's user: a user of the same name is a conflict, and its permissions wait", () => {
    const broker = new FakeBroker();
    broker.observed.users.push(
      {
        name: 'billing.cccc4444',
        password_hash: 'b3BlcmF0b3I=',
        tags: ['administrator'],
      },
      { name: 'ops', password_hash: 'b3BzIQ==', tags: ['administrator'] },
    );
    broker.observed.permissions.push({
      user: 'ops',
      configure: '.*',
      write: '.*',
      read: '.*',
      topic: [],
    });

    const p = planFor(nativeInput(), broker);
    expect(p.conflicts.map(c => c.key)).toEqual(['user:billing.cccc4444']);
    expect(p.blocked.map(b => [b.key, b.reason])).toEqual([
      ['permissions:billing.cccc4444', 'DependencyConflict'],
    ]);
    const written = p.waves.flatMap(w => w.actions.map(a => a.key));
    expect(
      written.filter(k => k.includes('billing.cccc4444') || k.includes('ops')),
    ).toEqual([]);
  });

  it('removes only the permissions it wrote once switched back to live mode: users stay', () => {
    const broker = converged();
    broker.observed.users.push({
      name: 'ops',
      password_hash: 'b3BzIQ==',
      tags: ['administrator'],
    });

    const p = planFor(nativeInput(), broker, OPTIONS);
    expect(waves(p)).toEqual([
      'delete permissions: permissions:billing.cccc4444 permissions:orders.aaaa2222 permissions:orders.bbbb3333 permissions:shipping.dddd5555',
    ]);
  });

  it('only adds permissions when switched to native mode: the users are there from live mode', () => {
    const broker = new FakeBroker();
    broker.apply(planFor(nativeInput(), broker, OPTIONS));
    expect(broker.observed.users.map(u => u.name)).toEqual([
      'billing.cccc4444',
      'orders.aaaa2222',
      'orders.bbbb3333',
      'shipping.dddd5555',
    ]);
    expect(broker.observed.permissions).toEqual([]);

    expect(waves(planFor(nativeInput(), broker))).toEqual([
      'put permissions: permissions:billing.cccc4444 permissions:orders.aaaa2222 permissions:orders.bbbb3333 permissions:shipping.dddd5555',
    ]);
  });

  it("keeps a deleted application's row until its users are gone", () => {
    const broker = converged();
    const input = nativeInput();
    input.applications[1].deletedAt = '2026-03-01T12:00:00Z';
    input.applications[1].queueDeletionConfirmedAt = '2026-03-01T12:00:00Z';

    const first = planFor(input, broker);
    expect(first.waves.flatMap(w => w.actions.map(a => a.key))).toEqual(
      expect.arrayContaining([
        'permissions:billing.cccc4444',
        'user:billing.cccc4444',
      ]),
    );
    expect(first.finalizable.applicationIds).toEqual([]);
    broker.apply(first);
    expect(planFor(input, broker).finalizable.applicationIds).toEqual([
      'app-billing',
    ]);
  });
});

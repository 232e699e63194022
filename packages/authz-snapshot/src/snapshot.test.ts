import {
  AUTHZ_SNAPSHOT_FORMAT,
  AuthzSnapshot,
  AuthzSnapshotError,
  parseAuthzSnapshot,
} from './snapshot';

function validSnapshot(): AuthzSnapshot {
  return {
    format: 1,
    version: 7,
    generatedAt: '2026-11-21T10:00:00.000Z',
    vhost: 'brom',
    credentials: [
      {
        username: 'orders-1',
        application: 'orders',
        salt: '00112233445566778899aabbccddeeff',
        hash: 'a'.repeat(64),
        expiresAt: null,
      },
      {
        username: 'billing-1',
        application: 'billing',
        salt: 'ffeeddccbbaa99887766554433221100',
        hash: 'b'.repeat(64),
        expiresAt: '2027-01-01T00:00:00Z',
      },
    ],
    applications: [
      {
        name: 'orders',
        write: ['brom.orders'],
        read: [],
        topicWrite: [
          {
            exchange: 'brom.orders',
            routingKeyPatterns: ['order.*.created', 'order.#'],
          },
        ],
      },
      { name: 'billing', write: [], read: ['brom.billing'], topicWrite: [] },
    ],
  };
}

function errorOf(input: unknown): AuthzSnapshotError {
  try {
    parseAuthzSnapshot(input);
  } catch (error) {
    if (error instanceof AuthzSnapshotError) {
      return error;
    }
    throw error;
  }
  throw new Error('expected the snapshot to be refused');
}

type Mutation = (s: any) => void;

describe('parseAuthzSnapshot', () => {
  it('accepts a valid snapshot and returns an equal copy', () => {
    const input = validSnapshot();
    const parsed = parseAuthzSnapshot(JSON.parse(JSON.stringify(input)));
    expect(parsed).toEqual(input);
    expect(parsed.format).toBe(AUTHZ_SNAPSHOT_FORMAT);
  });

  it('accepts an empty policy', () => {
    const input = { ...validSnapshot(), credentials: [], applications: [] };
    expect(parseAuthzSnapshot(input).credentials).toEqual([]);
  });

  it.each<[string, unknown, string, string]>([
    ['null', null, '$', 'expected an object, got null'],
    ['an array', [], '$', 'expected an object, got an array'],
    ['a string', 'x', '$', 'expected an object, got a string'],
  ])('refuses %s', (_name, input, path, message) => {
    const error = errorOf(input);
    expect(error.path).toBe(path);
    expect(error.message).toContain(message);
  });

  it.each<[string, Mutation, string, string]>([
    ['format 2', s => (s.format = 2), '$.format', 'unsupported format 2'],
    ['a missing format', s => delete s.format, '$.format', 'is required'],
    [
      'an unknown property',
      s => (s.extra = 1),
      '$.extra',
      'is not a known property',
    ],
    [
      'a negative version',
      s => (s.version = -1),
      '$.version',
      'non-negative safe integer',
    ],
    [
      'a fractional version',
      s => (s.version = 1.5),
      '$.version',
      'non-negative safe integer',
    ],
    [
      'a string version',
      s => (s.version = '7'),
      '$.version',
      'non-negative safe integer',
    ],
    [
      'an unsafe version',
      s => (s.version = 2 ** 53),
      '$.version',
      'non-negative safe integer',
    ],
    [
      'a date-only generatedAt',
      s => (s.generatedAt = '2026-11-21'),
      '$.generatedAt',
      'ISO 8601',
    ],
    [
      'an invalid generatedAt',
      s => (s.generatedAt = '2026-13-45T99:00:00Z'),
      '$.generatedAt',
      'ISO 8601',
    ],
    ['an empty vhost', s => (s.vhost = ''), '$.vhost', 'must not be empty'],
    [
      'credentials not an array',
      s => (s.credentials = {}),
      '$.credentials',
      'expected an array',
    ],
    [
      'a short salt',
      s => (s.credentials[0].salt = 'abcd'),
      '$.credentials[0].salt',
      '32 lowercase hex',
    ],
    [
      'an upper-case salt',
      s => (s.credentials[0].salt = 'A'.repeat(32)),
      '$.credentials[0].salt',
      '32 lowercase hex',
    ],
    [
      'a non-hex hash',
      s => (s.credentials[1].hash = 'g'.repeat(64)),
      '$.credentials[1].hash',
      '64 lowercase hex',
    ],
    [
      'a missing expiresAt',
      s => delete s.credentials[0].expiresAt,
      '$.credentials[0].expiresAt',
      'is required',
    ],
    [
      'a numeric expiresAt',
      s => (s.credentials[0].expiresAt = 0),
      '$.credentials[0].expiresAt',
      'expected a string',
    ],
    [
      'an empty username',
      s => (s.credentials[0].username = ''),
      '$.credentials[0].username',
      'must not be empty',
    ],
    [
      'a duplicate username',
      s => (s.credentials[1].username = 'orders-1'),
      '$.credentials[1].username',
      'duplicate "orders-1"',
    ],
    [
      'a credential of no application',
      s => (s.credentials[1].application = 'ghost'),
      '$.credentials[1].application',
      'names no application',
    ],
    [
      'a password field',
      s => (s.credentials[0].secret = 'x'),
      '$.credentials[0].secret',
      'is not a known property',
    ],
    [
      'a duplicate application',
      s => (s.applications[1].name = 'orders'),
      '$.applications[1].name',
      'duplicate "orders"',
    ],
    [
      'a non-string write entry',
      s => (s.applications[0].write = [1]),
      '$.applications[0].write[0]',
      'expected a string, got a number',
    ],
    [
      'a duplicate read entry',
      s => (s.applications[1].read = ['q', 'q']),
      '$.applications[1].read[1]',
      'duplicate "q"',
    ],
    [
      'a missing topicWrite',
      s => delete s.applications[1].topicWrite,
      '$.applications[1].topicWrite',
      'is required',
    ],
    [
      'a duplicate topic exchange',
      s =>
        s.applications[0].topicWrite.push({
          exchange: 'brom.orders',
          routingKeyPatterns: [],
        }),
      '$.applications[0].topicWrite[1].exchange',
      'duplicate',
    ],
    [
      'an invalid routing-key pattern',
      s => (s.applications[0].topicWrite[0].routingKeyPatterns[1] = '#.order'),
      '$.applications[0].topicWrite[0].routingKeyPatterns[1]',
      '"#" is allowed only as the last word',
    ],
    [
      'an empty routing-key word',
      s => (s.applications[0].topicWrite[0].routingKeyPatterns[0] = 'order..x'),
      '$.applications[0].topicWrite[0].routingKeyPatterns[0]',
      'word 2 is empty',
    ],
  ])('refuses %s', (_name, mutate, path, message) => {
    const input = validSnapshot();
    mutate(input);
    const error = errorOf(input);
    expect(error.path).toBe(path);
    expect(error.message).toContain(message);
    expect(error.message).toContain(path);
  });

  it('does not carry through properties inherited from a prototype', () => {
    const input = Object.create({ extra: 1 });
    Object.assign(input, validSnapshot());
    expect(parseAuthzSnapshot(input)).toEqual(validSnapshot());
  });
});

describe('parseAuthzSnapshot epoch', () => {
  const base = {
    format: 1,
    version: 3,
    generatedAt: '2026-11-21T00:00:00.000Z',
    vhost: 'brom',
    credentials: [],
    applications: [],
  };

  it('keeps the epoch that names the portal database', () => {
    expect(parseAuthzSnapshot({ ...base, epoch: 'db-1' }).epoch).toBe('db-1');
    expect(parseAuthzSnapshot(base).epoch).toBeUndefined();
  });

  it('refuses an empty or oversized epoch', () => {
    expect(() => parseAuthzSnapshot({ ...base, epoch: '' })).toThrow(
      /\$\.epoch/,
    );
    expect(() =>
      parseAuthzSnapshot({ ...base, epoch: 'x'.repeat(65) }),
    ).toThrow(/\$\.epoch/);
  });
});

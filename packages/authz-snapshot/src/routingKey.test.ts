import {
  MAX_ROUTING_KEY_LENGTH,
  RoutingKeyPatternError,
  compileRoutingKeyPattern,
  compileRoutingKeyPatterns,
  isValidRoutingKeyPattern,
  routingKeyPatternProblem,
  routingKeyPatternsOverlap,
  routingKeyPatternsToRegExp,
} from './routingKey';

describe('routing-key pattern validation', () => {
  it.each(['a', 'a.b', 'order.*.created', '*', '#', 'a.#', '*.#', 'a-b_c.9'])(
    'accepts %j',
    pattern => {
      expect(isValidRoutingKeyPattern(pattern)).toBe(true);
    },
  );

  it.each([
    ['', 'must not be empty'],
    ['.', 'word 1 is empty'],
    ['a.', 'word 2 is empty'],
    ['.a', 'word 1 is empty'],
    ['a..b', 'word 2 is empty'],
    ['#.a', '"#" is allowed only as the last word'],
    ['a.#.b', '"#" is allowed only as the last word'],
    ['#.#', '"#" is allowed only as the last word'],
    ['A', 'must be "*", "#" or consist of'],
    ['a b', 'must be "*", "#" or consist of'],
    ['a*', 'must be "*", "#" or consist of'],
    ['a#', 'must be "*", "#" or consist of'],
    ['ø', 'must be "*", "#" or consist of'],
    ['a(b', 'must be "*", "#" or consist of'],
    ['x'.repeat(MAX_ROUTING_KEY_LENGTH + 1), 'at most 255'],
  ])('refuses %j', (pattern, reason) => {
    expect(routingKeyPatternProblem(pattern)).toContain(reason);
    expect(() => compileRoutingKeyPattern(pattern)).toThrow(
      RoutingKeyPatternError,
    );
  });
});

describe('routing-key matching', () => {
  const cases: Array<[string, string, boolean]> = [
    ['a', 'a', true],
    ['a', 'b', false],
    ['a', 'ab', false],
    ['a', 'a.b', false],
    ['a.b', 'a.b', true],
    ['a.b', 'axb', false],
    ['order.*.created', 'order.123.created', true],
    ['order.*.created', 'order..created', false],
    ['order.*.created', 'order.1.2.created', false],
    ['order.*.created', 'order.created', false],
    ['*', 'x', true],
    ['*', '', false],
    ['*', 'x.y', false],
    ['#', '', true],
    ['#', 'x', true],
    ['#', 'x.y.z', true],
    ['#', '.', false],
    ['#', 'x.', false],
    ['#', '.x', false],
    ['#', 'x..y', false],
    ['a.#', 'a', true],
    ['a.#', 'a.b', true],
    ['a.#', 'a.b.c', true],
    ['a.#', 'ab', false],
    ['a.#', 'b.a', false],
    ['a.#', 'a.', false],
    ['a.*.#', 'a', false],
    ['a.*.#', 'a.b', true],
    ['a.*.#', 'a.b.c.d', true],
    // Keys are arbitrary strings: only the pattern language's words match.
    ['*', 'X', false],
    ['*', 'a b', false],
    ['#', 'ø', false],
    ['a.*', 'a.ø', false],
    ['a.*', 'a.\u{1F600}', false],
    ['a', 'a\n', false],
    ['a.*', 'a.b\n', false],
    ['a.#', 'a.\u0000', false],
  ];

  it.each(cases)('%j against %j is %j', (pattern, key, expected) => {
    expect(compileRoutingKeyPattern(pattern)(key)).toBe(expected);
  });

  it('treats regular-expression characters in keys literally', () => {
    expect(compileRoutingKeyPattern('a.b')('a.b')).toBe(true);
    expect(compileRoutingKeyPattern('a-b')('a-b')).toBe(true);
    expect(compileRoutingKeyPattern('a-b')('a.b')).toBe(false);
    expect(compileRoutingKeyPattern('*')('.*')).toBe(false);
  });

  it('matches any of several patterns with one predicate', () => {
    const matches = compileRoutingKeyPatterns(['a.*', 'b.#', 'a.*']);
    expect(matches('a.x')).toBe(true);
    expect(matches('b')).toBe(true);
    expect(matches('c')).toBe(false);
    expect(compileRoutingKeyPatterns([])('a')).toBe(false);
    expect(compileRoutingKeyPatterns([])('')).toBe(false);
  });

  it('refuses keys longer than AMQP allows and stays fast on long hostile keys', () => {
    const longest = Array(128).fill('a').join('.').slice(0, 255);
    expect(longest.length).toBe(255);
    expect(compileRoutingKeyPattern('#')(longest)).toBe(true);
    expect(compileRoutingKeyPattern('#')(`${longest}.a`)).toBe(false);

    const hostile = `${'a.'.repeat(100_000)}!`;
    const started = Date.now();
    expect(compileRoutingKeyPattern('#')(hostile)).toBe(false);
    expect(
      routingKeyPatternsToRegExp(['a.#']).test(`${'a.'.repeat(100_000)}A`),
    ).toBe(false);
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('refuses non-string keys', () => {
    expect(compileRoutingKeyPattern('#')(undefined as unknown as string)).toBe(
      false,
    );
  });
});

describe('routing-key pattern overlap', () => {
  const cases: Array<[string, string, boolean]> = [
    ['a', 'a', true],
    ['a', 'b', false],
    ['a.b', 'a', false],
    ['*', 'a', true],
    ['*', 'a.b', false],
    ['#', 'a.b.c', true],
    ['#', '#', true],
    ['a.#', 'a', true],
    ['a.#', 'b', false],
    ['a.#', 'b.#', false],
    ['a.#', '*.b', true],
    ['a.*.c', 'a.b.*', true],
    ['a.*.c', 'a.b.d', false],
    ['a.b.#', 'a.#', true],
    ['a.b.c.#', '*.*', false],
    ['*.*.#', 'a', false],
    ['*.#', 'a.b.c', true],
  ];

  it.each(cases)('%j and %j overlap: %j', (a, b, expected) => {
    expect(routingKeyPatternsOverlap(a, b)).toBe(expected);
    expect(routingKeyPatternsOverlap(b, a)).toBe(expected);
  });

  it('agrees with the matcher on every short key over a small alphabet', () => {
    const patterns = [
      'a',
      'b',
      '*',
      '#',
      'a.#',
      'a.*',
      '*.b',
      '*.*',
      'a.b.#',
      '*.#',
      'a.*.#',
    ];
    const keys = [''];
    for (let length = 1; length <= 3; length++) {
      const previous = keys.filter(
        k => (k === '' ? 0 : k.split('.').length) === length - 1,
      );
      for (const prefix of previous) {
        for (const word of ['a', 'b', 'c']) {
          keys.push(prefix === '' ? word : `${prefix}.${word}`);
        }
      }
    }
    for (const a of patterns) {
      for (const b of patterns) {
        const matchA = compileRoutingKeyPattern(a);
        const matchB = compileRoutingKeyPattern(b);
        // Keys up to three words are enough witnesses for patterns of at most three words.
        const witnessed = keys.some(key => matchA(key) && matchB(key));
        expect([a, b, routingKeyPatternsOverlap(a, b)]).toEqual([
          a,
          b,
          witnessed,
        ]);
      }
    }
  });
});

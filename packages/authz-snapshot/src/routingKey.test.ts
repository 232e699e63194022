import {
  MAX_ROUTING_KEY_LENGTH,
  RoutingKeyPatternError,
  compileRoutingKeyPattern,
  compileRoutingKeyPatterns,
  isValidRoutingKeyPattern,
  routingKeyPatternProblem,
  routingKeyPatternsOverlap,
  routingKeyPatternsToBrokerRegex,
  routingKeyPatternsToRegExp,
} from './routingKey';

/**
 * Runs a topic permission's regex as RabbitMQ's internal backend does (PCRE, unanchored) in
 * JavaScript: `(?s)` is the `s` flag and `\z` the very end, which `$` is without the `m` flag.
 */
function brokerAllows(regex: string, key: string): boolean {
  const body = regex.replace(/^\(\?s\)/, '').replace(/\\z$/, '$');
  return new RegExp(body, 's').test(key);
}

describe('routing-key pattern validation', () => {
  it.each([
    'a',
    'a.b',
    'order.*.created',
    '*',
    '#',
    'a.#',
    '*.#',
    'a-b_c.9',
    'Order.01HXYZ.Created',
    'ordre.bekreftet.ø',
    'заказ.*',
    'e\u0301te',
    'é'.repeat(127),
  ])('accepts %j', pattern => {
    expect(isValidRoutingKeyPattern(pattern)).toBe(true);
  });

  it.each([
    ['', 'must not be empty'],
    ['.', 'word 1 is empty'],
    ['a.', 'word 2 is empty'],
    ['.a', 'word 1 is empty'],
    ['a..b', 'word 2 is empty'],
    ['#.a', '"#" is allowed only as the last word'],
    ['a.#.b', '"#" is allowed only as the last word'],
    ['#.#', '"#" is allowed only as the last word'],
    ['a b', 'must be "*", "#" or consist of'],
    ['a*', 'must be "*", "#" or consist of'],
    ['a#', 'must be "*", "#" or consist of'],
    ['a(b', 'must be "*", "#" or consist of'],
    ['a\n', 'must be "*", "#" or consist of'],
    ['a:b', 'must be "*", "#" or consist of'],
    ['\u{1F600}', 'must be "*", "#" or consist of'],
    ['\uFFFD', 'must be "*", "#" or consist of'],
    ['\uD800', 'must be "*", "#" or consist of'],
    ['x'.repeat(MAX_ROUTING_KEY_LENGTH + 1), 'at most 255 bytes'],
    // 128 two-byte letters: 128 characters, 256 bytes, longer than a binding key can be.
    ['é'.repeat(128), 'at most 255 bytes'],
  ])('refuses %j', (pattern, reason) => {
    expect(routingKeyPatternProblem(pattern)).toContain(reason);
    expect(() => compileRoutingKeyPattern(pattern)).toThrow(
      RoutingKeyPatternError,
    );
  });
});

/**
 * RabbitMQ's topic exchange (rabbit_exchange_type_topic), written as plainly as possible: the
 * key is split on every dot into words (the empty key is no words), `*` takes one word and `#`
 * any number of them, and any other binding word must equal the key's word.
 */
function exchangeRoutes(bindingKey: string, routingKey: string): boolean {
  const match = (binding: string[], key: string[]): boolean => {
    if (binding.length === 0) {
      return key.length === 0;
    }
    const [word, ...rest] = binding;
    if (word === '#') {
      return key.some((_, i) => match(rest, key.slice(i))) || match(rest, []);
    }
    if (key.length === 0) {
      return false;
    }
    return (word === '*' || word === key[0]) && match(rest, key.slice(1));
  };
  return match(
    bindingKey.split('.'),
    routingKey === '' ? [] : routingKey.split('.'),
  );
}

describe('routing-key matching', () => {
  const cases: Array<[string, string, boolean]> = [
    ['a', 'a', true],
    ['a', 'b', false],
    ['a', 'ab', false],
    ['a', 'a.b', false],
    ['a.b', 'a.b', true],
    ['a.b', 'axb', false],
    ['order.*.created', 'order.123.created', true],
    ['order.*.created', 'order.01HXYZ.created', true],
    ['order.*.created', 'order..created', true],
    ['order.*.created', 'order.1.2.created', false],
    ['order.*.created', 'order.created', false],
    ['*', 'x', true],
    ['*', '', false],
    ['*', 'x.y', false],
    ['#', '', true],
    ['#', 'x', true],
    ['#', 'x.y.z', true],
    ['#', '.', true],
    ['#', 'x.', true],
    ['#', '.x', true],
    ['#', 'x..y', true],
    ['a.#', 'a', true],
    ['a.#', 'a.b', true],
    ['a.#', 'a.b.c', true],
    ['a.#', 'ab', false],
    ['a.#', 'b.a', false],
    ['a.#', 'a.', true],
    ['a.#', 'a..', true],
    ['a.*.#', 'a', false],
    ['a.*.#', 'a.b', true],
    ['a.*.#', 'a.b.c.d', true],
    // A wildcard takes whatever a producer puts between dots, as the exchange does.
    ['*', 'X', true],
    ['*', 'a b', true],
    ['#', 'ø', true],
    ['a.*', 'a.ø', true],
    ['a.*', 'a.\u{1F600}', true],
    ['a.*', 'a.b\n', true],
    ['a.#', 'a.\u0000', true],
    ['*', '.', false],
    ['*', '', false],
    ['*.*', '.', true],
    ['*.#', '', false],
    ['*.#', '.', true],
    // A literal matches only itself, character for character: no case folding, no
    // normalisation (the exchange compares bytes).
    ['a', 'a\n', false],
    ['a', 'A', false],
    ['Order.*', 'order.1', false],
    ['Order.*', 'Order.1', true],
    ['ø.*', 'ø.1', true],
    ['ø.*', 'o\u0338.1', false],
    ['e\u0301', '\u00e9', false],
  ];

  it.each(cases)('%j against %j is %j', (pattern, key, expected) => {
    expect(compileRoutingKeyPattern(pattern)(key)).toBe(expected);
  });

  it('treats regular-expression characters in keys literally', () => {
    expect(compileRoutingKeyPattern('a.b')('a.b')).toBe(true);
    expect(compileRoutingKeyPattern('a-b')('a-b')).toBe(true);
    expect(compileRoutingKeyPattern('a-b')('a.b')).toBe(false);
    expect(compileRoutingKeyPattern('*')('.*')).toBe(false);
    expect(compileRoutingKeyPattern('a.*')('a.*')).toBe(true);
    expect(compileRoutingKeyPattern('a.b')('a.*')).toBe(false);
    expect(compileRoutingKeyPattern('a')('#')).toBe(false);
  });

  it('routes exactly as the topic exchange does, on 20,000 random keys, in the sidecar and in a topic permission', () => {
    let state = 11;
    const random = () => {
      state = (state * 1_103_515_245 + 12_345) % 2_147_483_648;
      return state / 2_147_483_648;
    };
    const pick = <T>(items: readonly T[]) =>
      items[Math.floor(random() * items.length)];
    const literals = ['a', 'B', 'ø', '01HXYZ', 'e\u0301', '-_'];
    const keyWords = [...literals, '', 'A', ' ', '*', '#', '\u{1F600}', 'a\n'];
    const patternWords = [...literals, '*', '*'];
    const disagreements: unknown[] = [];
    for (let set = 0; set < 200; set++) {
      const patterns = Array.from(
        // Up to six patterns, so that many share leading words (the regex shares them).
        { length: 1 + Math.floor(random() * 6) },
        () => {
          const words = Array.from({ length: Math.floor(random() * 4) }, () =>
            pick(patternWords),
          );
          if (words.length === 0 || random() < 0.3) {
            words.push('#');
          }
          return words.join('.');
        },
      );
      const matches = compileRoutingKeyPatterns(patterns);
      const brokerRegex = routingKeyPatternsToBrokerRegex(patterns);
      for (let n = 0; n < 100; n++) {
        const key = Array.from({ length: Math.floor(random() * 5) }, () =>
          pick(keyWords),
        ).join('.');
        const routed = patterns.some(p => exchangeRoutes(p, key));
        if (
          matches(key) !== routed ||
          brokerAllows(brokerRegex, key) !== routed
        ) {
          disagreements.push({ patterns, key, routed });
        }
      }
    }
    expect(disagreements).toEqual([]);
  });

  it('shares the leading words of the patterns in one regex, and lets a final # take the rest', () => {
    expect(
      routingKeyPatternsToBrokerRegex([
        'order.updated',
        'order.*.created',
        'invoice.#',
        'invoice.paid',
        'order.updated',
      ]),
    ).toBe('(?s)^(?:invoice(?:\\..*)?|order\\.(?:[^.]*\\.created|updated))\\z');
    // Only a leading `*` that may end the key needs the lookahead (the empty key has no word).
    expect(routingKeyPatternsToBrokerRegex(['*', 'a.b', 'a'])).toBe(
      '(?s)^(?:(?=.)[^.]*|a(?:\\.b)?)\\z',
    );
    expect(routingKeyPatternsToBrokerRegex(['*.x', 'a.#', '#'])).toBe(
      '(?s)^(?:.*)\\z',
    );
    expect(routingKeyPatternsToBrokerRegex([])).toBe('(?!)');
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
      routingKeyPatternsToRegExp(['b.#', '*.*.*.b', 'a.*', '*.a.b']).test(
        `${'a.'.repeat(100_000)}A`,
      ),
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

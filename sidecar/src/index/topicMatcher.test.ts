import {
  RoutingKeyPatternError,
  compileRoutingKeyPatterns,
  routingKeyPatternProblem,
} from '@internal/brom-authz-snapshot';
import { compileTopicPatterns, matchesTopic } from './topicMatcher';
import { seeded } from '../__testUtils__/seeded';

function compileTopicMatcher(patterns: string[]): (key: string) => boolean {
  const compiled = compileTopicPatterns(patterns);
  return key => matchesTopic(compiled, key);
}

describe('compileTopicPatterns and matchesTopic', () => {
  it('matches `*` as exactly one word and a final `#` as any number of words', () => {
    const matches = compileTopicMatcher([
      'order.*.created',
      'invoice.paid',
      'refund.expired.#',
    ]);
    expect(matches('order.42.created')).toBe(true);
    expect(matches('order.created')).toBe(false);
    expect(matches('order.4.2.created')).toBe(false);
    expect(matches('invoice.paid')).toBe(true);
    expect(matches('invoice.paid.late')).toBe(false);
    expect(matches('refund.expired')).toBe(true);
    expect(matches('refund.expired.eu.batch')).toBe(true);
    expect(matches('refund.expiredx')).toBe(false);
    expect(matches('payment.paid')).toBe(false);
  });

  it('matches what the topic exchange routes: any characters between dots, empty words too, up to 255 characters', () => {
    const everything = compileTopicMatcher(['#']);
    expect(everything('')).toBe(true);
    expect(everything('a.b-c_1')).toBe(true);
    for (const key of ['a..b', '.a', 'a.', '.', 'A', 'a b', 'é', 'a*', 'a#']) {
      expect(everything(key)).toBe(true);
    }
    expect(everything('a'.repeat(255))).toBe(true);
    expect(everything('a'.repeat(256))).toBe(false);
    expect(compileTopicMatcher(['*'])('')).toBe(false);
    expect(compileTopicMatcher(['*'])('.')).toBe(false);
    expect(compileTopicMatcher(['*.*'])('.')).toBe(true);

    const ulid = compileTopicMatcher(['order.*.created']);
    expect(ulid('order.01HXYZ3K8Q9V.created')).toBe(true);
    expect(ulid('order.ø.created')).toBe(true);
    expect(ulid('order..created')).toBe(true);
    expect(ulid('Order.01HXYZ.created')).toBe(false);
    expect(ulid('order.01HXYZ.Created')).toBe(false);

    const literal = compileTopicMatcher(['Ordre.ø.*', 'заказ.#']);
    expect(literal('Ordre.ø.1')).toBe(true);
    expect(literal('ordre.ø.1')).toBe(false);
    expect(literal('Ordre.o\u0338.1')).toBe(false);
    expect(literal('заказ')).toBe(true);
    expect(literal('заказ.создан')).toBe(true);
    expect(literal('заказы')).toBe(false);
  });

  it('matches nothing for no patterns and refuses invalid patterns', () => {
    expect(compileTopicMatcher([])('a')).toBe(false);
    expect(() => compileTopicMatcher(['a.#.b'])).toThrow(
      RoutingKeyPatternError,
    );
    expect(() => compileTopicMatcher(['a b'])).toThrow(RoutingKeyPatternError);
    expect(() => compileTopicMatcher(['\u{1F600}'])).toThrow(
      RoutingKeyPatternError,
    );
    expect(() => compileTopicMatcher(['é'.repeat(128)])).toThrow(
      RoutingKeyPatternError,
    );
  });

  it('accepts exactly the patterns the snapshot package accepts', () => {
    const random = seeded(7);
    const pieces = [
      'a',
      'b1',
      '-',
      '_',
      '*',
      '#',
      '.',
      '.',
      'A',
      ' ',
      'é',
      'ø',
      'Ж',
      '\u0301',
      '\u{1F600}',
      '\uD800',
      '**',
      '#a',
    ];
    const candidates = [
      '',
      'a'.repeat(255),
      'a'.repeat(256),
      '#',
      '*',
      'a.#',
      '#.a',
      'a..b',
      '.a',
      'a.',
      'é'.repeat(127),
      'é'.repeat(128),
    ];
    for (let n = 0; n < 5_000; n++) {
      let pattern = '';
      const count = Math.floor(random() * 7);
      for (let i = 0; i < count; i++) {
        pattern += pieces[Math.floor(random() * pieces.length)];
      }
      candidates.push(pattern);
    }
    const disagreements: unknown[] = [];
    for (const pattern of candidates) {
      const valid = routingKeyPatternProblem(pattern) === undefined;
      let outcome = 'compiled';
      try {
        compileTopicMatcher([pattern]);
      } catch (error) {
        outcome =
          error instanceof RoutingKeyPatternError ? 'refused' : String(error);
      }
      if (outcome !== (valid ? 'compiled' : 'refused')) {
        disagreements.push({ pattern, valid, outcome });
      }
    }
    expect(disagreements).toEqual([]);
  });

  it('agrees with the snapshot package’s RegExp matcher on 30,000 random keys', () => {
    const random = seeded(4);
    const words = [
      'a',
      'b',
      'ab',
      'order',
      'created',
      '1f',
      '-',
      '_x',
      'A',
      'ø',
      'Ж',
      '01HXYZ',
    ];
    const pick = <T>(items: readonly T[]) =>
      items[Math.floor(random() * items.length)];
    const pattern = () => {
      const count = 1 + Math.floor(random() * 4);
      const parts: string[] = [];
      for (let i = 0; i < count; i++) {
        parts.push(random() < 0.3 ? '*' : pick(words));
      }
      if (random() < 0.3) {
        parts.push('#');
      }
      return random() < 0.05 ? '#' : parts.join('.');
    };
    const keyPieces = [
      ...words,
      '.',
      '.',
      '',
      'A',
      ' ',
      'é',
      '*',
      '#',
      '\u{1F600}',
      '\uFFFD',
    ];
    const disagreements: unknown[] = [];
    for (let set = 0; set < 300; set++) {
      const patterns = Array.from(
        { length: Math.floor(random() * 6) },
        pattern,
      );
      const expected = compileRoutingKeyPatterns(patterns);
      const actual = compileTopicMatcher(patterns);
      for (let n = 0; n < 100; n++) {
        let key = '';
        if (patterns.length > 0 && n % 2 === 0) {
          // A key written for one of the patterns, then sometimes spoilt.
          key = pick(patterns)
            .split('.')
            .map(word => {
              if (word === '*') return pick(words);
              if (word === '#')
                return Array.from({ length: Math.floor(random() * 3) }, () =>
                  pick(words),
                ).join('.');
              return word;
            })
            .filter((word, _i, all) => word !== '' || all.length === 1)
            .join('.');
          if (random() < 0.3) {
            key += pick(keyPieces);
          }
        } else {
          const count = Math.floor(random() * 8);
          for (let i = 0; i < count; i++) {
            key += random() < 0.5 ? '.' : pick(keyPieces);
          }
        }
        if (actual(key) !== expected(key)) {
          disagreements.push({ patterns, key, expected: expected(key) });
        }
      }
    }
    expect(disagreements).toEqual([]);
  });
});

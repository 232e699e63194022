import {
  routingKeyPatternProblem,
  routingKeyPatternsOverlap,
} from './routingKeys';

describe('routingKeyPatternProblem', () => {
  it.each([
    'order.created',
    'order.*.created',
    'order.#',
    '#',
    'a_b-c.*',
    'Order.created',
    'ordre.bekreftet.ø',
  ])('accepts %s', p => expect(routingKeyPatternProblem(p)).toBeUndefined());
  it.each([
    ['', /empty/],
    ['order..created', /word 2 is empty/],
    ['.order', /word 1 is empty/],
    ['order.#.created', /last word/],
    ['order.cre ated', /letters, digits/],
    ['order.crea\u200Bted', /letters, digits/],
    ['order.a:b', /letters, digits/],
    ['x'.repeat(256), /255/],
  ])('rejects %j', (p, message) =>
    expect(routingKeyPatternProblem(p)).toMatch(message),
  );
});

describe('routingKeyPatternsOverlap', () => {
  it.each([
    ['order.created', 'order.created', true],
    ['order.*', 'order.created', true],
    ['order.#', 'order', true],
    ['order.#', 'order.a.b.c', true],
    ['#', 'anything.at.all', true],
    ['order.*.created', 'order.*.deleted', false],
    ['order.*', 'order.a.b', false],
    ['order.created', 'invoice.created', false],
    ['order.*.created', 'order.42.*', true],
    ['a.b', 'a', false],
  ])('%s ~ %s → %s', (a, b, expected) => {
    expect(routingKeyPatternsOverlap(a, b)).toBe(expected);
    expect(routingKeyPatternsOverlap(b, a)).toBe(expected);
  });
});

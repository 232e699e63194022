/**
 * Routing-key patterns, defined once for the backend (overlap checks, broker bindings) and the
 * sidecar (topic authorisation).
 *
 * A pattern is a dot-separated list of words. A word is `[a-z0-9_-]+`, `*` (exactly one word)
 * or `#` (zero or more words, allowed only as the last word). `#` alone matches every key,
 * including the empty key (zero words); `a.#` matches `a`, `a.b` and `a.b.c`.
 *
 * Routing keys published by clients are arbitrary strings. A key matches only when it has the
 * pattern's word structure and every one of its words is itself a `[a-z0-9_-]+` word, so a key
 * with empty words (`a..b`, `.a`), upper case, spaces or non-ASCII characters matches no
 * pattern, not even `#`. That is stricter than the broker's own topic routing on purpose: the
 * authorisation answer must never be wider than the language the portal lets owners declare.
 */

/** The characters a routing-key word may contain. */
export const ROUTING_KEY_WORD = /^[a-z0-9_-]+$/;

/**
 * AMQP 0-9-1 carries routing keys as a short string (at most 255 bytes), so no key the broker
 * asks about is longer; patterns are held to the same bound.
 */
export const MAX_ROUTING_KEY_LENGTH = 255;

const WORD_SOURCE = '[a-z0-9_-]+';

/** Thrown for a pattern outside the language described above. */
export class RoutingKeyPatternError extends Error {
  readonly pattern: string;

  constructor(pattern: string, reason: string) {
    super(`Invalid routing-key pattern ${JSON.stringify(pattern)}: ${reason}`);
    this.name = 'RoutingKeyPatternError';
    this.pattern = pattern;
  }
}

/** The reason a pattern is invalid, or undefined when it is valid. */
export function routingKeyPatternProblem(pattern: string): string | undefined {
  if (typeof pattern !== 'string') {
    return 'must be a string';
  }
  if (pattern.length === 0) {
    return 'must not be empty';
  }
  if (pattern.length > MAX_ROUTING_KEY_LENGTH) {
    return `must be at most ${MAX_ROUTING_KEY_LENGTH} characters`;
  }
  const words = pattern.split('.');
  for (let i = 0; i < words.length; i++) {
    const word = words[i];
    if (word === '*') {
      continue;
    }
    if (word === '#') {
      if (i !== words.length - 1) {
        return '"#" is allowed only as the last word';
      }
      continue;
    }
    if (word.length === 0) {
      return `word ${i + 1} is empty`;
    }
    if (!ROUTING_KEY_WORD.test(word)) {
      return `word ${i + 1} (${JSON.stringify(
        word,
      )}) must be "*", "#" or consist of a-z, 0-9, "_" and "-"`;
    }
  }
  return undefined;
}

export function isValidRoutingKeyPattern(pattern: string): boolean {
  return routingKeyPatternProblem(pattern) === undefined;
}

function assertValid(pattern: string): void {
  const problem = routingKeyPatternProblem(pattern);
  if (problem !== undefined) {
    throw new RoutingKeyPatternError(pattern, problem);
  }
}

/**
 * The regular-expression source (without anchors) for one valid pattern. Every quantified part
 * is separated by a literal dot, so matching is linear in the key length: there is no
 * backtracking blow-up on long or hostile keys.
 */
function patternSource(pattern: string): string {
  const words = pattern.split('.');
  const last = words[words.length - 1];
  const fixed = last === '#' ? words.slice(0, -1) : words;
  const fixedSource = fixed
    .map(word => (word === '*' ? WORD_SOURCE : word))
    .join('\\.');
  if (last !== '#') {
    return fixedSource;
  }
  if (fixed.length === 0) {
    return `(?:${WORD_SOURCE}(?:\\.${WORD_SOURCE})*)?`;
  }
  return `${fixedSource}(?:\\.${WORD_SOURCE})*`;
}

/**
 * One anchored RegExp matching the keys that match any of the patterns. Throws
 * RoutingKeyPatternError for an invalid pattern. An empty list gives a RegExp that matches
 * nothing.
 */
export function routingKeyPatternsToRegExp(
  patterns: readonly string[],
): RegExp {
  if (patterns.length === 0) {
    return /(?!)/;
  }
  for (const pattern of patterns) {
    assertValid(pattern);
  }
  // Literal words contain only [a-z0-9_-], none of which is special in a RegExp.
  const alternatives = [...new Set(patterns)].map(patternSource);
  return new RegExp(`^(?:${alternatives.join('|')})$`);
}

/** A predicate for one pattern. Throws RoutingKeyPatternError for an invalid pattern. */
export function compileRoutingKeyPattern(
  pattern: string,
): (routingKey: string) => boolean {
  return compileRoutingKeyPatterns([pattern]);
}

/**
 * A predicate that is true when the key matches any of the patterns; one RegExp test per call
 * whatever the number of patterns. Throws RoutingKeyPatternError for an invalid pattern.
 */
export function compileRoutingKeyPatterns(
  patterns: readonly string[],
): (routingKey: string) => boolean {
  const regExp = routingKeyPatternsToRegExp(patterns);
  return (routingKey: string): boolean =>
    typeof routingKey === 'string' &&
    routingKey.length <= MAX_ROUTING_KEY_LENGTH &&
    regExp.test(routingKey);
}

/**
 * Whether some routing key matches both patterns (used to refuse a notification type whose
 * pattern overlaps another type of the same producer). Throws RoutingKeyPatternError for an
 * invalid pattern.
 *
 * Because `#` may only be last, a pattern is a list of fixed words (literals and `*`) with an
 * optional open tail: the two overlap exactly when some key length fits both and the fixed words
 * they share positions with are pairwise compatible (equal literals, or either is `*`).
 */
export function routingKeyPatternsOverlap(a: string, b: string): boolean {
  assertValid(a);
  assertValid(b);
  const wordsA = a.split('.');
  const wordsB = b.split('.');
  const openA = wordsA[wordsA.length - 1] === '#';
  const openB = wordsB[wordsB.length - 1] === '#';
  const fixedA = openA ? wordsA.slice(0, -1) : wordsA;
  const fixedB = openB ? wordsB.slice(0, -1) : wordsB;
  if (!openA && !openB && fixedA.length !== fixedB.length) {
    return false;
  }
  if (openA && !openB && fixedB.length < fixedA.length) {
    return false;
  }
  if (openB && !openA && fixedA.length < fixedB.length) {
    return false;
  }
  const shared = Math.min(fixedA.length, fixedB.length);
  for (let i = 0; i < shared; i++) {
    const x = fixedA[i];
    const y = fixedB[i];
    if (x !== '*' && y !== '*' && x !== y) {
      return false;
    }
  }
  return true;
}

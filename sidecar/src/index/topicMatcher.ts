import {
  MAX_ROUTING_KEY_LENGTH,
  RoutingKeyPatternError,
  routingKeyPatternProblem,
} from '@internal/brom-authz-snapshot';

/**
 * Routing-key matching for `/auth/topic`, with the semantics of
 * `compileRoutingKeyPatterns` of `@internal/brom-authz-snapshot` (see routingKey.ts there),
 * which are the topic exchange's: the key is split on every dot into words of any characters
 * (possibly empty; the empty key is no words), `*` is one word, a final `#` any number of words,
 * none included, and a literal word matches only an equal word.
 *
 * Compiled into one RegExp per exchange, the patterns cost the broker's topic checks more than
 * anything else the sidecar did: hundreds of separately compiled expressions, each cold in the
 * instruction cache by the time its exchange is asked about again. Here one shared function
 * compares the key with the patterns in place, without allocating; a small integer per pattern
 * (its first word's length and first character) skips the patterns that cannot match before
 * their text is read. Per exchange that is one array, about as small as the RegExp was.
 */

/** An exchange's compiled patterns: per pattern its head (see head()) and its text. */
export type TopicPatterns = ReadonlyArray<number | string> & {
  readonly __topicPatterns: unique symbol;
};

const DOT = 0x2e;
const STAR = 0x2a;
const HASH = 0x23;

/** 1 for the ASCII characters a literal word may contain: letters, digits, `_` and `-`. */
const WORD_CHARACTER = new Uint8Array(128);
for (const character of 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-') {
  WORD_CHARACTER[character.charCodeAt(0)] = 1;
}

/**
 * Whether the pattern is in the language routingKeyPatternProblem accepts (non-empty, at most
 * 255 bytes, literal words, `*`, or `#` as the last word). An ASCII pattern is checked in one
 * pass without allocating: a large snapshot has a hundred thousand patterns, already validated
 * once by parseAuthzSnapshot. One with another character is left to the snapshot package,
 * which knows Unicode's letters.
 */
function isValidPattern(pattern: string): boolean {
  const length = pattern.length;
  if (length === 0 || length > MAX_ROUTING_KEY_LENGTH) {
    return false;
  }
  let wordStart = 0;
  for (let i = 0; i <= length; i++) {
    const code = i < length ? pattern.charCodeAt(i) : DOT;
    if (code === DOT) {
      const wordLength = i - wordStart;
      if (wordLength === 0) {
        return false;
      }
      if (wordLength === 1) {
        const first = pattern.charCodeAt(wordStart);
        if (first === HASH && i !== length) {
          return false;
        }
      }
      wordStart = i + 1;
    } else if (code >= 128) {
      return routingKeyPatternProblem(pattern) === undefined;
    } else if (WORD_CHARACTER[code] !== 1) {
      const single =
        i === wordStart &&
        (i + 1 === length || pattern.charCodeAt(i + 1) === DOT);
      if (!(single && (code === STAR || code === HASH))) {
        return false;
      }
    }
  }
  return true;
}

/**
 * Whether a valid pattern matches a key: walks both word by word, comparing literal words
 * character by character (code units: two strings decoded from UTF-8 are equal exactly when
 * their bytes are).
 */
function patternMatches(pattern: string, key: string): boolean {
  const patternLength = pattern.length;
  const keyLength = key.length;
  let p = 0;
  let k = 0;
  let keyDone = keyLength === 0;
  for (;;) {
    let patternWordEnd = pattern.indexOf('.', p);
    if (patternWordEnd === -1) {
      patternWordEnd = patternLength;
    }
    const single = patternWordEnd - p === 1;
    const first = pattern.charCodeAt(p);
    if (single && first === HASH) {
      // `#` is always last: it takes the key's remaining words, none included.
      return true;
    }
    if (keyDone) {
      return false;
    }
    let keyWordEnd = key.indexOf('.', k);
    if (keyWordEnd === -1) {
      keyWordEnd = keyLength;
    }
    if (!(single && first === STAR)) {
      const length = patternWordEnd - p;
      if (keyWordEnd - k !== length) {
        return false;
      }
      for (let i = 0; i < length; i++) {
        if (pattern.charCodeAt(p + i) !== key.charCodeAt(k + i)) {
          return false;
        }
      }
    }
    if (patternWordEnd === patternLength) {
      return keyWordEnd === keyLength;
    }
    p = patternWordEnd + 1;
    if (keyWordEnd === keyLength) {
      keyDone = true;
    } else {
      k = keyWordEnd + 1;
    }
  }
}

/** Stands for a first word that is `*` or `#`: such a pattern is tried on every key. */
const ANY_HEAD = -1;

/**
 * The first word's length and first code unit, as one small integer (a key's first word is at
 * most 255 code units). A key with an empty first word has head 0, which no literal has.
 */
function head(text: string, wordEnd: number): number {
  return wordEnd === 0 ? 0 : (wordEnd << 16) | text.charCodeAt(0);
}

function firstWordEnd(text: string): number {
  const dot = text.indexOf('.');
  return dot === -1 ? text.length : dot;
}

/** Whether the routing key matches any of the patterns. */
export function matchesTopic(patterns: TopicPatterns, key: string): boolean {
  // Longer than 255 characters is longer than the 255 bytes AMQP can carry.
  if (typeof key !== 'string' || key.length > MAX_ROUTING_KEY_LENGTH) {
    return false;
  }
  const keyHead = head(key, firstWordEnd(key));
  for (let i = 0; i < patterns.length; i += 2) {
    const patternHead = patterns[i];
    if (
      (patternHead === keyHead || patternHead === ANY_HEAD) &&
      patternMatches(patterns[i + 1] as string, key)
    ) {
      return true;
    }
  }
  return false;
}

/**
 * Compiles an exchange's patterns for matchesTopic. Throws RoutingKeyPatternError for an
 * invalid pattern; an empty list matches nothing.
 */
export function compileTopicPatterns(
  patterns: readonly string[],
): TopicPatterns {
  const compiled: Array<number | string> = [];
  for (const pattern of new Set(patterns)) {
    if (!isValidPattern(pattern)) {
      throw new RoutingKeyPatternError(
        pattern,
        routingKeyPatternProblem(pattern) ?? 'is not a routing-key pattern',
      );
    }
    const end = firstWordEnd(pattern);
    const wildcard = end === 1 && (pattern[0] === '*' || pattern[0] === '#');
    compiled.push(wildcard ? ANY_HEAD : head(pattern, end), pattern);
  }
  return compiled as unknown as TopicPatterns;
}

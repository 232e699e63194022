import {
  MAX_ROUTING_KEY_LENGTH,
  RoutingKeyPatternError,
  routingKeyPatternProblem,
} from '@internal/brom-authz-snapshot';

/**
 * Routing-key matching for `/auth/topic`, with the semantics of
 * `compileRoutingKeyPatterns` of `@internal/brom-authz-snapshot` (see routingKey.ts there): a
 * key matches when it is a dot-separated list of `[a-z0-9_-]+` words (or empty, for `#`) that
 * fits one of the patterns, where `*` is one word and a final `#` any number of words, none
 * included.
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

/** 1 for the characters a routing-key word may contain: a-z, 0-9, `_` and `-`. */
const WORD_CHARACTER = new Uint8Array(128);
for (const character of 'abcdefghijklmnopqrstuvwxyz0123456789_-') {
  WORD_CHARACTER[character.charCodeAt(0)] = 1;
}

/** Whether the key is empty or a list of non-empty words of allowed characters. */
function isWordList(key: string): boolean {
  const length = key.length;
  let wordLength = 0;
  for (let i = 0; i < length; i++) {
    const code = key.charCodeAt(i);
    if (code === DOT) {
      if (wordLength === 0) {
        return false;
      }
      wordLength = 0;
    } else if (code < 128 && WORD_CHARACTER[code] === 1) {
      wordLength++;
    } else {
      return false;
    }
  }
  return length === 0 || wordLength > 0;
}

/**
 * Whether the pattern is in the language routingKeyPatternProblem accepts (non-empty, at most
 * 255 characters, words of allowed characters, `*`, or `#` as the last word), in one pass
 * without allocating: a large snapshot has a hundred thousand patterns, already validated once
 * by parseAuthzSnapshot.
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
    } else if (!(code < 128 && WORD_CHARACTER[code] === 1)) {
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
 * Whether a valid pattern matches a key already known to be a word list: walks both word by
 * word, comparing literal words character by character.
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

/** The first word's length and first character, as one small integer (words are ASCII). */
function head(text: string, wordEnd: number): number {
  return wordEnd === 0 ? 0 : (wordEnd << 7) | text.charCodeAt(0);
}

function firstWordEnd(text: string): number {
  const dot = text.indexOf('.');
  return dot === -1 ? text.length : dot;
}

/** Whether the routing key matches any of the patterns. */
export function matchesTopic(patterns: TopicPatterns, key: string): boolean {
  if (
    typeof key !== 'string' ||
    key.length > MAX_ROUTING_KEY_LENGTH ||
    !isWordList(key)
  ) {
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

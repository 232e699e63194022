/**
 * Routing-key patterns, defined once for the backend (overlap checks, broker bindings) and the
 * sidecar (topic authorisation).
 *
 * A pattern is a dot-separated list of words. A word is a literal (one or more Unicode letters,
 * combining marks or digits, `_` or `-`: see ROUTING_KEY_WORD), `*` (exactly one word) or `#`
 * (zero or more words, allowed only as the last word). A pattern is at most 255 bytes of UTF-8,
 * as a binding key is.
 *
 * Keys are matched as RabbitMQ's topic exchange routes them: a key is split on every `.` into
 * words, each of which may be empty or hold any character (`order.01HXYZ.created`, `a..b`,
 * `ø.x`), and the empty key is zero words. `*` matches any one word, empty included; a final
 * `#` any number of words. A literal matches only a word equal to it, character for character:
 * no case folding, no Unicode normalisation, exactly as the exchange compares bytes. So the
 * answer for a key is always the exchange's: a key is authorised exactly when a binding with
 * one of the patterns would route it.
 */

/**
 * A literal word: the characters people name events with in any script, and nothing that reads
 * as syntax (`.`, `*`, `#`), space or punctuation.
 */
export const ROUTING_KEY_WORD = /^[\p{L}\p{M}\p{N}_-]+$/u;

/**
 * AMQP 0-9-1 carries routing keys and binding keys as a short string (at most 255 bytes), so no
 * key the broker asks about is longer; patterns are held to the same bound, in UTF-8 bytes.
 */
export const MAX_ROUTING_KEY_LENGTH = 255;

/** The number of bytes the string takes in UTF-8 (lone surrogates count as U+FFFD's 3). */
function utf8Length(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x80) {
      bytes += 1;
    } else if (code < 0x800) {
      bytes += 2;
    } else if (
      code >= 0xd800 &&
      code <= 0xdbff &&
      i + 1 < text.length &&
      text.charCodeAt(i + 1) >= 0xdc00 &&
      text.charCodeAt(i + 1) <= 0xdfff
    ) {
      bytes += 4;
      i++;
    } else {
      bytes += 3;
    }
  }
  return bytes;
}

/** Any one word of a key: everything up to the next dot, possibly nothing. */
const ANY_WORD_SOURCE = '[^.]*';

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
  if (utf8Length(pattern) > MAX_ROUTING_KEY_LENGTH) {
    return `must be at most ${MAX_ROUTING_KEY_LENGTH} bytes of UTF-8`;
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
      )}) must be "*", "#" or consist of letters, digits, "_" and "-"`;
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
 * The patterns as a tree of words: a node is reached by a pattern's fixed words (literals and
 * `*`); `end` marks where a pattern stops, `open` where one goes on with a final `#`.
 */
interface WordNode {
  end: boolean;
  open: boolean;
  readonly children: Map<string, WordNode>;
}

function wordTree(patterns: readonly string[]): WordNode {
  const root: WordNode = { end: false, open: false, children: new Map() };
  for (const pattern of patterns) {
    const words = pattern.split('.');
    const open = words[words.length - 1] === '#';
    let node = root;
    for (const word of open ? words.slice(0, -1) : words) {
      let child = node.children.get(word);
      if (!child) {
        child = { end: false, open: false, children: new Map() };
        node.children.set(word, child);
      }
      node = child;
    }
    if (open) {
      node.open = true;
    } else {
      node.end = true;
    }
  }
  return root;
}

/** What may follow a node's word: nothing, any further words (`#`), or the next words. */
function tailSource(node: WordNode): string {
  if (node.open) {
    // `#` takes every continuation, including the ones the children spell out.
    return '(?:\\..*)?';
  }
  if (node.children.size === 0) {
    return '';
  }
  const alternatives = wordAlternatives(node, false);
  const next = `\\.${
    node.children.size > 1 ? `(?:${alternatives})` : alternatives
  }`;
  return node.end ? `(?:${next})?` : next;
}

function wordAlternatives(node: WordNode, atStart: boolean): string {
  return [...node.children.keys()]
    .sort()
    .map(word => {
      const child = node.children.get(word)!;
      // Literal words hold no character that is special in a RegExp.
      const source = word === '*' ? ANY_WORD_SOURCE : word;
      // A first `*` that may end the key needs one word, which the empty key does not have.
      const needsWord = atStart && word === '*' && (child.end || child.open);
      return `${needsWord ? '(?=.)' : ''}${source}${tailSource(child)}`;
    })
    .join('|');
}

/**
 * The regular-expression source (without anchors) for a list of valid patterns; it is matched
 * with the `s` flag, so `.` in it stands for any character. The patterns share their common
 * leading words (`order\.(?:created|[^.]*\.updated)` rather than one alternative per pattern),
 * which keeps the source short: RabbitMQ compiles a topic permission's regex again for every
 * routing key its channel has not cached, so its length is paid on every such publish in the
 * native mode (`npm run bench:topic-regex` measures it: about 10 µs for 20 patterns, 2.6 µs for
 * one). Every quantified part is separated by a literal dot or runs to the end, so matching
 * is linear in the key length: there is no backtracking blow-up on long or hostile keys.
 */
function patternsSource(patterns: readonly string[]): string {
  const root = wordTree(patterns);
  // A lone `#` matches every key, the empty one included.
  return root.open ? '.*' : wordAlternatives(root, true);
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
  return new RegExp(`^(?:${patternsSource(patterns)})$`, 's');
}

/**
 * The regular expression, as RabbitMQ's internal authorisation backend runs it (Erlang `re`,
 * which is PCRE over the key's UTF-8 bytes, unanchored), that matches exactly the keys
 * {@link compileRoutingKeyPatterns} accepts: what a topic permission's `write` needs so that
 * the broker allows the same keys as the sidecar. `(?s)` lets `.` match a newline as the `s`
 * flag does, and `\z` ends the match at the very end (PCRE's `$` also matches before a final
 * newline). Literal words match byte for byte and `[^.]` never matches part of a multi-byte
 * character (no UTF-8 continuation byte is a dot). An empty list gives a regex that matches
 * nothing. Throws RoutingKeyPatternError for an invalid pattern.
 */
export function routingKeyPatternsToBrokerRegex(
  patterns: readonly string[],
): string {
  if (patterns.length === 0) {
    return '(?!)';
  }
  for (const pattern of patterns) {
    assertValid(pattern);
  }
  return `(?s)^(?:${patternsSource(patterns)})\\z`;
}

/** A predicate for one pattern. Throws RoutingKeyPatternError for an invalid pattern. */
export function compileRoutingKeyPattern(
  pattern: string,
): (routingKey: string) => boolean {
  return compileRoutingKeyPatterns([pattern]);
}

/**
 * A predicate that is true when the key matches any of the patterns; one RegExp test per call
 * whatever the number of patterns. A key of more than 255 characters is more than 255 bytes,
 * which AMQP cannot carry, and matches nothing. Throws RoutingKeyPatternError for an invalid
 * pattern.
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

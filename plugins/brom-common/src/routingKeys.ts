const WORD = /^[a-z0-9_-]+$/;

/**
 * Explains what is wrong with a routing-key pattern, or returns undefined when it is valid.
 * Patterns are dotted words; `*` stands for exactly one word and `#` for any number of
 * words, only as the last word (the broker matches `#` anywhere, but a leading or inner
 * `#` makes overlap and authorisation hard to reason about).
 */
export function routingKeyPatternProblem(pattern: string): string | undefined {
  if (pattern.length === 0) return 'must not be empty';
  if (pattern.length > 255) return 'must be at most 255 characters';
  const words = pattern.split('.');
  for (let i = 0; i < words.length; i++) {
    const word = words[i];
    if (word === '#') {
      if (i !== words.length - 1) return '`#` is only allowed as the last word';
      continue;
    }
    if (word === '*') continue;
    if (word === '') return 'must not have empty words (leading, trailing or double dots)';
    if (!WORD.test(word)) {
      return `word "${word}" may only contain a-z, 0-9, _ and -, or be * or #`;
    }
  }
  return undefined;
}

/** True when some routing key matches both patterns. Both must be valid. */
export function routingKeyPatternsOverlap(a: string, b: string): boolean {
  const aw = a.split('.');
  const bw = b.split('.');
  for (let i = 0; ; i++) {
    const x = aw[i];
    const y = bw[i];
    if (x === '#' || y === '#') return true;
    if (x === undefined && y === undefined) return true;
    if (x === undefined || y === undefined) return false;
    if (x !== '*' && y !== '*' && x !== y) return false;
  }
}

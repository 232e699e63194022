/**
 * The benchmarks' command-line options: `--name value` for numbers, strings and choices,
 * `--name` alone for switches. An option's flag is its key in kebab case (`noFloor` is
 * `--no-floor`). Unknown options and values that do not fit are refused with the flag's name.
 */

/** What an option takes: a number, a string, one of some strings, or nothing (a switch). */
export type OptionKind = 'number' | 'string' | 'switch' | readonly string[];

/** The flag of an option key: `idleSeconds` is `--idle-seconds`. */
export function flagOf(key: string): string {
  return `--${key.replace(/[A-Z]/g, c => `-${c.toLowerCase()}`)}`;
}

/**
 * Parses `argv` over `defaults`: `kinds` names every option the benchmark takes and what
 * it takes. Numbers must be finite; a switch sets its option to true.
 */
export function parseOptions<T extends object>(
  argv: readonly string[],
  defaults: T,
  kinds: { readonly [K in keyof T]-?: OptionKind },
): T {
  const options = { ...defaults } as Record<string, unknown>;
  const byFlag = new Map(
    Object.entries(kinds as Record<string, OptionKind>).map(([key, kind]) => [
      flagOf(key),
      { key, kind },
    ]),
  );
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const option = byFlag.get(flag);
    if (!option) {
      throw new Error(
        `unknown option ${flag}; the options are ${[...byFlag.keys()].join(
          ', ',
        )}`,
      );
    }
    const { key, kind } = option;
    if (kind === 'switch') {
      options[key] = true;
      continue;
    }
    const value = argv[++i];
    if (value === undefined) throw new Error(`${flag} needs a value`);
    if (kind === 'number') {
      const number = Number(value);
      if (value.trim() === '' || !Number.isFinite(number)) {
        throw new Error(`${flag} needs a number, not ${JSON.stringify(value)}`);
      }
      options[key] = number;
    } else if (kind === 'string') {
      options[key] = value;
    } else {
      if (!kind.includes(value)) {
        throw new Error(
          `${flag} is one of ${kind.join('|')}, not ${JSON.stringify(value)}`,
        );
      }
      options[key] = value;
    }
  }
  return options as T;
}

/**
 * Reads `key=value` pairs separated by `;` (an option such as `--broker-config` that passes
 * settings through): keys and values are trimmed, a pair without `=` or with an empty key is
 * refused with the flag's name, and a later pair replaces an earlier one of the same key.
 */
export function parseAssignments(
  flag: string,
  text: string,
): Record<string, string> {
  const assignments: Record<string, string> = {};
  for (const part of text.split(';')) {
    if (part.trim() === '') continue;
    const at = part.indexOf('=');
    const key = at < 0 ? '' : part.slice(0, at).trim();
    if (!key) {
      throw new Error(
        `${flag} takes key=value pairs separated by ';', not ${JSON.stringify(part)}`,
      );
    }
    assignments[key] = part.slice(at + 1).trim();
  }
  return assignments;
}

/**
 * Structured logs: one JSON object per line. Callers pass only names, versions, counts and
 * error messages; nothing here ever receives a password, token or hash.
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export type LogFields = Record<
  string,
  string | number | boolean | null | undefined
>;

export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
  child(fields: LogFields): Logger;
}

const LEVELS: Record<LogLevel, number> = {
  debug: 10,
  info: 20,
  warn: 30,
  error: 40,
};

export function isLogLevel(value: string): value is LogLevel {
  return Object.prototype.hasOwnProperty.call(LEVELS, value);
}

/** Where finished log lines go; stdout in production, an array in tests. */
export type LogSink = (line: string) => void;

export class JsonLogger implements Logger {
  readonly #minimum: number;
  readonly #sink: LogSink;
  readonly #context: LogFields;
  readonly #now: () => number;

  private constructor(options: {
    level: LogLevel;
    sink: LogSink;
    context: LogFields;
    now: () => number;
  }) {
    this.#minimum = LEVELS[options.level];
    this.#sink = options.sink;
    this.#context = options.context;
    this.#now = options.now;
  }

  static create(
    options: {
      level?: LogLevel;
      sink?: LogSink;
      context?: LogFields;
      now?: () => number;
    } = {},
  ): JsonLogger {
    return new JsonLogger({
      level: options.level ?? 'info',
      sink: options.sink ?? (line => process.stdout.write(`${line}\n`)),
      context: options.context ?? {},
      now: options.now ?? Date.now,
    });
  }

  child(fields: LogFields): Logger {
    return new JsonLogger({
      level: levelName(this.#minimum),
      sink: this.#sink,
      context: { ...this.#context, ...fields },
      now: this.#now,
    });
  }

  debug(message: string, fields?: LogFields): void {
    this.#write('debug', message, fields);
  }

  info(message: string, fields?: LogFields): void {
    this.#write('info', message, fields);
  }

  warn(message: string, fields?: LogFields): void {
    this.#write('warn', message, fields);
  }

  error(message: string, fields?: LogFields): void {
    this.#write('error', message, fields);
  }

  #write(level: LogLevel, message: string, fields?: LogFields): void {
    if (LEVELS[level] < this.#minimum) {
      return;
    }
    this.#sink(
      JSON.stringify({
        time: new Date(this.#now()).toISOString(),
        level,
        msg: message,
        ...this.#context,
        ...fields,
      }),
    );
  }
}

function levelName(value: number): LogLevel {
  return (
    (Object.keys(LEVELS) as LogLevel[]).find(l => LEVELS[l] === value) ?? 'info'
  );
}

/** The message of an unknown thrown value, for a log field. */
export function errorMessage(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return typeof code === 'string'
      ? `${code}: ${error.message}`
      : error.message;
  }
  return String(error);
}

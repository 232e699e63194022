import { LogFields, Logger } from '../logger';

/**
 * One warning line at most per interval, each saying how many were held back since the one
 * before: whoever can send bytes to the port decides how often the event happens, and must not
 * decide how much the sidecar writes to its log.
 */
export class ThrottledWarning {
  readonly #logger: Logger;
  readonly #message: string;
  readonly #intervalMs: number;
  readonly #now: () => number;
  #lastWarnedMs: number | undefined;
  #suppressed = 0;

  private constructor(options: {
    logger: Logger;
    message: string;
    intervalMs: number;
    now: () => number;
  }) {
    this.#logger = options.logger;
    this.#message = options.message;
    this.#intervalMs = options.intervalMs;
    this.#now = options.now;
  }

  static create(options: {
    logger: Logger;
    message: string;
    intervalMs: number;
    /** Milliseconds on any monotonic scale. */
    now: () => number;
  }): ThrottledWarning {
    return new ThrottledWarning(options);
  }

  /** Logs the warning with these fields, or counts it when one was logged within the interval. */
  warn(fields: LogFields): void {
    const now = this.#now();
    if (
      this.#lastWarnedMs !== undefined &&
      now - this.#lastWarnedMs < this.#intervalMs
    ) {
      this.#suppressed++;
      return;
    }
    this.#logger.warn(this.#message, {
      ...fields,
      suppressedSinceLast: this.#suppressed,
    });
    this.#lastWarnedMs = now;
    this.#suppressed = 0;
  }
}

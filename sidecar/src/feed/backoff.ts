/** How long to wait before the next attempt after `attempt` consecutive failures (1, 2, …). */
export interface Backoff {
  delayMs(attempt: number): number;
}

/**
 * Exponential backoff with "equal jitter": the delay doubles per failure up to `maxMs`, and a
 * random half of it is added on top of the other half, so a fleet of sidecars that lost the
 * portal together does not come back in lockstep.
 */
export function exponentialBackoff(options: {
  initialMs: number;
  maxMs: number;
  random?: () => number;
}): Backoff {
  const random = options.random ?? Math.random;
  return {
    delayMs(attempt: number): number {
      const exponent = Math.min(Math.max(attempt - 1, 0), 30);
      const ceiling = Math.min(
        options.maxMs,
        options.initialMs * 2 ** exponent,
      );
      return ceiling / 2 + random() * (ceiling / 2);
    },
  };
}

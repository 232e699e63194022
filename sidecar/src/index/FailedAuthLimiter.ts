/**
 * A failure budget per known username (a token bucket: `burst` failures at once, refilled at
 * `refillPerSecond`). It decides whether a failed password check is reported one by one or only
 * counted, so a client stuck with a wrong secret, or someone guessing, cannot flood the logs.
 *
 * It never decides whether a password is accepted. A correct password must verify even while
 * its username is over budget, and the only way to know a password is correct is to hash it:
 * one SHA-256 over about 60 bytes, the same cost as any keyed-hash cache lookup that could
 * replace it. So every attempt is hashed; against 256-bit random secrets guessing is hopeless
 * anyway, and a slower path for the over-budget case would protect nothing.
 */
export class FailedAuthLimiter {
  readonly #burst: number;
  readonly #refillPerMs: number;
  readonly #buckets = new Map<string, { tokens: number; updatedMs: number }>();

  private constructor(options: { burst: number; refillPerSecond: number }) {
    this.#burst = options.burst;
    this.#refillPerMs = options.refillPerSecond / 1000;
  }

  static create(options: {
    burst: number;
    refillPerSecond: number;
  }): FailedAuthLimiter {
    if (!(options.burst >= 1) || !(options.refillPerSecond > 0)) {
      throw new Error(
        'FailedAuthLimiter needs burst >= 1 and refillPerSecond > 0',
      );
    }
    return new FailedAuthLimiter(options);
  }

  /**
   * Spends one failure for the username. Returns `'within'` while the budget lasts, `'exhausted'`
   * for the failure that empties it, and `'limited'` after that until it refills.
   */
  recordFailure(
    username: string,
    nowMs: number,
  ): 'within' | 'exhausted' | 'limited' {
    let bucket = this.#buckets.get(username);
    if (!bucket) {
      bucket = { tokens: this.#burst, updatedMs: nowMs };
      this.#buckets.set(username, bucket);
    } else {
      const elapsed = Math.max(0, nowMs - bucket.updatedMs);
      bucket.tokens = Math.min(
        this.#burst,
        bucket.tokens + elapsed * this.#refillPerMs,
      );
      bucket.updatedMs = nowMs;
    }
    if (bucket.tokens < 1) {
      return 'limited';
    }
    bucket.tokens -= 1;
    return bucket.tokens < 1 ? 'exhausted' : 'within';
  }

  /**
   * Drops buckets of usernames the current snapshot no longer has, so memory stays bounded by
   * the number of credentials (unknown usernames never get a bucket).
   */
  retainOnly(usernames: ReadonlyMap<string, unknown>): void {
    for (const username of this.#buckets.keys()) {
      if (!usernames.has(username)) {
        this.#buckets.delete(username);
      }
    }
  }
}

import { Logger } from '../logger';
import { SidecarMetrics } from '../metrics';
import {
  AuthzIndex,
  CompiledCredential,
  hasName,
  topicPatternsFor,
} from './AuthzIndex';
import { FailedAuthLimiter } from './FailedAuthLimiter';
import { passwordMatches } from './hash';
import { matchesTopic } from './topicMatcher';

/** A request parameter; null when the request does not carry it. */
type Param = string | null;

/**
 * Answers the four questions of RabbitMQ's HTTP auth backend from the index it holds. Every
 * method is synchronous and reads only memory; with no index loaded every answer is deny.
 *
 * Swapping assigns one field, so a request sees either the old index or the new one, never a
 * mixture; Node runs each request's decision to completion without interleaving.
 */
export class AuthzDecider {
  #index: AuthzIndex | undefined;
  readonly #now: () => number;
  readonly #limiter: FailedAuthLimiter;
  readonly #metrics: SidecarMetrics | undefined;
  readonly #logger: Logger;

  private constructor(options: {
    now: () => number;
    limiter: FailedAuthLimiter;
    metrics: SidecarMetrics | undefined;
    logger: Logger;
  }) {
    this.#now = options.now;
    this.#limiter = options.limiter;
    this.#metrics = options.metrics;
    this.#logger = options.logger;
  }

  static create(options: {
    logger: Logger;
    /** Epoch milliseconds; the sidecar enforces credential expiry with this clock. */
    now?: () => number;
    metrics?: SidecarMetrics;
    failedAuthBurst?: number;
    failedAuthRefillPerSecond?: number;
  }): AuthzDecider {
    return new AuthzDecider({
      now: options.now ?? Date.now,
      limiter: FailedAuthLimiter.create({
        burst: options.failedAuthBurst ?? 10,
        refillPerSecond: options.failedAuthRefillPerSecond ?? 0.1,
      }),
      metrics: options.metrics,
      logger: options.logger,
    });
  }

  /** The index being served, or undefined before the first snapshot. */
  get index(): AuthzIndex | undefined {
    return this.#index;
  }

  swap(index: AuthzIndex): void {
    this.#index = index;
    this.#limiter.retainOnly(index.credentials);
  }

  /** `/auth/user`: the username is a live credential and the password is its secret. */
  user(username: Param, password: Param): boolean {
    const credential = this.#liveCredential(username);
    if (!credential || password === null) {
      // Unknown names include internal broker users whose password the internal backend just
      // refused; their names are not logged, since people type passwords into username fields.
      return false;
    }
    if (
      passwordMatches(credential.secrets, credential.secretOffset, password)
    ) {
      return true;
    }
    const budget = this.#limiter.recordFailure(
      credential.username,
      this.#now(),
    );
    this.#metrics?.recordFailedAuth(budget === 'limited');
    if (budget === 'within') {
      this.#logger.warn('Password check failed', {
        username: credential.username,
      });
    } else if (budget === 'exhausted') {
      this.#logger.warn(
        'Password check failed; further failures for this username are only counted until its failure budget refills',
        { username: credential.username },
      );
    }
    return false;
  }

  /** `/auth/vhost`: a live credential asking for the managed vhost. */
  vhost(username: Param, vhost: Param): boolean {
    const credential = this.#liveCredential(username);
    return credential !== undefined && vhost === this.#index!.vhost;
  }

  /**
   * `/auth/resource`: write to the application's exchanges, read from its queues, nothing else.
   * Applications never get `configure`: the portal owns the topology.
   */
  resource(
    username: Param,
    vhost: Param,
    resource: Param,
    name: Param,
    permission: Param,
  ): boolean {
    const credential = this.#liveCredential(username);
    if (!credential || vhost !== this.#index!.vhost || name === null) {
      return false;
    }
    if (permission === 'write' && resource === 'exchange') {
      return hasName(credential.application.write, name);
    }
    if (permission === 'read' && resource === 'queue') {
      return hasName(credential.application.read, name);
    }
    return false;
  }

  /**
   * `/auth/topic`: publishing (`write`) a routing key that matches one of the application's
   * patterns for that exchange. Topic `read` (binding) is the reconciler's business, not an
   * application's.
   */
  topic(
    username: Param,
    vhost: Param,
    resource: Param,
    name: Param,
    permission: Param,
    routingKey: Param,
  ): boolean {
    const credential = this.#liveCredential(username);
    if (
      !credential ||
      vhost !== this.#index!.vhost ||
      resource !== 'topic' ||
      permission !== 'write' ||
      name === null ||
      routingKey === null
    ) {
      return false;
    }
    const patterns = topicPatternsFor(credential.application, name);
    return patterns !== undefined && matchesTopic(patterns, routingKey);
  }

  #liveCredential(username: Param): CompiledCredential | undefined {
    const index = this.#index;
    if (index === undefined || username === null) {
      return undefined;
    }
    const credential = index.credentials.get(username);
    if (
      credential === undefined ||
      // Most credentials never expire; only the others need the clock.
      (credential.expiresAtMs !== Infinity &&
        this.#now() >= credential.expiresAtMs)
    ) {
      return undefined;
    }
    return credential;
  }
}

import { BrokerObjectKind } from './types';

/**
 * Orders strings by UTF-16 code units: deterministic on every machine, unlike
 * `localeCompare`, so plans come out in the same order everywhere.
 */
export function compareCodeUnits(a: string, b: string): number {
  if (a === b) return 0;
  return a < b ? -1 : 1;
}

/** The prefix of every object the reconciler creates, unless configured otherwise. */
export const DEFAULT_NAME_PREFIX = 'brom.';

/** The broker object names derived from one application's name. */
export interface ApplicationObjectNames {
  /** The producer's topic exchange and the consumer's queue share this name (and the policy). */
  base: string;
  exchange: string;
  queue: string;
  deadLetterExchange: string;
  deadLetterQueue: string;
  policy: string;
  /**
   * The policy that bounded this dead-letter queue alone before one shared policy bounded
   * them all (decision 0025): still attributed to the application, so that a leftover one is
   * removed with the right queue group.
   */
  legacyDeadLetterPolicy: string;
  /**
   * The dynamic shovel a replay of the dead-letter queue runs as. Never managed: it deletes
   * itself once it has moved the messages. Application names hold no dot, so it can never be
   * an external producer's shovel (named like its exchange, `base`).
   */
  replayShovel: string;
}

export function applicationObjectNames(
  prefix: string,
  applicationName: string,
): ApplicationObjectNames {
  const base = `${prefix}${applicationName}`;
  return {
    base,
    exchange: base,
    queue: base,
    deadLetterExchange: `${base}.dlx`,
    deadLetterQueue: `${base}.dlq`,
    policy: base,
    legacyDeadLetterPolicy: `${base}.dlq`,
    replayShovel: `${base}.dlq.replay`,
  };
}

/** The application names the portal accepts (the API's `ApplicationName`). */
const APPLICATION_NAME_SOURCE = '[a-z0-9]+(?:-[a-z0-9]+)*';

/**
 * The one policy that bounds every consumer's dead-letter queue. The `_` keeps its name out
 * of every application's (application names hold only `a-z`, `0-9` and `-`), and its pattern
 * matches exactly the names {@link applicationObjectNames} gives dead-letter queues: the
 * prefix, an application name, `.dlq`.
 */
export function deadLetterBoundPolicy(prefix: string): { name: string; pattern: string } {
  return {
    name: `${prefix}_dead-letters`,
    pattern: `^${escapeRegex(prefix)}${APPLICATION_NAME_SOURCE}\\.dlq$`,
  };
}

export function vhostKey(name: string): string {
  return `vhost:${name}`;
}

export function exchangeKey(name: string): string {
  return `exchange:${name}`;
}

export function queueKey(name: string): string {
  return `queue:${name}`;
}

export function shovelKey(name: string): string {
  return `shovel:${name}`;
}

export function policyKey(name: string): string {
  return `policy:${name}`;
}

/** A broker user of a credential (native mode); users are not vhost-scoped. */
export function userKey(username: string): string {
  return `user:${username}`;
}

/** A user's vhost and topic permissions in the managed vhost (native mode). */
export function permissionsKey(username: string): string {
  return `permissions:${username}`;
}

/**
 * Names an application for attribution only (never a broker object): the users and
 * permissions of its credentials are made for it.
 */
export function applicationKey(applicationName: string): string {
  return `application:${applicationName}`;
}

/**
 * The application a credential's broker username belongs to: credential usernames are
 * `<application>.<suffix>`, and application names hold no dot.
 */
export function applicationOfUsername(username: string): string {
  const dot = username.indexOf('.');
  return dot < 0 ? username : username.slice(0, dot);
}

/**
 * A binding has no name: its identity is source, destination and routing key (and
 * arguments, which ours never have), e.g. `binding:brom.orders->queue:brom.billing:order.*.created`.
 */
export function bindingKey(
  source: string,
  destinationType: 'queue' | 'exchange',
  destination: string,
  routingKey: string,
): string {
  return `binding:${source}->${destinationType}:${destination}:${routingKey}`;
}

/**
 * Bindings with arguments are never ours, so they get a key of their own kind that no
 * desired object and therefore no managed record can ever have.
 */
export function bindingWithArgumentsKey(
  source: string,
  destinationType: 'queue' | 'exchange',
  destination: string,
  routingKey: string,
  propertiesKey: string,
): string {
  return `binding-with-arguments:${source}->${destinationType}:${destination}:${routingKey}:${propertiesKey}`;
}

/** The kind and the rest of a key, for messages and summaries. */
export function describeKey(key: string): {
  kind: BrokerObjectKind | string;
  name: string;
} {
  const colon = key.indexOf(':');
  if (colon < 0) return { kind: 'object', name: key };
  return { kind: key.slice(0, colon), name: key.slice(colon + 1) };
}

// PCRE (RabbitMQ's policy patterns are Erlang `re`) metacharacters outside a class.
const REGEX_METACHARACTERS = /[\\^$.|?*+()[\]{}]/g;

export function escapeRegex(literal: string): string {
  return literal.replace(REGEX_METACHARACTERS, '\\$&');
}

/**
 * A policy pattern that matches exactly one object name. RabbitMQ matches policy patterns
 * unanchored, so without `^…$` the pattern for `brom.app` would also match `brom.app.dlq`
 * and `xbrom.apple`, and without escaping the `.` would match any character.
 */
export function exactNamePattern(name: string): string {
  return `^${escapeRegex(name)}$`;
}

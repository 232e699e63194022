import { createHash } from 'node:crypto';

const PREFIX = 'feide-';
const MAX_NAME_LENGTH = 63;
const HASH_SEPARATOR = '__';
const HASH_LENGTH = 12;

/**
 * Feide ids that can be spelled out readably: lower-case words joined by single `.`, `:`
 * or `-`, such as `fc:adhoc:6f1c-…` or `fc:org:uio.no:unit:0001`.
 */
const READABLE_ID = /^[a-z0-9]+([.:-][a-z0-9]+)*$/;

/**
 * The catalog entity name for a Feide id (a group id or a user's `sub`).
 *
 * Ownership hangs on these names, so two Feide ids must never share one. Readable names
 * map `:` to `_` and keep everything else, which is reversible because a readable id has
 * no `_`. Every other id (upper case, other characters, too long) gets a cut-down
 * prefix, `__` and a hash of the exact id; readable names never contain `__`, so the two
 * forms cannot meet.
 */
export function feideEntityName(feideId: string): string {
  const readable = `${PREFIX}${feideId.replaceAll(':', '_')}`;
  if (READABLE_ID.test(feideId) && readable.length <= MAX_NAME_LENGTH) {
    return readable;
  }
  const hash = createHash('sha256')
    .update(feideId)
    .digest('hex')
    .slice(0, HASH_LENGTH);
  const room =
    MAX_NAME_LENGTH - PREFIX.length - HASH_SEPARATOR.length - HASH_LENGTH;
  const head = feideId
    .toLocaleLowerCase('en-US')
    .replace(/[^a-z0-9.-]+/g, '-')
    .slice(0, room)
    .replace(/[^a-z0-9]+$/, '');
  return `${PREFIX}${head}${HASH_SEPARATOR}${hash}`;
}

/** `group:default/feide-…` for a Feide group id. */
export function feideGroupEntityRef(groupId: string): string {
  return `group:default/${feideEntityName(groupId)}`;
}

/**
 * `user:default/feide-…` for a Feide user. BROM names users by the OpenID Connect `sub`:
 * Feide issues it to every service, it never changes for a person and is never handed to
 * someone else, whereas an eduPersonPrincipalName needs an extra scope and can be
 * reassigned by the home organisation after a person leaves.
 */
export function feideUserEntityRef(sub: string): string {
  return `user:default/${feideEntityName(sub)}`;
}

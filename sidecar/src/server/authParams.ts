/**
 * The parameters of RabbitMQ's HTTP auth backend that the decider reads, each `null` when
 * absent (as `URLSearchParams.get` returns). The server reuses one instance for every request:
 * it reads and decides synchronously, so no two requests ever hold it at once.
 */
export class AuthParams {
  username: string | null = null;
  password: string | null = null;
  vhost: string | null = null;
  resource: string | null = null;
  name: string | null = null;
  permission: string | null = null;
  routingKey: string | null = null;
}

const QUESTION_MARK = 0x3f;

/** One bit per field, to say which fields a request needs (see readAuthParams). */
export const AUTH_PARAM = {
  username: 1,
  password: 2,
  vhost: 4,
  resource: 8,
  name: 16,
  permission: 32,
  routingKey: 64,
} as const;
const ALL_FIELDS = 127;

/**
 * Reads an `application/x-www-form-urlencoded` body (or the query of a GET, starting at
 * `from`) into `params`, giving every field exactly the value
 * `new URLSearchParams(text.slice(from)).get(field)` has.
 *
 * What the broker sends holds no `%` or `+` in most requests (names, vhosts and routing keys
 * are plain words; secrets are base64url). Such text needs no decoding, and the values are read
 * straight out of it: pairs found with `indexOf`, names compared in place, and only the seven
 * values the decider reads become strings (`tags`, `ip`, `variable_map.*` and `client_id` are
 * skipped). Anything with `%` or `+` is left to URLSearchParams itself. Both paths are linear.
 */
export function readAuthParams(
  text: string,
  params: AuthParams,
  from = 0,
  /**
   * The fields (AUTH_PARAM bits) the caller reads: reading stops once they are all found, as
   * the first occurrence is the one that counts. Fields outside it may be left null.
   */
  wanted: number = ALL_FIELDS,
): AuthParams {
  params.username = null;
  params.password = null;
  params.vhost = null;
  params.resource = null;
  params.name = null;
  params.permission = null;
  params.routingKey = null;
  if (text.includes('%', from) || text.includes('+', from)) {
    return readEncoded(
      new URLSearchParams(from === 0 ? text : text.slice(from)),
      params,
    );
  }
  const length = text.length;
  // URLSearchParams skips one leading `?`.
  let pairStart =
    from < length && text.charCodeAt(from) === QUESTION_MARK ? from + 1 : from;
  // The next `=` at or after pairStart (length when none); searched again only once passed,
  // so each character is scanned once however many pairs lack an `=`.
  let equals = -1;
  let found = 0;
  while (pairStart < length && (found & wanted) !== wanted) {
    let pairEnd = text.indexOf('&', pairStart);
    if (pairEnd === -1) {
      pairEnd = length;
    }
    if (equals < pairStart) {
      equals = text.indexOf('=', pairStart);
      if (equals === -1) {
        equals = length;
      }
    }
    // A pair without `=` is a name with the value ''.
    const nameEnd = equals < pairEnd ? equals : pairEnd;
    if (nameEnd > pairStart) {
      const valueStart = nameEnd < pairEnd ? nameEnd + 1 : pairEnd;
      found |= assignPlain(
        params,
        text,
        pairStart,
        nameEnd,
        valueStart,
        pairEnd,
      );
    }
    pairStart = pairEnd + 1;
  }
  return params;
}

/**
 * Sets the field named by text[start, nameEnd) to text[valueStart, end) unless an earlier pair
 * set it; returns the field's AUTH_PARAM bit when it is one of them, else 0.
 */
function assignPlain(
  params: AuthParams,
  text: string,
  start: number,
  nameEnd: number,
  valueStart: number,
  end: number,
): number {
  switch (nameEnd - start) {
    case 4:
      if (text.startsWith('name', start)) {
        params.name ??= text.slice(valueStart, end);
        return AUTH_PARAM.name;
      }
      return 0;
    case 5:
      if (text.startsWith('vhost', start)) {
        params.vhost ??= text.slice(valueStart, end);
        return AUTH_PARAM.vhost;
      }
      return 0;
    case 8:
      if (text.startsWith('username', start)) {
        params.username ??= text.slice(valueStart, end);
        return AUTH_PARAM.username;
      }
      if (text.startsWith('password', start)) {
        params.password ??= text.slice(valueStart, end);
        return AUTH_PARAM.password;
      }
      if (text.startsWith('resource', start)) {
        params.resource ??= text.slice(valueStart, end);
        return AUTH_PARAM.resource;
      }
      return 0;
    case 10:
      if (text.startsWith('permission', start)) {
        params.permission ??= text.slice(valueStart, end);
        return AUTH_PARAM.permission;
      }
      return 0;
    case 11:
      if (text.startsWith('routing_key', start)) {
        params.routingKey ??= text.slice(valueStart, end);
        return AUTH_PARAM.routingKey;
      }
      return 0;
    default:
      return 0;
  }
}

function readEncoded(search: URLSearchParams, params: AuthParams): AuthParams {
  params.username = search.get('username');
  params.password = search.get('password');
  params.vhost = search.get('vhost');
  params.resource = search.get('resource');
  params.name = search.get('name');
  params.permission = search.get('permission');
  params.routingKey = search.get('routing_key');
  return params;
}

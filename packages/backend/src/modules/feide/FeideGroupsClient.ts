import { ResponseError } from '@backstage/errors';

/** One of the signed-in user's groups, as Feide's groups API describes it. */
export interface FeideGroup {
  /** e.g. `fc:adhoc:6f1c…` or `fc:org:uio.no:unit:0001`. */
  id: string;
  displayName: string;
  /** e.g. `fc:adhoc`, `fc:org`. */
  type: string;
  /** `member`, `admin` or `owner`; BROM treats every membership alike. */
  membership?: string;
}

/**
 * Reads the signed-in user's groups from Feide's groups API
 * (`GET {base}/groups/me/groups`) with the user's own access token, so Feide decides
 * what BROM may see, and nothing else can stand in for the user.
 */
export class FeideGroupsClient {
  readonly #groupsUrl: string;
  readonly #timeoutMs: number;

  private constructor(groupsUrl: string, timeoutMs: number) {
    this.#groupsUrl = groupsUrl;
    this.#timeoutMs = timeoutMs;
  }

  static create(options: {
    baseUrl: string;
    timeoutMs: number;
  }): FeideGroupsClient {
    return new FeideGroupsClient(
      `${options.baseUrl.replace(/\/+$/, '')}/groups/me/groups`,
      options.timeoutMs,
    );
  }

  async listMyGroups(accessToken: string): Promise<FeideGroup[]> {
    const res = await fetch(this.#groupsUrl, {
      headers: {
        Authorization: `Bearer ${accessToken}`,
        Accept: 'application/json',
      },
      signal: AbortSignal.timeout(this.#timeoutMs),
    });
    if (!res.ok) throw await ResponseError.fromResponse(res);
    return parseGroups(await res.json());
  }
}

/**
 * Keeps the groups with a usable id. A malformed answer as a whole is an error rather
 * than "no groups": signing someone in with nothing would quietly drop their ownership.
 */
export function parseGroups(body: unknown): FeideGroup[] {
  if (!Array.isArray(body)) {
    throw new Error('Feide groups API did not answer with a list of groups');
  }
  const groups: FeideGroup[] = [];
  for (const item of body) {
    if (!item || typeof item !== 'object') continue;
    const { id, displayName, type, membership } = item as Record<
      string,
      unknown
    >;
    if (typeof id !== 'string' || id.length === 0) continue;
    const basic =
      membership && typeof membership === 'object'
        ? (membership as Record<string, unknown>).basic
        : undefined;
    groups.push({
      id,
      displayName:
        typeof displayName === 'string' && displayName ? displayName : id,
      type: typeof type === 'string' ? type : '',
      ...(typeof basic === 'string' ? { membership: basic } : {}),
    });
  }
  return groups;
}

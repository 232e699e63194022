import { AuthService, DiscoveryService } from '@backstage/backend-plugin-api';
import { ResponseError } from '@backstage/errors';
import { SignInMemberships } from '@internal/plugin-brom-common';

/**
 * Hands the memberships seen at sign-in to BROM, which stores them and publishes them to
 * the catalog. The auth plugin cannot write BROM's database, so this goes through BROM's
 * service route with a token that names the auth plugin as caller.
 */
export class BromMembershipsClient {
  readonly #discovery: DiscoveryService;
  readonly #auth: AuthService;
  readonly #timeoutMs: number;

  private constructor(options: {
    discovery: DiscoveryService;
    auth: AuthService;
    timeoutMs: number;
  }) {
    this.#discovery = options.discovery;
    this.#auth = options.auth;
    this.#timeoutMs = options.timeoutMs;
  }

  static create(options: {
    discovery: DiscoveryService;
    auth: AuthService;
    timeoutMs: number;
  }): BromMembershipsClient {
    return new BromMembershipsClient(options);
  }

  async replaceMemberships(
    userEntityRef: string,
    memberships: SignInMemberships,
  ): Promise<void> {
    const { token } = await this.#auth.getPluginRequestToken({
      onBehalfOf: await this.#auth.getOwnServiceCredentials(),
      targetPluginId: 'brom',
    });
    const baseUrl = await this.#discovery.getBaseUrl('brom');
    const res = await fetch(
      `${baseUrl}/service/memberships/${encodeURIComponent(userEntityRef)}`,
      {
        method: 'PUT',
        headers: {
          Authorization: `Bearer ${token}`,
          'Content-Type': 'application/json',
        },
        body: JSON.stringify(memberships),
        signal: AbortSignal.timeout(this.#timeoutMs),
      },
    );
    if (!res.ok) throw await ResponseError.fromResponse(res);
  }
}

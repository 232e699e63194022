import { resolvePackagePath } from '@backstage/backend-plugin-api';
import { ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';

/** A group in the format of Feide's groups API. */
export interface FeideGroupFixture {
  id: string;
  displayName: string;
  type: string;
  membership: { basic: 'member' | 'admin' | 'owner' };
}

const STARTUP_TIMEOUT_MS = 30_000;

/**
 * Runs `oidcServer.mjs` (an OpenID Connect provider and Feide's groups API) in a child
 * process and lets the test decide what the groups API answers.
 */
export class FeideTestProvider {
  readonly #child: ChildProcess;
  readonly #stderr: string[];
  /** e.g. `http://127.0.0.1:41234`. */
  readonly issuer: string;

  private constructor(child: ChildProcess, stderr: string[], issuer: string) {
    this.#child = child;
    this.#stderr = stderr;
    this.issuer = issuer;
  }

  static async start(options: {
    clientId: string;
    clientSecret: string;
    /** The redirect URI with any loopback port, e.g. `http://localhost/api/auth/feide/handler/frame`. */
    redirectUri: string;
    accounts: Record<string, { name: string; email: string }>;
  }): Promise<FeideTestProvider> {
    const child = spawn(
      process.execPath,
      [resolvePackagePath('@internal/brom-test', 'src/feide/oidcServer.mjs')],
      {
        env: { ...process.env, FEIDE_TEST_OIDC: JSON.stringify(options) },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    const stderr: string[] = [];
    child.stderr!.setEncoding('utf8').on('data', chunk => stderr.push(chunk));
    const lines = createInterface({ input: child.stdout! });
    const timer = setTimeout(() => child.kill(), STARTUP_TIMEOUT_MS);
    try {
      const [first] = (await Promise.race([
        once(lines, 'line'),
        once(child, 'exit').then(([code]) => {
          throw new Error(
            `The OIDC provider exited with ${code}: ${stderr.join('')}`,
          );
        }),
      ])) as [string];
      return new FeideTestProvider(child, stderr, JSON.parse(first).issuer);
    } finally {
      clearTimeout(timer);
      lines.close();
    }
  }

  get metadataUrl(): string {
    return `${this.issuer}/.well-known/openid-configuration`;
  }

  get groupsApiBaseUrl(): string {
    return `${this.issuer}/groups-api`;
  }

  /** What Feide's groups API answers to `sub` from now on. */
  async setGroups(sub: string, groups: FeideGroupFixture[]): Promise<void> {
    const res = await fetch(
      `${this.issuer}/__test/groups/${encodeURIComponent(sub)}`,
      {
        method: 'PUT',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify(groups),
      },
    );
    if (res.status !== 204)
      throw new Error(`Could not set groups: ${res.status}`);
  }

  /** Output of the child, for failure messages. */
  diagnostics(): string {
    return this.#stderr.join('');
  }

  async stop(): Promise<void> {
    if (this.#child.exitCode !== null) return;
    const exited = once(this.#child, 'exit');
    this.#child.kill('SIGTERM');
    await exited;
  }
}

import { dirname, join } from 'node:path';
import { ProcessGroup, pollUntil } from '../process';

const SIDECAR_BIN = join(
  dirname(require.resolve('@internal/brom-sidecar/package.json')),
  'bin',
  'brom-sidecar.js',
);

export interface SidecarReadiness {
  ready: boolean;
  draining: boolean;
  snapshot?: {
    version: number;
    generatedAt: string;
    ageSeconds: number;
    source: 'disk' | 'feed';
  };
  feedLastSuccessAgeSeconds?: number;
}

export interface SidecarProcessOptions {
  /** One portal URL, or several separated by commas. */
  portalUrl: string;
  token: string;
  /** The port the broker's HTTP auth backend calls. */
  authPort: number;
  snapshotPath: string;
  /**
   * Keeps the feed's backoff at the sidecar's defaults, for a test that measures recovery as a
   * deployment sees it; otherwise it is short, to keep tests quick when a portal goes away.
   */
  defaultBackoff?: boolean;
  /** How the sidecar names itself to the portal; one per sidecar when several run. */
  instanceId?: string;
}

/**
 * The sidecar as operators run it: `sidecar/bin/brom-sidecar.js` in a process of its own,
 * configured through its environment, so a test can SIGKILL it and start it again from its
 * disk copy. Its JSON log is kept for failure messages.
 */
export class SidecarProcess {
  readonly adminPort: number;
  readonly #group: ProcessGroup;
  readonly #output: { text: string };

  private constructor(
    group: ProcessGroup,
    adminPort: number,
    output: { text: string },
  ) {
    this.#group = group;
    this.adminPort = adminPort;
    this.#output = output;
  }

  /** Spawns the sidecar and resolves once its ports are open (not necessarily ready). */
  static async start(options: SidecarProcessOptions): Promise<SidecarProcess> {
    const group = await ProcessGroup.spawn(process.execPath, [SIDECAR_BIN], {
      env: {
        PATH: process.env.PATH,
        BROM_SIDECAR_PORTAL_URL: options.portalUrl,
        BROM_SIDECAR_TOKEN: options.token,
        BROM_SIDECAR_INSTANCE_ID: options.instanceId ?? 'integration-test',
        BROM_SIDECAR_AUTH_PORT: String(options.authPort),
        BROM_SIDECAR_ADMIN_PORT: '0',
        BROM_SIDECAR_SNAPSHOT_PATH: options.snapshotPath,
        BROM_SIDECAR_WAIT_SECONDS: '5',
        ...(options.defaultBackoff
          ? {}
          : {
              BROM_SIDECAR_BACKOFF_INITIAL_MS: '100',
              BROM_SIDECAR_BACKOFF_MAX_MS: '1000',
            }),
        BROM_SIDECAR_DRAIN_SECONDS: '0',
        BROM_SIDECAR_LOG_LEVEL: 'info',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const output = { text: '' };
    group.stdout!.on('data', chunk => (output.text += chunk));
    group.stderr!.on('data', chunk => (output.text += chunk));
    try {
      const adminPort = await pollUntil(
        async () => {
          if (group.exitStatus) {
            throw new Error(
              `The sidecar exited (${JSON.stringify(group.exitStatus)}):\n${
                output.text
              }`,
            );
          }
          const started = output.text
            .split('\n')
            .map(line => {
              try {
                return JSON.parse(line);
              } catch {
                return undefined;
              }
            })
            .find(entry => entry?.msg === 'Sidecar started');
          return started
            ? Number(String(started.adminAddress).split(':').pop())
            : undefined;
        },
        {
          timeoutMs: 30_000,
          intervalMs: 50,
          describe: () => `the sidecar to start:\n${output.text}`,
        },
      );
      return new SidecarProcess(group, adminPort, output);
    } catch (error) {
      await group.terminate('SIGKILL', 5_000);
      throw error;
    }
  }

  get output(): string {
    return this.#output.text;
  }

  async readiness(): Promise<{ status: number; body: SidecarReadiness }> {
    const res = await fetch(`http://127.0.0.1:${this.adminPort}/readyz`);
    return { status: res.status, body: await res.json() };
  }

  /** Waits until the sidecar is ready and `accept` holds for its readiness report. */
  /** `brom_sidecar_decisions_total` by endpoint, from `/metrics` (allow and deny summed). */
  async decisions(): Promise<Record<string, number>> {
    const res = await fetch(`http://127.0.0.1:${this.adminPort}/metrics`);
    const counts: Record<string, number> = {};
    for (const line of (await res.text()).split('\n')) {
      const m =
        /^brom_sidecar_decisions_total\{[^}]*endpoint="([^"]+)"[^}]*\} (\d+)/.exec(
          line,
        );
      if (m) counts[m[1]] = (counts[m[1]] ?? 0) + Number(m[2]);
    }
    return counts;
  }

  async waitUntilReady(
    accept: (readiness: SidecarReadiness) => boolean = () => true,
    timeoutMs = 30_000,
  ): Promise<SidecarReadiness> {
    let last: unknown;
    return pollUntil(
      async () => {
        const { status, body } = await this.readiness();
        last = body;
        return status === 200 && accept(body) ? body : undefined;
      },
      {
        timeoutMs,
        describe: () =>
          `the sidecar to be ready (last /readyz: ${JSON.stringify(last)}):\n${
            this.output
          }`,
      },
    );
  }

  /** Kills the process at once, as a crash or an OOM kill would: no drain, no flush. */
  async kill(): Promise<void> {
    await this.#group.terminate('SIGKILL', 5_000);
  }

  /** SIGTERM: the sidecar's own drain and shutdown. */
  async stop(): Promise<void> {
    await this.#group.terminate('SIGTERM', 10_000);
  }
}

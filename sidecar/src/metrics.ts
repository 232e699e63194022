/**
 * Prometheus metrics, written by hand in the text exposition format (0.0.4) so the sidecar needs
 * no metrics library. Counters live in typed arrays indexed by endpoint and result, so
 * recording a decision on the hot path allocates nothing.
 */

export const ENDPOINTS = ['user', 'vhost', 'resource', 'topic'] as const;
export type Endpoint = (typeof ENDPOINTS)[number];
/** Index of an endpoint in ENDPOINTS; what the hot path passes around. */
export type EndpointIndex = 0 | 1 | 2 | 3;

export const FEED_ERROR_REASONS = [
  'network',
  'status',
  'invalid_snapshot',
  'older_version',
] as const;
export type FeedErrorReason = (typeof FEED_ERROR_REASONS)[number];

export const SNAPSHOT_SOURCES = ['disk', 'feed'] as const;
export type SnapshotSource = (typeof SNAPSHOT_SOURCES)[number];

/**
 * Decision latency buckets in seconds, from the floor a bare node:http server reaches on this
 * kind of machine (tens of microseconds) up to where the broker would start to notice.
 */
const LATENCY_BUCKETS = [
  0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05,
];

export class SidecarMetrics {
  // [endpoint * 2 + (allow ? 0 : 1)]
  readonly #decisions = new Float64Array(ENDPOINTS.length * 2);
  // [endpoint * (buckets + 1) + bucket], the last slot of each row being +Inf
  readonly #latencyBuckets = new Float64Array(
    ENDPOINTS.length * (LATENCY_BUCKETS.length + 1),
  );
  readonly #latencySum = new Float64Array(ENDPOINTS.length);
  readonly #feedErrors = new Float64Array(FEED_ERROR_REASONS.length);
  readonly #snapshotLoads = new Float64Array(SNAPSHOT_SOURCES.length);
  #failedAuth = 0;
  #failedAuthLimited = 0;
  #snapshotVersion: number | undefined;
  #snapshotGeneratedAtMs: number | undefined;
  #feedLastSuccessMs: number | undefined;
  #ready = false;
  #snapshotSavedVersion: number | undefined;
  #snapshotUnsaved = false;
  #snapshotSaveFailures = 0;

  private constructor() {}

  static create(): SidecarMetrics {
    return new SidecarMetrics();
  }

  recordDecision(
    endpoint: EndpointIndex,
    allowed: boolean,
    seconds: number,
  ): void {
    this.#decisions[endpoint * 2 + (allowed ? 0 : 1)]++;
    this.#latencySum[endpoint] += seconds;
    const row = endpoint * (LATENCY_BUCKETS.length + 1);
    let bucket = 0;
    while (
      bucket < LATENCY_BUCKETS.length &&
      seconds > LATENCY_BUCKETS[bucket]
    ) {
      bucket++;
    }
    this.#latencyBuckets[row + bucket]++;
  }

  recordFailedAuth(limited: boolean): void {
    this.#failedAuth++;
    if (limited) {
      this.#failedAuthLimited++;
    }
  }

  recordFeedError(reason: FeedErrorReason): void {
    this.#feedErrors[FEED_ERROR_REASONS.indexOf(reason)]++;
  }

  recordFeedSuccess(nowMs: number): void {
    this.#feedLastSuccessMs = nowMs;
  }

  recordSnapshotLoaded(
    source: SnapshotSource,
    version: number,
    generatedAtMs: number,
  ): void {
    this.#snapshotLoads[SNAPSHOT_SOURCES.indexOf(source)]++;
    this.#snapshotVersion = version;
    this.#snapshotGeneratedAtMs = generatedAtMs;
  }

  /** The version on disk (named to the portal) and whether a newer one is served unsaved. */
  recordSnapshotSaved(version: number | undefined, unsaved: boolean): void {
    this.#snapshotSavedVersion = version;
    this.#snapshotUnsaved = unsaved;
  }

  recordSnapshotSaveFailure(): void {
    this.#snapshotSaveFailures++;
  }

  setReady(ready: boolean): void {
    this.#ready = ready;
  }

  /** The exposition text at the given time (ages are computed at scrape time). */
  render(nowMs: number): string {
    const lines: string[] = [];
    const family = (name: string, type: string, help: string) => {
      lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    };

    family(
      'brom_sidecar_decisions_total',
      'counter',
      'Answers given to the broker, by endpoint and result.',
    );
    ENDPOINTS.forEach((endpoint, i) => {
      lines.push(
        `brom_sidecar_decisions_total{endpoint="${endpoint}",result="allow"} ${
          this.#decisions[i * 2]
        }`,
        `brom_sidecar_decisions_total{endpoint="${endpoint}",result="deny"} ${
          this.#decisions[i * 2 + 1]
        }`,
      );
    });

    family(
      'brom_sidecar_decision_duration_seconds',
      'histogram',
      'Time from request to answer on the auth port, by endpoint.',
    );
    ENDPOINTS.forEach((endpoint, i) => {
      const row = i * (LATENCY_BUCKETS.length + 1);
      let cumulative = 0;
      LATENCY_BUCKETS.forEach((bound, b) => {
        cumulative += this.#latencyBuckets[row + b];
        lines.push(
          `brom_sidecar_decision_duration_seconds_bucket{endpoint="${endpoint}",le="${bound}"} ${cumulative}`,
        );
      });
      cumulative += this.#latencyBuckets[row + LATENCY_BUCKETS.length];
      lines.push(
        `brom_sidecar_decision_duration_seconds_bucket{endpoint="${endpoint}",le="+Inf"} ${cumulative}`,
        `brom_sidecar_decision_duration_seconds_sum{endpoint="${endpoint}"} ${
          this.#latencySum[i]
        }`,
        `brom_sidecar_decision_duration_seconds_count{endpoint="${endpoint}"} ${cumulative}`,
      );
    });

    family(
      'brom_sidecar_failed_auth_total',
      'counter',
      'Password checks that failed for a known username.',
    );
    lines.push(`brom_sidecar_failed_auth_total ${this.#failedAuth}`);
    family(
      'brom_sidecar_failed_auth_rate_limited_total',
      'counter',
      'Failed password checks beyond the per-username failure budget (not logged one by one).',
    );
    lines.push(
      `brom_sidecar_failed_auth_rate_limited_total ${this.#failedAuthLimited}`,
    );

    family(
      'brom_sidecar_feed_errors_total',
      'counter',
      'Failed snapshot feed polls, by reason.',
    );
    FEED_ERROR_REASONS.forEach((reason, i) => {
      lines.push(
        `brom_sidecar_feed_errors_total{reason="${reason}"} ${
          this.#feedErrors[i]
        }`,
      );
    });

    family(
      'brom_sidecar_snapshot_loads_total',
      'counter',
      'Snapshots compiled and swapped in, by source.',
    );
    SNAPSHOT_SOURCES.forEach((source, i) => {
      lines.push(
        `brom_sidecar_snapshot_loads_total{source="${source}"} ${
          this.#snapshotLoads[i]
        }`,
      );
    });

    family(
      'brom_sidecar_ready',
      'gauge',
      '1 when a snapshot is loaded and the sidecar is not draining.',
    );
    lines.push(`brom_sidecar_ready ${this.#ready ? 1 : 0}`);

    family(
      'brom_sidecar_snapshot_save_failures_total',
      'counter',
      'Failed writes of the disk copy of a snapshot.',
    );
    lines.push(
      `brom_sidecar_snapshot_save_failures_total ${this.#snapshotSaveFailures}`,
    );
    family(
      'brom_sidecar_snapshot_unsaved',
      'gauge',
      '1 while the snapshot being served is not on disk, so not yet named to the portal.',
    );
    lines.push(
      `brom_sidecar_snapshot_unsaved ${this.#snapshotUnsaved ? 1 : 0}`,
    );
    if (this.#snapshotSavedVersion !== undefined) {
      family(
        'brom_sidecar_snapshot_saved_version',
        'gauge',
        'State version of the disk copy: the version named to the portal.',
      );
      lines.push(
        `brom_sidecar_snapshot_saved_version ${this.#snapshotSavedVersion}`,
      );
    }

    if (
      this.#snapshotVersion !== undefined &&
      this.#snapshotGeneratedAtMs !== undefined
    ) {
      family(
        'brom_sidecar_snapshot_version',
        'gauge',
        'State version of the snapshot being served.',
      );
      lines.push(`brom_sidecar_snapshot_version ${this.#snapshotVersion}`);
      family(
        'brom_sidecar_snapshot_age_seconds',
        'gauge',
        'Seconds since the portal generated the snapshot being served.',
      );
      lines.push(
        `brom_sidecar_snapshot_age_seconds ${Math.max(
          0,
          (nowMs - this.#snapshotGeneratedAtMs) / 1000,
        )}`,
      );
    }
    if (this.#feedLastSuccessMs !== undefined) {
      family(
        'brom_sidecar_feed_last_success_age_seconds',
        'gauge',
        'Seconds since the portal last answered a poll (200 or 304).',
      );
      lines.push(
        `brom_sidecar_feed_last_success_age_seconds ${Math.max(
          0,
          (nowMs - this.#feedLastSuccessMs) / 1000,
        )}`,
      );
    }
    return `${lines.join('\n')}\n`;
  }
}

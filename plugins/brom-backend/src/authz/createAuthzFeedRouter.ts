import { HttpAuthService, LoggerService } from '@backstage/backend-plugin-api';
import { InputError, NotAllowedError } from '@backstage/errors';
import {
  AUTHZ_SNAPSHOT_HTTP,
  AuthzSnapshotKeys,
  authzSnapshotDeltaBody,
  formatAuthzSnapshotETag,
  parseAuthzSnapshotETag,
} from '@internal/brom-authz-snapshot';
import express from 'express';
import Router from 'express-promise-router';
import { BromStore } from '../store/BromStore';
import {
  DatabaseSidecarFeedStore,
  SidecarHolding,
} from '../store/SidecarFeedStore';
import { StateWatcher } from '../store/StateWatcher';
import { AuthzPolicyChanges } from './AuthzPolicy';
import { AuthzBuild, AuthzSnapshotBuilder } from './AuthzSnapshotBuilder';

/** How many versions back a sidecar may hold and still be sent a delta rather than the snapshot. */
const RECENT_VERSIONS = 16;

const INSTANCE_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;

/**
 * `GET /authz/snapshot`: the sidecars' long-poll feed. Only the configured service
 * subjects (the sidecars' external-access identity) may read it; each request records
 * which version that sidecar instance holds, which is what the reconciler waits for
 * before it closes revoked users' connections.
 */
export function createAuthzFeedRouter(options: {
  httpAuth: HttpAuthService;
  store: BromStore;
  watcher: StateWatcher;
  logger: LoggerService;
  /** Principal subjects allowed to read the feed, e.g. `external:brom-sidecar`. */
  allowedSubjects: string[];
  vhost: string;
  prefix: string;
  clock?: () => Date;
  /**
   * Aborted when the backend shuts down. A held poll would keep the server from closing for up
   * to its wait, so it is answered at once, with `Connection: close`; new polls meet
   * Backstage's own 503 from then on.
   */
  shutdown?: AbortSignal;
}): express.Router {
  const { httpAuth, store, watcher, logger } = options;
  const clock = options.clock ?? (() => new Date());
  const allowed = new Set(options.allowedSubjects);
  const feed = DatabaseSidecarFeedStore.create({ store: options.store });
  const router = Router();
  const builder = AuthzSnapshotBuilder.create({
    store,
    logger,
    vhost: options.vhost,
    prefix: options.prefix,
    clock,
  });
  /** Delta bodies to the versions built, by the version they apply to. */
  const deltas = new WeakMap<AuthzBuild, Map<number, string>>();
  /** The last builds served (of `recentEpoch`), by version, from which deltas are made. */
  const recent = new Map<number, AuthzBuild>();
  let recentEpoch: string | undefined;

  /** The snapshot at the database's version, remembered for deltas to later ones. */
  async function snapshot(): Promise<AuthzBuild> {
    const current = await builder.current();
    // Versions of another epoch name other states: no delta from them.
    if (recentEpoch !== current.epoch) {
      recent.clear();
      recentEpoch = current.epoch;
    }
    if (!recent.has(current.version)) {
      recent.set(current.version, current);
      for (const version of recent.keys()) {
        if (recent.size <= RECENT_VERSIONS) break;
        recent.delete(version);
      }
    }
    return current;
  }

  /**
   * The keys whose entries may differ between the build of `held` and `built`: those each
   * build on the way changed, when every build from `held` to `built` was made from the one
   * before; undefined (compare every entry) when one was built whole.
   */
  function keysSince(built: AuthzBuild, held: number): AuthzSnapshotKeys | undefined {
    const applications = new Set<string>();
    const credentials = new Set<string>();
    let at: AuthzBuild | undefined = built;
    while (at.version !== held) {
      const changes: AuthzPolicyChanges | undefined = at.policy.changes;
      if (!changes || changes.from < held) return undefined;
      for (const name of changes.keys.applications) applications.add(name);
      for (const username of changes.keys.credentials) credentials.add(username);
      at = recent.get(changes.from);
      if (!at) return undefined;
    }
    return { applications, credentials };
  }

  /**
   * A sidecar holds a version of this database's epoch that the database has not reached:
   * the database went back in time, i.e. it was restored from a backup. Its versions from
   * the backup on name other states than the ones the sidecars hold, so it gets a new epoch,
   * and every sidecar then takes its snapshot whatever the version (decision 0024).
   */
  async function renewEpochAfterRestore(
    instance: string,
    held: number,
    current: { version: number; epoch: string },
  ): Promise<string> {
    const epoch = await store.renewEpoch(current.epoch);
    logger.warn(
      `Sidecar ${instance} holds version ${held} of epoch ${current.epoch}, but the database is at version ${current.version}: ` +
        `it was restored from a backup. The database now has epoch ${epoch}, so every sidecar takes the restored policy. ` +
        'Objects created on the broker after the backup are no longer managed: see GET /api/brom/unmanaged-objects.',
    );
    return epoch;
  }

  /** The delta from `held` to `built`, when `held` is a version still remembered. */
  function deltaBody(built: AuthzBuild, held: number): string | undefined {
    if (held >= built.version) return undefined;
    const from = recent.get(held);
    if (!from) return undefined;
    const made = deltas.get(built) ?? new Map<number, string>();
    deltas.set(built, made);
    let body = made.get(held);
    if (body === undefined) {
      body = authzSnapshotDeltaBody(
        from.policy.entries,
        { snapshot: built.policy.head, entries: built.policy.entries },
        keysSince(built, held),
      );
      made.set(held, body);
    }
    return body;
  }

  async function recordHeld(instance: string, version: number) {
    const seenAt = clock().toISOString();
    await feed.recordHeld({ instance, version, seenAt });
  }

  router.get('/authz/snapshot', async (req, res) => {
    const credentials = await httpAuth.credentials(req, { allow: ['service'] });
    if (!allowed.has(credentials.principal.subject)) {
      throw new NotAllowedError(
        `The authz snapshot is only for BROM's sidecars, not ${credentials.principal.subject}`,
      );
    }
    const instance = req.query[AUTHZ_SNAPSHOT_HTTP.sidecarParam];
    if (typeof instance !== 'string' || !INSTANCE_PATTERN.test(instance)) {
      throw new InputError(
        `Name the sidecar instance in ?${AUTHZ_SNAPSHOT_HTTP.sidecarParam}= (letters, digits, . _ : -, at most 128)`,
      );
    }
    const rawWait = req.query[AUTHZ_SNAPSHOT_HTTP.waitSecondsParam];
    const waitSeconds = rawWait === undefined ? 0 : Number(rawWait);
    if (!Number.isFinite(waitSeconds) || waitSeconds < 0) {
      throw new InputError(
        `${AUTHZ_SNAPSHOT_HTTP.waitSecondsParam} must be a number of seconds`,
      );
    }
    // A version the sidecar holds from another database (epoch) says nothing about ours.
    const heldEpoch = req.query[AUTHZ_SNAPSHOT_HTTP.epochParam];
    const current = await store.state();
    let held =
      heldEpoch !== undefined && heldEpoch !== current.epoch
        ? undefined
        : parseAuthzSnapshotETag(
            req.header(AUTHZ_SNAPSHOT_HTTP.ifNoneMatchHeader),
          );
    if (held !== undefined && heldEpoch === current.epoch && held > current.version) {
      await renewEpochAfterRestore(instance, held, current);
      held = undefined;
    }
    if (held !== undefined) await recordHeld(instance, held);

    let version = current.version;
    if (held !== undefined && held === version && waitSeconds > 0) {
      const aborted = new AbortController();
      req.on('close', () => aborted.abort());
      version = await watcher.waitForVersionAfter(
        held,
        Math.min(waitSeconds, AUTHZ_SNAPSHOT_HTTP.maxWaitSeconds) * 1000,
        options.shutdown
          ? AbortSignal.any([aborted.signal, options.shutdown])
          : aborted.signal,
      );
      if (aborted.signal.aborted) return;
    }
    if (options.shutdown?.aborted) res.setHeader('Connection', 'close');
    if (held !== undefined && held === version) {
      res.status(AUTHZ_SNAPSHOT_HTTP.notModifiedStatus).end();
      return;
    }
    const built = await snapshot();
    const delta =
      held !== undefined &&
      heldEpoch === built.epoch &&
      req.query[AUTHZ_SNAPSHOT_HTTP.deltaParam] === '1'
        ? deltaBody(built, held)
        : undefined;
    logger.debug(
      delta === undefined
        ? `Serving authz snapshot ${built.version} to sidecar ${instance}`
        : `Serving authz snapshot delta ${held} -> ${built.version} to sidecar ${instance}`,
    );
    res.setHeader('ETag', formatAuthzSnapshotETag(built.version));
    res.setHeader('Cache-Control', 'no-store');
    res.type('application/json').send(delta ?? built.policy.body());
  });

  return router;
}

/** Versions the sidecars seen within `withinMs` hold; the reconciler waits for all of them. */
export async function sidecarVersions(
  store: BromStore,
  options: { now: Date; withinMs: number },
): Promise<SidecarHolding[]> {
  const since = new Date(
    options.now.getTime() - options.withinMs,
  ).toISOString();
  return DatabaseSidecarFeedStore.create({ store }).listSeenSince(since);
}

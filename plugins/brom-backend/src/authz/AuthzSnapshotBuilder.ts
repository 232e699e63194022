import { LoggerService } from '@backstage/backend-plugin-api';
import {
  AuthzLogPosition,
  AuthzState,
  DatabaseAuthzStateStore,
} from '../store/AuthzStateStore';
import { BromStore, BromTransaction } from '../store/BromStore';
import { AuthzPolicy } from './AuthzPolicy';

/** The policy at one version of the database, and where the change log stood then. */
export interface AuthzBuild {
  epoch: string;
  version: number;
  /** The change log's end as read with this version: the next build reads the changes since. */
  position: AuthzLogPosition;
  policy: AuthzPolicy;
  /** The version whose build this one was made from, when it was not built whole. */
  from?: number;
}

/**
 * Beyond this many changes since the version built last, the next is built whole: reading
 * that many applications one by one would take as long, and the change log says no more
 * than the state does.
 */
const MAX_CHANGES_PER_BUILD = 1000;

const NO_STATE: AuthzState = {
  applications: [],
  notificationTypes: [],
  consumerIds: new Set(),
  credentials: [],
};

/**
 * Builds the sidecars' policy at the database's version, as the feed serves it: the build
 * of that version when it is the one made last; else made from the last by replacing the
 * entries of the applications the changes since touched (read from the change log in the
 * same transaction), so that a change costs the size of the change; else, with no build
 * yet, another epoch or too many changes, built whole. Both give the same entries for the
 * same state (`AuthzPolicy`).
 */
export class AuthzSnapshotBuilder {
  readonly #store: BromStore;
  readonly #logger: LoggerService;
  readonly #vhost: string;
  readonly #prefix: string;
  readonly #clock: () => Date;
  #last: AuthzBuild | undefined;
  #running: Promise<AuthzBuild> | undefined;

  private constructor(options: {
    store: BromStore;
    logger: LoggerService;
    vhost: string;
    prefix: string;
    clock?: () => Date;
  }) {
    this.#store = options.store;
    this.#logger = options.logger;
    this.#vhost = options.vhost;
    this.#prefix = options.prefix;
    this.#clock = options.clock ?? (() => new Date());
  }

  static create(options: {
    store: BromStore;
    logger: LoggerService;
    vhost: string;
    prefix: string;
    clock?: () => Date;
  }): AuthzSnapshotBuilder {
    return new AuthzSnapshotBuilder(options);
  }

  /**
   * The policy at the database's current version. One build runs at a time: the sidecars that
   * poll after one change wait for the first one's build and then find it made (their read
   * sees the same version), instead of each making the same build beside it.
   */
  async current(): Promise<AuthzBuild> {
    while (this.#running) await this.#running.catch(() => undefined);
    const running = this.#store.read((tx, version) => this.#build(tx, version));
    this.#running = running;
    try {
      const built = await running;
      this.#last = built;
      return built;
    } finally {
      if (this.#running === running) this.#running = undefined;
    }
  }

  async #build(tx: BromTransaction, version: number): Promise<AuthzBuild> {
    const epoch = await this.#store.epochIn(tx);
    const base = this.#last;
    if (base?.version === version && base.epoch === epoch) return base;
    const started = performance.now();
    const now = this.#clock();
    const head = {
      version,
      epoch,
      vhost: this.#vhost,
      prefix: this.#prefix,
      now,
    };
    const authz = DatabaseAuthzStateStore.create({ db: tx });
    // A build of another epoch, or of a later version than this read's, is of other states.
    const changes =
      base && base.epoch === epoch && base.version < version
        ? await authz.changedApplications(base.position, MAX_CHANGES_PER_BUILD)
        : undefined;
    if (base && changes) {
      // A credential that expired since leaves the policy as it would leave a whole build.
      const ids = [
        ...new Set([...changes.applicationIds, ...base.policy.expiredBy(now)]),
      ];
      const state = ids.length
        ? await authz.read(now.toISOString(), ids)
        : NO_STATE;
      const policy = base.policy.changed(ids, state, head);
      this.#logger.debug(
        `Built authz snapshot ${version} from ${base.version}: ${
          ids.length
        } applications changed, ${Math.round(performance.now() - started)} ms`,
      );
      return {
        epoch,
        version,
        position: changes.position,
        policy,
        from: base.version,
      };
    }
    const position = await authz.logPosition();
    const state = await authz.read(now.toISOString());
    const policy = AuthzPolicy.whole(
      state,
      head,
      base?.epoch === epoch ? base.policy : undefined,
    );
    this.#logger.debug(
      `Built authz snapshot ${version} whole: ${
        state.applications.length
      } applications, ${Math.round(performance.now() - started)} ms`,
    );
    return { epoch, version, position, policy };
  }
}

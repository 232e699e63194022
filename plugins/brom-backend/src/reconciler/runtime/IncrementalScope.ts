import { desiredObjects, filterTopology, ObjectRef, refOf } from '../core/kinds';
import { Plan, plannedWrites } from '../core/plan';
import { BrokerTopology, DesiredObject } from '../core/types';
import { StatusRecord } from './ReconcilerStore';

/** What a pass leaves for the next ones to start from. */
export interface ScopeUpdate {
  /** The whole desired topology of the pass. */
  desired: BrokerTopology;
  /** The status records the pass wrote. */
  records: StatusRecord[];
  /** The keys the pass looked at; `undefined` for a full pass, which looked at everything. */
  touched: ReadonlySet<string> | undefined;
  plan: Plan;
  /** When the pass's observation began, by the injected clock. */
  observedAt: number;
  /** The applications a desired object derives from (`objectApplications`). */
  applicationsOf: (object: DesiredObject) => string[];
}

/**
 * What incremental passes look at. After a full pass it holds a baseline (each desired
 * object's definition as of the pass that last looked at it) and the objects that are not
 * Ready yet; an incremental pass looks at what changed since, went away, or is unsettled.
 * It also remembers what incremental passes settled, so that a full pass whose observation
 * began earlier leaves those objects alone.
 */
export class IncrementalScope {
  /** Desired objects by key, as JSON, as of the pass that last looked at them. */
  #baseline: Map<string, string> | undefined;
  /** How to read each object of the baseline and each unsettled one. */
  readonly #refs = new Map<string, ObjectRef>();
  /** Keys whose last status was not Ready (failed, pending, blocked, conflicting, being deleted). */
  readonly #unsettled = new Set<string>();
  /** Objects incremental passes found or made Ready since the last full pass: when they looked, and the definition. */
  readonly #settled = new Map<string, { at: number; json: string }>();
  /** The applications each object derives from, and the reverse, as of the passes that saw them. */
  readonly #applications = new Map<string, string[]>();
  readonly #keysByApplication = new Map<string, Set<string>>();
  /** Applications the last incremental pass had to leave to writes in flight. */
  readonly #revisit = new Set<string>();

  private constructor() {}

  static create(): IncrementalScope {
    return new IncrementalScope();
  }

  /** True once a full pass has run: incremental passes can then work from its baseline. */
  get hasBaseline(): boolean {
    return this.#baseline !== undefined;
  }

  /** Forgets the baseline: the next pass is full. */
  reset(): void {
    this.#baseline = undefined;
    this.#refs.clear();
    this.#unsettled.clear();
    this.#applications.clear();
    this.#keysByApplication.clear();
    this.#revisit.clear();
  }

  /**
   * The keys an incremental pass looks at: changed or gone since the baseline, or
   * unsettled, leaving out those whose writes are still going on. Needs a baseline.
   * With `applicationIds`, `desired` holds only the objects of those applications (see
   * `desiredTopologyOf`): only their baseline objects can have changed or gone.
   */
  changed({ desired, inFlight, applicationIds, applicationsOf }: {
    desired: BrokerTopology;
    inFlight: ReadonlySet<string>;
    applicationIds?: ReadonlySet<string>;
    /** The applications a desired object derives from (`objectApplications`). */
    applicationsOf: (object: DesiredObject) => string[];
  }): Set<string> {
    const baseline = this.#baseline!;
    const scope = new Set<string>();
    const desiredKeys = new Set<string>();
    for (const object of desiredObjects(desired)) {
      const ref = refOf(object);
      if (!ref) continue;
      desiredKeys.add(object.key);
      if (baseline.get(object.key) !== JSON.stringify(object)) {
        scope.add(object.key);
        this.#refs.set(object.key, ref);
        this.#index(object.key, applicationsOf(object));
      }
    }
    const previous = applicationIds
      ? [...applicationIds].flatMap(id =>
          [...(this.#keysByApplication.get(id) ?? [])].filter(key =>
            this.#applicationsOf(key).some(owner => applicationIds.has(owner)),
          ),
        )
      : baseline.keys();
    for (const key of previous) {
      if (baseline.has(key) && !desiredKeys.has(key)) scope.add(key);
    }
    for (const key of this.#unsettled) if (this.#refs.has(key)) scope.add(key);
    this.#revisit.clear();
    for (const key of inFlight) {
      // Looked at again once its write has ended: the change is not in the baseline yet.
      if (scope.delete(key)) this.#applicationsOf(key).forEach(id => this.#revisit.add(id));
    }
    return scope;
  }

  /**
   * Applications whose objects the next incremental pass must look at whatever changed:
   * owners of unsettled objects, and of changed objects it had to leave to writes in flight.
   */
  applicationsToRevisit(): Set<string> {
    const ids = new Set(this.#revisit);
    for (const key of this.#unsettled) this.#applicationsOf(key).forEach(id => ids.add(id));
    return ids;
  }

  #applicationsOf(key: string): string[] {
    return this.#applications.get(key) ?? [];
  }

  /** Remembers which applications `key`'s object derives from (never forgotten before a full pass). */
  #index(key: string, applications: string[]): void {
    this.#applications.set(key, applications);
    for (const id of applications) {
      let keys = this.#keysByApplication.get(id);
      if (!keys) this.#keysByApplication.set(id, (keys = new Set()));
      keys.add(key);
    }
  }

  /** How to read the given keys (each one {@link changed} returned). */
  refs(keys: Iterable<string>): ObjectRef[] {
    return [...keys].map(key => this.#refs.get(key)!);
  }

  /** Objects an incremental pass settled at or after `since`, with the definition still desired. */
  #settledSince(desired: BrokerTopology, since: number): Set<string> {
    const keys = new Set<string>();
    if (this.#settled.size === 0) return keys;
    for (const object of desiredObjects(desired)) {
      const settled = this.#settled.get(object.key);
      if (settled && settled.at >= since && settled.json === JSON.stringify(object)) {
        keys.add(object.key);
      }
    }
    return keys;
  }

  /**
   * What a pass plans. An incremental pass: the objects of its scope, and the vhost's
   * ownership record. A full pass leaves out what an incremental pass has looked at and
   * settled since its observation began (its own look is newer, and re-putting a
   * just-created quorum queue costs seconds on a large broker) and what is in flight:
   * those keys are `leftAlone`, their records kept as they are.
   */
  narrow({ desired, managed, scope, observedAt, inFlight, vhostKey }: {
    desired: BrokerTopology;
    managed: ReadonlySet<string>;
    /** The incremental pass's keys; `undefined` for a full pass. */
    scope: ReadonlySet<string> | undefined;
    observedAt: number;
    inFlight: ReadonlySet<string>;
    vhostKey: string;
  }): { planned: BrokerTopology; managed: Set<string>; leftAlone: Set<string> } {
    const leftAlone = scope
      ? new Set<string>()
      : new Set([...this.#settledSince(desired, observedAt), ...inFlight]);
    const inScope = (key: string) => (scope ? scope.has(key) : !leftAlone.has(key));
    return {
      planned: scope || leftAlone.size ? filterTopology(desired, o => inScope(o.key)) : desired,
      managed: new Set(
        [...managed].filter(k => inScope(k) || (scope !== undefined && k === vhostKey)),
      ),
      leftAlone,
    };
  }

  /** After a pass: what it saw desired becomes the baseline; what is not Ready stays unsettled. */
  update({ desired, records, touched: scope, plan, observedAt, applicationsOf }: ScopeUpdate): void {
    const desiredByKey = new Map<string, DesiredObject>();
    for (const object of desiredObjects(desired)) {
      if (refOf(object)) desiredByKey.set(object.key, object);
    }
    if (!scope) {
      this.#baseline = new Map();
      this.#refs.clear();
      this.#unsettled.clear();
      this.#settled.clear();
      this.#applications.clear();
      this.#keysByApplication.clear();
    }
    const baseline = this.#baseline!;
    const touched = scope ?? new Set(desiredByKey.keys());
    for (const key of touched) {
      const object = desiredByKey.get(key);
      if (object) {
        baseline.set(key, JSON.stringify(object));
        this.#refs.set(key, refOf(object)!);
        this.#index(key, applicationsOf(object));
      } else {
        baseline.delete(key);
      }
      this.#unsettled.delete(key);
    }
    // Managed objects nothing asks for any more but still on the broker (deletions that
    // failed or wait) are only known from the observation: remember how to read them.
    const deletions = [
      ...plan.blocked.map(b => b.heldBack),
      ...plannedWrites(plan),
    ].flatMap(action => (action.action === 'delete' ? [action] : []));
    for (const action of deletions) {
      if (!desiredByKey.has(action.key)) this.#refs.set(action.key, refOf(action)!);
    }
    for (const record of records) {
      if (record.kind === 'vhost') continue;
      const object = desiredByKey.get(record.key);
      if (scope && object && record.condition.status === 'True') {
        this.#settled.set(record.key, { at: observedAt, json: baseline.get(record.key)! });
      }
      if (record.condition.status !== 'True' && this.#refs.has(record.key)) {
        this.#unsettled.add(record.key);
      } else if (!desiredByKey.has(record.key)) {
        this.#refs.delete(record.key);
      }
    }
    for (const key of touched) {
      if (!desiredByKey.has(key) && !this.#unsettled.has(key)) this.#refs.delete(key);
    }
  }
}

import { desiredObjects, observedObjects } from './kinds';
import { describeKey } from './naming';
import { BrokerTopology, ObservedTopology } from './types';

/** An object in the vhost that is not ours, with the applications it touches. */
export interface UnmanagedObservation {
  key: string;
  kind: string;
  name: string;
  /** The application whose exchange it reads from (a binding's source). */
  sourceApplicationId: string | null;
  /** The application whose queue or exchange it ends in, or whose object name it carries. */
  destinationApplicationId: string | null;
}

/**
 * The kinds reported. Users (of the whole broker, not the vhost) and vhost permissions
 * (operators' and the reconciler's own are expected there) are access, which the sidecar and
 * the operators govern, not message routing.
 */
const TOPOLOGY_KINDS = new Set<string>(['exchange', 'queue', 'policy', 'binding']);

/** Exchanges the broker defines in every vhost: nobody planted them. */
function builtInExchange(name: string): boolean {
  return name === '' || name.startsWith('amq.');
}

/**
 * The objects of a whole-vhost observation that are neither managed (`managed`: the keys
 * recorded as created or adopted) nor desired (a desired object that exists unmanaged is a
 * `Conflict` in the status already), nor `ignore`d (deleted or being written since the
 * observation). The vhost's built-in exchanges and the default exchange's implicit bindings
 * are not listed. Each carries the applications whose exchange or queue it touches, so that
 * their status can show it: a binding from a producer's exchange to a foreign queue copies
 * the producer's messages; a foreign binding into a consumer's queue feeds it messages
 * nobody approved.
 */
export function unmanagedObjects(
  observed: ObservedTopology,
  desired: BrokerTopology,
  managed: ReadonlySet<string>,
  ignore: ReadonlySet<string> = new Set(),
): UnmanagedObservation[] {
  const desiredKeys = new Set<string>();
  const exchangeOwner = new Map<string, string>();
  const queueOwner = new Map<string, string>();
  for (const object of desiredObjects(desired)) {
    desiredKeys.add(object.key);
    const applicationId = object.owner?.applicationId;
    if (!applicationId) continue;
    if (object.kind === 'exchange')
      exchangeOwner.set(object.name, applicationId);
    if (object.kind === 'queue') queueOwner.set(object.name, applicationId);
  }
  const found: UnmanagedObservation[] = [];
  for (const object of observedObjects(observed)) {
    if (!TOPOLOGY_KINDS.has(object.kind)) continue;
    // Broker users and their permissions (observed for the native authorisation mode) are
    // not objects of the vhost: operators' own users are no anomaly.
    if (object.kind === 'user' || object.kind === 'permissions') continue;
    const { key } = object;
    if (managed.has(key) || desiredKeys.has(key) || ignore.has(key)) continue;
    if (object.kind === 'exchange' && builtInExchange(object.observed.name))
      continue;
    const { kind, name } = describeKey(key);
    let source: string | null = null;
    let destination: string | null = null;
    if (object.kind === 'binding') {
      const b = object.observed;
      source = exchangeOwner.get(b.source) ?? null;
      destination =
        (b.destination_type === 'queue'
          ? queueOwner.get(b.destination)
          : exchangeOwner.get(b.destination)) ?? null;
    } else if (object.kind === 'exchange') {
      destination =
        exchangeOwner.get(object.observed.name) ??
        queueOwner.get(object.observed.name) ??
        null;
    } else {
      destination =
        queueOwner.get(object.observed.name) ??
        exchangeOwner.get(object.observed.name) ??
        null;
    }
    found.push({
      key,
      kind,
      name,
      sourceApplicationId: source,
      destinationApplicationId: destination,
    });
  }
  return found;
}

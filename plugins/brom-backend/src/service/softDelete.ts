import { ConflictError } from '@backstage/errors';
import { Subscription } from '@internal/plugin-brom-common';
import { assertGeneration, nextGeneration } from './concurrency';

type SoftDeletable = { generation: number; updatedAt: string; deletedAt: string | null };

/**
 * Marks an application or notification type deleted (the reconciler removes its broker
 * objects, then the row): refused while others subscribe to it, unless an administrator
 * forces it, which revokes those subscriptions first.
 */
export async function softDelete<T extends SoftDeletable>(options: {
  /** How messages name it, e.g. `Application "orders"`. */
  what: string;
  current: T;
  request: { generation: number; force: boolean };
  /** Live subscriptions that stand in the way. */
  subscribers: Subscription[];
  revoke: (subscription: Subscription) => Promise<unknown>;
  save: (next: T) => Promise<void>;
  now: string;
}): Promise<T> {
  const { what, current, request, subscribers } = options;
  assertGeneration(what, current, request.generation);
  if (subscribers.length > 0 && !request.force) {
    throw new ConflictError(
      `${what} has active subscribers: ${subscribers
        .map(s => `${s.consumer} (${s.notificationType}, ${s.state})`)
        .join(', ')}. Ask them to unsubscribe first, or ask an administrator to force the deletion`,
    );
  }
  for (const subscription of subscribers) {
    await options.revoke(subscription);
  }
  const next = nextGeneration(current, options.now, { deletedAt: options.now } as Partial<T>);
  await options.save(next);
  return next;
}

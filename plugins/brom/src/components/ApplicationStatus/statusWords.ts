import { ObjectStatus } from '@internal/plugin-brom-common';
import { durationInWords } from '../common/time';

/** Reasons that mean the owner must confirm the deletion of a queue that still holds messages. */
export const QUEUE_DELETION_REASONS = [
  'QueueNotEmpty',
  'QueueMessageCountUnknown',
];

const KIND_WORDS: Record<ObjectStatus['kind'], string> = {
  vhost: 'Virtual host',
  exchange: 'Exchange',
  queue: 'Queue',
  binding: 'Binding',
  policy: 'Policy',
};

/** "Queue brom.orders", "Subscription binding brom.payments-api->…". */
export function describeObject(object: ObjectStatus): string {
  const kind = object.subscriptionId
    ? 'Subscription binding'
    : KIND_WORDS[object.kind];
  return `${kind} ${object.name}`;
}

/**
 * An object's readiness in plain words: "Ready", "Failing: broker unreachable, retrying in
 * 12 s", "In progress: creating on the broker".
 */
export function describeReadiness(object: ObjectStatus, now: Date): string {
  const { status, message, reason } = object.condition;
  if (status === 'True') return 'Ready';
  const why = message || reason;
  const retry = nextAttemptInWords(object, now);
  const head = status === 'False' ? `Failing: ${why}` : `In progress: ${why}`;
  return retry ? `${head}, ${retry}` : head;
}

function nextAttemptInWords(
  object: ObjectStatus,
  now: Date,
): string | undefined {
  if (!object.nextAttemptAt) return undefined;
  const wait = new Date(object.nextAttemptAt).getTime() - now.getTime();
  const verb = object.condition.status === 'False' ? 'retrying' : 'next check';
  return wait <= 0 ? `${verb} now` : `${verb} in ${durationInWords(wait)}`;
}

/** "2 min ago (3 attempts)" or "never". */
export function describeLastAttempt(object: ObjectStatus, now: Date): string {
  if (!object.lastAttemptAt) return 'Never';
  const ago = durationInWords(
    now.getTime() - new Date(object.lastAttemptAt).getTime(),
  );
  const attempts =
    object.attempts > 1 ? ` (${object.attempts} attempts in a row)` : '';
  return `${ago} ago${attempts}`;
}

/** "in 12 s", "now" or "—" when nothing is planned. */
export function describeNextAttempt(object: ObjectStatus, now: Date): string {
  if (!object.nextAttemptAt) return '—';
  const wait = new Date(object.nextAttemptAt).getTime() - now.getTime();
  return wait <= 0 ? 'Now' : `In ${durationInWords(wait)}`;
}

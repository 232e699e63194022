import { ApplicationStatus, ObjectStatus } from '@internal/plugin-brom-common';
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
  user: 'Broker user',
  permissions: 'Permissions of',
  shovel: 'Shovel from the upstream',
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
  // A shovel's readiness says where it runs ("running on rabbit@node-2").
  if (status === 'True') return object.kind === 'shovel' ? `Ready: ${message}` : 'Ready';
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

/** What an object is for the application's developer, e.g. "you publish here". */
export function describePurpose(object: ObjectStatus): string {
  if (object.subscriptionId) {
    return 'delivers a subscribed notification type to the consumer’s queue';
  }
  const deadLetter = /\.dl[xq]$/.test(object.name);
  switch (object.kind) {
    case 'vhost':
      return 'the broker itself';
    case 'exchange':
      return deadLetter
        ? 'collects the messages your consumer rejects'
        : 'your application publishes here';
    case 'queue':
      return deadLetter
        ? 'keeps the messages your consumer rejects, for you to inspect'
        : 'your application receives from here';
    case 'binding':
      return 'sends rejected messages to the queue that keeps them';
    case 'policy':
      return deadLetter
        ? 'bounds how many rejected messages are kept'
        : 'dead-lettering, limits and time-to-live settings of your queue';
    case 'user':
      return 'the broker user of one of your credentials (native authorisation)';
    case 'permissions':
      return 'what that credential may publish and read, enforced by the broker itself';
    case 'shovel':
      return 'brings what you publish on your own RabbitMQ (the upstream) into your exchange';
    default:
      return '';
  }
}

/** How the application stands on the broker as a whole, and what, if anything, to do. */
export interface ApplicationStatusWords {
  tone: 'ready' | 'idle' | 'pending' | 'warning' | 'failing';
  headline: string;
  advice: string;
}

export function describeApplicationStatus(
  status: ApplicationStatus,
): ApplicationStatusWords {
  const broker = status.objects.find(o => o.kind === 'vhost');
  const own = status.objects.filter(o => o.kind !== 'vhost');
  if (broker && broker.condition.status !== 'True') {
    return {
      tone: 'warning',
      headline: 'The broker cannot be reached right now',
      advice:
        'Nothing for you to do: BROM keeps retrying and applies your changes once the broker answers. If this lasts, tell the BROM operators.',
    };
  }
  if (own.length === 0) {
    return {
      tone: 'idle',
      headline: 'Nothing to set up on the broker yet',
      advice:
        'Add a notification type to publish, or request a subscription to receive notifications. BROM then creates what the application needs on the broker within seconds.',
    };
  }
  if (own.some(o => o.condition.status === 'False')) {
    return {
      tone: 'failing',
      headline: 'Part of the broker setup is failing',
      advice:
        'BROM retries on its own. If it still fails after a few minutes, ask the BROM operators and quote the details below.',
    };
  }
  if (own.every(o => o.condition.status === 'True')) {
    return {
      tone: 'ready',
      headline: 'Ready: everything is set up on the broker',
      advice: 'The application can connect with its credentials.',
    };
  }
  return {
    tone: 'pending',
    headline: 'Being set up on the broker',
    advice:
      'This usually takes a few seconds; the status refreshes every 10 seconds.',
  };
}

import { LoggerService } from '@backstage/backend-plugin-api';
import { NotificationService } from '@backstage/plugin-notifications-node';
import { BROKER_NOT_READY_PREFIX, NotificationWatchStore } from '../store/NotificationWatchStore';
import { sendNotice } from './DomainEventNotifier';
import { applicationLink, BROM_NOTIFICATION_TOPICS, BromNotice } from './rules';

const DAY_MS = 24 * 60 * 60_000;

export interface ApplicationWatchOptions {
  store: NotificationWatchStore;
  notifications: NotificationService;
  logger: LoggerService;
  clock?: () => Date;
  /** Days before expiry at which owners hear of a credential; default 14, 3 and 1. */
  expiryWarningDays?: number[];
  /** How long an application's broker objects may be not ready before owners hear; 10 min. */
  notReadyAfterMs?: number;
}

function expirySeverity(days: number): 'critical' | 'high' | 'normal' {
  if (days <= 1) return 'critical';
  if (days <= 3) return 'high';
  return 'normal';
}

/**
 * The notices no single change triggers, checked on a schedule (one replica at a time):
 * credentials about to expire, broker objects not ready for too long (and their recovery),
 * and queue deletions waiting for the owner's confirmation.
 *
 * Exactly once: each notice is sent, then recorded in brom_notification_records under a key;
 * a notice already recorded is not sent again. A replica that dies between sending and
 * recording sends it again on the next check with the same notification scope, which the
 * notifications backend treats as the same notification.
 */
export class ApplicationWatch {
  readonly #store: NotificationWatchStore;
  readonly #notifications: NotificationService;
  readonly #logger: LoggerService;
  readonly #clock: () => Date;
  readonly #expiryWarningDays: number[];
  readonly #notReadyAfterMs: number;

  constructor(options: ApplicationWatchOptions) {
    this.#store = options.store;
    this.#notifications = options.notifications;
    this.#logger = options.logger;
    this.#clock = options.clock ?? (() => new Date());
    this.#expiryWarningDays = [...(options.expiryWarningDays ?? [14, 3, 1])].sort(
      (a, b) => a - b,
    );
    this.#notReadyAfterMs = options.notReadyAfterMs ?? 10 * 60_000;
  }

  /** One check of everything; a failing notice is logged and retried on the next check. */
  async run(): Promise<void> {
    const now = this.#clock();
    await this.#credentialExpiry(now);
    await this.#brokerStatus(now);
  }

  async #credentialExpiry(now: Date) {
    const longest = this.#expiryWarningDays[this.#expiryWarningDays.length - 1];
    if (longest === undefined) return;
    const expiring = await this.#store.expiringCredentials(
      now.toISOString(),
      new Date(now.getTime() + longest * DAY_MS).toISOString(),
    );
    for (const credential of expiring) {
      const left = Date.parse(credential.expiresAt) - now.getTime();
      // Only the nearest threshold crossed: after downtime, one notice, not three.
      const days = this.#expiryWarningDays.find(d => left <= d * DAY_MS);
      if (days === undefined) continue;
      const key = `credential-expiry:${credential.id}:${days}`;
      const daysLeft = Math.max(1, Math.ceil(left / DAY_MS));
      await this.#once(key, credential.application.id, null, {
        recipients: [credential.application.owner],
        title: `A credential of ${credential.application.name} expires in ${daysLeft} day${
          daysLeft === 1 ? '' : 's'
        }`,
        description: `Credential ${credential.username} expires at ${credential.expiresAt}. Rotate it and update the application before then.`,
        link: applicationLink(credential.application.name),
        topic: BROM_NOTIFICATION_TOPICS.credentialExpiry,
        severity: expirySeverity(days),
      });
    }
  }

  async #brokerStatus(now: Date) {
    const states = await this.#store.applicationBrokerStates();
    const byId = new Map(states.map(s => [s.application.id, s]));
    for (const { application, notReadySince, queueDeletionBlocked } of states) {
      if (
        application.deleted &&
        !application.queueDeletionConfirmed &&
        queueDeletionBlocked !== null
      ) {
        await this.#once(`queue-deletion:${application.id}`, application.id, null, {
          recipients: [application.owner],
          title: `Deleting ${application.name} waits for your confirmation`,
          description: `${queueDeletionBlocked}. Confirm on the application's page that the queued messages may be discarded, or consume them first.`,
          link: applicationLink(application.name),
          topic: BROM_NOTIFICATION_TOPICS.queueDeletion,
          severity: 'high',
        });
      }
      if (application.deleted || notReadySince === null) continue;
      if (now.getTime() - Date.parse(notReadySince) < this.#notReadyAfterMs) continue;
      await this.#once(`${BROKER_NOT_READY_PREFIX}${application.id}`, application.id, notReadySince, {
        recipients: [application.owner],
        title: `The broker objects of ${application.name} are not ready`,
        description: `Some of its exchanges, queues, bindings or policies have not been ready since ${notReadySince}. See the status on the application's page.`,
        link: applicationLink(application.name),
        topic: BROM_NOTIFICATION_TOPICS.brokerStatus,
        severity: 'high',
      });
    }

    for (const alert of await this.#store.records(BROKER_NOT_READY_PREFIX)) {
      const state = byId.get(alert.applicationId);
      if (state && !state.application.deleted && state.notReadySince !== null) continue;
      if (state && !state.application.deleted) {
        const { application } = state;
        const sent = await this.#send(`broker-recovered:${application.id}:${alert.detail}`, {
          recipients: [application.owner],
          title: `The broker objects of ${application.name} are ready again`,
          description: `Everything the portal manages for ${application.name} is in place.`,
          link: applicationLink(application.name),
          topic: BROM_NOTIFICATION_TOPICS.brokerStatus,
        });
        if (!sent) continue;
      }
      await this.#store.remove(alert.key);
    }
  }

  /** Sends the notice unless `key` was recorded, then records it. */
  async #once(key: string, applicationId: string, detail: string | null, notice: BromNotice) {
    const already = await this.#store.records(key);
    if (already.some(r => r.key === key)) return;
    if (!(await this.#send(key, notice))) return;
    await this.#store.record({
      key,
      applicationId,
      detail,
      recordedAt: this.#clock().toISOString(),
    });
  }

  async #send(scope: string, notice: BromNotice): Promise<boolean> {
    try {
      await sendNotice(this.#notifications, notice, scope);
      return true;
    } catch (error) {
      this.#logger.warn(`Sending the notice ${scope} failed; retrying on the next check: ${error}`);
      return false;
    }
  }
}

import { LoggerService, SchedulerService } from '@backstage/backend-plugin-api';
import { NotificationTypeService } from './NotificationTypeService';

/** The scheduler task id of the sunset task. */
export const SUNSET_TASK_ID = 'brom-notification-type-sunset';

/**
 * Schedules the sunset task: every `frequencyMs` (on one replica at a time, the scheduler's
 * global scope) it ends the live subscriptions of deprecated types whose sunset has come.
 * The time is the services' injected clock, so a test drives it with a fake one.
 */
export async function scheduleSunsetTask(options: {
  scheduler: SchedulerService;
  logger: LoggerService;
  notificationTypes: Pick<NotificationTypeService, 'endDueSunsets'>;
  frequencyMs: number;
}): Promise<void> {
  const { scheduler, logger, notificationTypes } = options;
  await scheduler.scheduleTask({
    id: SUNSET_TASK_ID,
    frequency: { milliseconds: Math.max(options.frequencyMs, 1000) },
    timeout: { minutes: 10 },
    initialDelay: { seconds: 5 },
    fn: async () => {
      const ended = await notificationTypes.endDueSunsets();
      if (ended > 0) {
        logger.info(
          `Ended ${ended} subscription(s) whose notification type reached its sunset`,
        );
      }
    },
  });
}

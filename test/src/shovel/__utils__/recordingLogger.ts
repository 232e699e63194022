import {
  coreServices,
  createServiceFactory,
  LoggerService,
} from '@backstage/backend-plugin-api';

/**
 * A root logger for a test backend that keeps every line at every level, with its metadata
 * and errors as JSON, so a test can look for what must never be logged.
 */
export function recordingRootLogger() {
  const lines: string[] = [];
  const make = (meta: Record<string, unknown>): LoggerService => {
    const record =
      (level: string) =>
      (message: string, extra?: Error | Record<string, unknown>) => {
        const details =
          extra instanceof Error
            ? { error: { message: extra.message, stack: extra.stack, cause: String(extra.cause) } }
            : extra;
        lines.push(`${level} ${message} ${JSON.stringify({ ...meta, ...details })}`);
      };
    return {
      child: more => make({ ...meta, ...more }),
      debug: record('debug'),
      info: record('info'),
      warn: record('warn'),
      error: record('error'),
    };
  };
  const root = make({});
  return {
    lines,
    factory: createServiceFactory({
      service: coreServices.rootLogger,
      deps: {},
      factory: () => root,
    }),
  };
}

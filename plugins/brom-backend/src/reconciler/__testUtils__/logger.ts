import { LoggerService } from '@backstage/backend-plugin-api';

/** A logger that drops everything: the runtime tests assert on the store and the broker. */
export function silentLogger(): LoggerService {
  const logger: LoggerService = {
    child: () => logger,
    debug: () => undefined,
    info: () => undefined,
    warn: () => undefined,
    error: () => undefined,
  };
  return logger;
}

/** A logger that keeps what was logged at info and above, as `level: message` lines. */
export function recordingLogger(): LoggerService & { lines: string[] } {
  const lines: string[] = [];
  const logger: LoggerService & { lines: string[] } = {
    lines,
    child: () => logger,
    debug: () => undefined,
    info: message => lines.push(`info: ${message}`),
    warn: message => lines.push(`warn: ${message}`),
    error: message => lines.push(`error: ${message}`),
  };
  return logger;
}

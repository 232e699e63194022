import { readFileSync, statSync } from 'node:fs';
import { DEVELOPMENT_SIDECAR_TOKEN } from '../config';
import { Logger, errorMessage } from '../logger';

/**
 * The token the feed sends with each poll. Given as `BROM_SIDECAR_TOKEN` it is fixed; given
 * as `BROM_SIDECAR_TOKEN_FILE`, the file is looked at before each poll (one `stat`) and read
 * again when it changed, so a new token takes effect at the next poll without a restart
 * (rotation: docs/operations.md). A file that becomes unreadable, empty or the development
 * token keeps the token in use, with a warning once per change of the file.
 */
export function tokenSource(options: {
  token: string;
  tokenFile?: string;
  logger: Logger;
}): () => string {
  const { tokenFile, logger } = options;
  let token = options.token;
  if (!tokenFile) return () => token;
  const stampOf = () => {
    const stat = statSync(tokenFile);
    return `${stat.ino}:${stat.size}:${stat.mtimeMs}`;
  };
  let stamp: string | undefined;
  try {
    stamp = stampOf();
  } catch {
    stamp = undefined;
  }
  return () => {
    let next: string;
    let seen: string;
    try {
      seen = stampOf();
      if (seen === stamp) return token;
      next = readFileSync(tokenFile, 'utf8').trim();
    } catch (error) {
      const failed = `error:${errorMessage(error)}`;
      if (stamp !== failed) {
        logger.warn(
          'Cannot read BROM_SIDECAR_TOKEN_FILE; keeping the token in use',
          {
            error: errorMessage(error),
          },
        );
        stamp = failed;
      }
      return token;
    }
    stamp = seen;
    if (!next || next === DEVELOPMENT_SIDECAR_TOKEN) {
      logger.warn(
        `BROM_SIDECAR_TOKEN_FILE now holds ${
          next ? 'the development token' : 'nothing'
        }; keeping the token in use`,
      );
      return token;
    }
    if (next !== token) {
      token = next;
      logger.info('Took a new token from BROM_SIDECAR_TOKEN_FILE');
    }
    return token;
  };
}

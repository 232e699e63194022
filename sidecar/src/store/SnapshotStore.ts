import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import {
  AuthzSnapshot,
  parseAuthzSnapshot,
} from '@internal/brom-authz-snapshot';
import { Logger, errorMessage } from '../logger';

/** A snapshot read back from disk, with the exact text that was validated. */
export interface StoredSnapshot {
  snapshot: AuthzSnapshot;
  text: string;
}

/**
 * The disk copy of the last snapshot, which lets the sidecar start deciding while the portal is
 * unreachable. The file holds credential hashes, so it is written with mode 0600 in a directory
 * the sidecar creates with 0700; writes go to a temporary file that is fsynced and renamed over
 * the old copy, so a crash leaves either the old or the new snapshot, never half of one.
 */
export class SnapshotStore {
  readonly path: string;
  readonly #logger: Logger;
  // Saves run one at a time; a save requested while one runs replaces any queued one, since
  // only the newest snapshot is worth keeping.
  #running: Promise<void> | undefined;
  #queued: string | undefined;

  private constructor(options: { path: string; logger: Logger }) {
    this.path = options.path;
    this.#logger = options.logger;
  }

  static create(options: { path: string; logger: Logger }): SnapshotStore {
    return new SnapshotStore(options);
  }

  /**
   * The stored snapshot, or undefined when there is none or it is unusable (unreadable, not
   * JSON, or not a valid snapshot). An unusable copy is logged and ignored, never trusted.
   */
  async load(): Promise<StoredSnapshot | undefined> {
    let text: string;
    try {
      const stat = await fs.stat(this.path);
      if ((stat.mode & 0o077) !== 0) {
        this.#logger.warn(
          'Snapshot file is readable by others; it holds credential hashes',
          {
            path: this.path,
            mode: (stat.mode & 0o777).toString(8),
          },
        );
      }
      text = await fs.readFile(this.path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
        this.#logger.info('No snapshot on disk', { path: this.path });
      } else {
        this.#logger.error('Cannot read snapshot from disk', {
          path: this.path,
          error: errorMessage(error),
        });
      }
      return undefined;
    }
    try {
      return { snapshot: parseAuthzSnapshot(JSON.parse(text)), text };
    } catch (error) {
      this.#logger.error('Ignoring invalid snapshot on disk', {
        path: this.path,
        error: errorMessage(error),
      });
      return undefined;
    }
  }

  /**
   * Persists the text of a validated snapshot. Resolves when it (or a newer one requested
   * meanwhile) is on disk; never rejects: a failed write is logged, and the sidecar keeps
   * serving from memory.
   */
  save(text: string): Promise<void> {
    this.#queued = text;
    if (!this.#running) {
      this.#running = this.#drain().finally(() => {
        this.#running = undefined;
      });
    }
    return this.#running;
  }

  async #drain(): Promise<void> {
    while (this.#queued !== undefined) {
      const text = this.#queued;
      this.#queued = undefined;
      try {
        await this.#write(text);
      } catch (error) {
        this.#logger.error('Cannot write snapshot to disk', {
          path: this.path,
          error: errorMessage(error),
        });
      }
    }
  }

  async #write(text: string): Promise<void> {
    const directory = dirname(this.path);
    await fs.mkdir(directory, { recursive: true, mode: 0o700 });
    const temporary = join(
      directory,
      `.${basename(this.path)}.${process.pid}.${randomBytes(6).toString(
        'hex',
      )}.tmp`,
    );
    const file = await fs.open(temporary, 'wx', 0o600);
    try {
      await file.writeFile(text, 'utf8');
      await file.sync();
    } catch (error) {
      await file.close();
      await fs.rm(temporary, { force: true });
      throw error;
    }
    await file.close();
    try {
      await fs.rename(temporary, this.path);
    } catch (error) {
      await fs.rm(temporary, { force: true });
      throw error;
    }
    // The rename is durable only once the directory entry is.
    const dir = await fs.open(directory, 'r');
    try {
      await dir.sync();
    } finally {
      await dir.close();
    }
  }
}

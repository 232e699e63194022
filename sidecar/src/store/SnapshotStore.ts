import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { AuthzSnapshot } from '@internal/brom-authz-snapshot';
import { Logger, errorMessage } from '../logger';
import { parseSnapshotBytes } from '../snapshotBytes';

/** The disk copy cannot be written (raised at startup). */
export class SnapshotStoreError extends Error {}

/** A snapshot read back from disk. */
export interface StoredSnapshot {
  snapshot: AuthzSnapshot;
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
    let bytes: Buffer;
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
      bytes = await fs.readFile(this.path);
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
      return { snapshot: parseSnapshotBytes(bytes) };
    } catch (error) {
      this.#logger.error('Ignoring invalid snapshot on disk', {
        path: this.path,
        error: errorMessage(error),
      });
      return undefined;
    }
  }

  /**
   * Checks at startup that the disk copy can be written: creates the directory (0700) if needed
   * and creates and removes a probe file in it. Rejects with a `SnapshotStoreError` naming the
   * directory and the cause, so a read-only or misconfigured volume stops the sidecar at
   * start instead of surfacing only when the first snapshot cannot be confirmed.
   */
  async checkWritable(): Promise<void> {
    const directory = dirname(this.path);
    const probe = join(
      directory,
      `.${basename(this.path)}.${process.pid}.${randomBytes(6).toString(
        'hex',
      )}.probe`,
    );
    try {
      await fs.mkdir(directory, { recursive: true, mode: 0o700 });
      const file = await fs.open(probe, 'wx', 0o600);
      await file.close();
      await fs.rm(probe, { force: true });
    } catch (error) {
      throw new SnapshotStoreError(
        `The snapshot directory ${directory} is not writable (${errorMessage(
          error,
        )}); set BROM_SIDECAR_SNAPSHOT_PATH to a file in a writable directory`,
      );
    }
  }

  /**
   * Persists the bytes of a validated snapshot, as they came from the portal: resolves once they
   * are durable, rejects when they could not be written (the old copy, if any, is left whole).
   * One write at a time is the caller's business (`SnapshotSaver`).
   */
  async write(bytes: Uint8Array): Promise<void> {
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
      await file.writeFile(bytes);
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

import { randomBytes } from 'node:crypto';
import { constants as fsConstants, promises as fs } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import {
  AuthzSnapshot,
  AuthzSnapshotDeltaGapError,
  AuthzSnapshotHolder,
} from '@internal/brom-authz-snapshot';
import { Logger, errorMessage } from '../logger';
import { parseSnapshotBytes, snapshotJson } from '../snapshotBytes';

/** The disk copy cannot be written (raised at startup). */
export class SnapshotStoreError extends Error {}

/** A snapshot read back from disk. */
export interface StoredSnapshot {
  snapshot: AuthzSnapshot;
  /** Deltas of the journal applied to the whole copy to make it. */
  journalDeltas: number;
}

const NEWLINE = Buffer.from('\n');

/** The journal's path beside the whole copy's. */
export function journalPath(path: string): string {
  return `${path}.journal`;
}

/**
 * The disk copy of the last snapshot, which lets the sidecar start deciding while the portal is
 * unreachable: a whole snapshot, and a journal beside it (`<path>.journal`) of the deltas that
 * came after it, one line of JSON each. The files hold credential hashes, so they are written
 * with mode 0600 in a directory the sidecar creates with 0700. A whole write goes to a temporary
 * file that is fsynced and renamed over the old copy, and then empties the journal; an append
 * is fsynced before it counts. A crash leaves the old or the new whole copy, never half of one,
 * and a journal whose last line may be cut short, which loading ignores, as it ignores lines
 * of versions the whole copy already holds (a crash between the rename and the emptying).
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
    let snapshot: AuthzSnapshot;
    try {
      snapshot = parseSnapshotBytes(bytes);
    } catch (error) {
      this.#logger.error('Ignoring invalid snapshot on disk', {
        path: this.path,
        error: errorMessage(error),
      });
      return undefined;
    }
    return this.#withJournal(snapshot);
  }

  /**
   * The whole copy with the journal's deltas applied in turn, each validated as a delta from
   * the portal is. Lines of versions the copy already holds are skipped; the first line that
   * is cut short, not JSON, refused or not for the version made so far ends the journal there.
   */
  async #withJournal(whole: AuthzSnapshot): Promise<StoredSnapshot> {
    const path = journalPath(this.path);
    let text: string;
    try {
      text = await fs.readFile(path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
        this.#logger.error(
          'Cannot read the snapshot journal; using the whole copy alone',
          {
            path,
            error: errorMessage(error),
          },
        );
      }
      return { snapshot: whole, journalDeltas: 0 };
    }
    const holder = AuthzSnapshotHolder.hold(whole);
    const lines = text.split('\n');
    // Text after the last newline is a line whose append did not end.
    const cut = lines.pop() ?? '';
    let applied = 0;
    let ended: string | undefined;
    for (const [at, line] of lines.entries()) {
      try {
        const delta = snapshotJson(Buffer.from(line, 'utf8')) as {
          version?: unknown;
          epoch?: unknown;
        };
        const { head } = holder;
        if (
          typeof delta?.version === 'number' &&
          delta.version <= head.version &&
          delta.epoch === head.epoch
        ) {
          continue;
        }
        holder.prepare(delta).commit();
        applied++;
      } catch (error) {
        ended = `line ${at + 1}: ${
          error instanceof AuthzSnapshotDeltaGapError
            ? error.message
            : errorMessage(error)
        }`;
        break;
      }
    }
    if (ended === undefined && cut !== '') {
      ended = `line ${lines.length + 1} is cut short`;
    }
    if (ended !== undefined) {
      this.#logger.warn('Ignoring the rest of the snapshot journal', {
        path,
        applied,
        reason: ended,
      });
    }
    return { snapshot: holder.snapshot, journalDeltas: applied };
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
    await syncDirectory(directory);
    // Only then is the journal emptied: a crash in between leaves lines of versions the new
    // copy holds, which loading skips. The directory is synced again in case the journal is new.
    const journal = await fs.open(journalPath(this.path), 'w', 0o600);
    try {
      await journal.sync();
    } finally {
      await journal.close();
    }
    await syncDirectory(directory);
  }

  /**
   * Appends one delta (one line of JSON, no newline) to the journal that the last whole write
   * started: resolves once it is durable, rejects when it could not be written (a line cut
   * short by a failed append is ignored by loading, and the saver's next write is whole). Never
   * creates the journal: an append only ever follows a whole write of the same process.
   */
  async append(delta: Uint8Array): Promise<void> {
    const file = await fs.open(
      journalPath(this.path),
      fsConstants.O_WRONLY | fsConstants.O_APPEND,
    );
    try {
      await file.writeFile(Buffer.concat([delta, NEWLINE]));
      await file.datasync();
    } finally {
      await file.close();
    }
  }
}

async function syncDirectory(directory: string): Promise<void> {
  const dir = await fs.open(directory, 'r');
  try {
    await dir.sync();
  } finally {
    await dir.close();
  }
}

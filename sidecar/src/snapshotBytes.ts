import {
  AuthzSnapshot,
  parseAuthzSnapshot,
} from '@internal/brom-authz-snapshot';

/**
 * Validates a snapshot from the bytes it comes as, from the portal or the disk copy. The JSON
 * text lives only while JSON.parse reads it and the raw parse tree only until
 * parseAuthzSnapshot has copied it, so loading a large snapshot does not keep the text, the
 * tree and the compiled index alive together. A UTF-8 byte order mark is skipped, as a text
 * decoder would.
 */
export function parseSnapshotBytes(bytes: Buffer): AuthzSnapshot {
  return parseAuthzSnapshot(snapshotJson(bytes));
}

/** The JSON value of a feed body or disk copy, not validated yet (a snapshot or a delta). */
export function snapshotJson(bytes: Buffer): unknown {
  const start =
    bytes.length >= 3 &&
    bytes[0] === 0xef &&
    bytes[1] === 0xbb &&
    bytes[2] === 0xbf
      ? 3
      : 0;
  return JSON.parse(bytes.toString('utf8', start));
}

/**
 * Serialises snapshots exactly as `JSON.stringify` does, keeping each entry's JSON text for as
 * long as the entry lives: snapshots a delta made share every entry it did not put with the one
 * before, so serialising one costs stringifying the put entries and joining the rest's text,
 * not stringifying the whole store. Entries are never changed once validated, so an entry's
 * text stays right.
 */
export class SnapshotSerialiser {
  readonly #text = new WeakMap<object, string>();

  #entry(entry: object): string {
    let text = this.#text.get(entry);
    if (text === undefined) {
      text = JSON.stringify(entry);
      this.#text.set(entry, text);
    }
    return text;
  }

  bytes(snapshot: AuthzSnapshot): Buffer {
    const { credentials, applications, ...head } = snapshot;
    const headText = JSON.stringify(head);
    // The properties in the order parseAuthzSnapshot gives them: credentials, then applications.
    const keys = Object.keys(snapshot);
    if (keys.at(-2) !== 'credentials' || keys.at(-1) !== 'applications') {
      return Buffer.from(JSON.stringify(snapshot));
    }
    return Buffer.from(
      `${headText.slice(0, -1)},"credentials":[${credentials
        .map(c => this.#entry(c))
        .join(',')}],"applications":[${applications
        .map(a => this.#entry(a))
        .join(',')}]}`,
    );
  }
}

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

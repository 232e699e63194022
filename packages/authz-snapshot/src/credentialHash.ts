/**
 * The running SHA-256 a credential hash is computed with. Node's `createHash('sha256')` is
 * one; the caller passes it in so that this package stays free of `node:crypto`.
 */
export interface Sha256 {
  update(data: Uint8Array): Sha256;
  update(data: string, inputEncoding: 'utf8'): Sha256;
  digest(): Uint8Array;
}

/** Size of a credential's salt, in bytes. */
export const CREDENTIAL_SALT_BYTES = 16;
/** Size of a credential's hash (a SHA-256), in bytes. */
export const CREDENTIAL_HASH_BYTES = 32;

/**
 * The credential hash of the snapshot format, as bytes: SHA-256(salt bytes || UTF-8 bytes
 * of the secret). The sidecar's password check calls this with the salt as it keeps it.
 *
 * @param sha256 - a fresh SHA-256, e.g. `createHash('sha256')`
 */
export function credentialDigest(
  sha256: Sha256,
  salt: Uint8Array,
  secret: string,
): Uint8Array {
  return sha256.update(salt).update(secret, 'utf8').digest();
}

/**
 * The credential hash as the snapshot carries it: lowercase hex of
 * {@link credentialDigest}, with the salt given as hex.
 *
 * @param sha256 - a fresh SHA-256, e.g. `createHash('sha256')`
 */
export function credentialHash(
  sha256: Sha256,
  saltHex: string,
  secret: string,
): string {
  return toHex(credentialDigest(sha256, fromHex(saltHex), secret));
}

/**
 * A known answer every implementation's tests check: the salt `00112233…eeff`, a secret
 * with non-ASCII letters (so the UTF-8 encoding counts), and the hash computed
 * independently with `sha256sum`.
 */
export const CREDENTIAL_HASH_TEST_VECTOR = {
  salt: '00112233445566778899aabbccddeeff',
  secret: 'correct horse battery staple æøå',
  hash: '74db980fbd9bc3f2846ef632b6c1d7309e47c365bae0c5ab2d119ddd602b91e1',
} as const;

function fromHex(hex: string): Uint8Array {
  if (!/^(?:[0-9a-fA-F]{2})*$/.test(hex)) {
    throw new TypeError(`Expected a salt as hex, got "${hex}"`);
  }
  const bytes = new Uint8Array(hex.length / 2);
  for (let i = 0; i < bytes.length; i++) {
    bytes[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  }
  return bytes;
}

function toHex(bytes: Uint8Array): string {
  let hex = '';
  for (const byte of bytes) hex += byte.toString(16).padStart(2, '0');
  return hex;
}

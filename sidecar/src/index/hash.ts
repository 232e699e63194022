import {
  CREDENTIAL_HASH_BYTES,
  CREDENTIAL_SALT_BYTES,
  credentialDigest,
  credentialHash,
} from '@internal/brom-authz-snapshot';
import { createHash, timingSafeEqual } from 'node:crypto';

/** Sizes of a credential's salt and of its SHA-256, in bytes. */
export const SALT_BYTES = CREDENTIAL_SALT_BYTES;
export const HASH_BYTES = CREDENTIAL_HASH_BYTES;

/**
 * The credential hash of the snapshot format (see `credentialHash` in the format package),
 * for test fixtures and tools that write snapshots.
 *
 * @param saltHex - the salt as the snapshot's 32 lowercase hex characters
 */
export function hashSecret(saltHex: string, secret: string): string {
  return credentialHash(createHash('sha256'), saltHex, secret);
}

/**
 * Whether the password hashes to the expected digest, compared in constant time.
 *
 * @param secrets - holds the salt (16 bytes) at `offset`, then the expected SHA-256 (32 bytes)
 */
export function passwordMatches(
  secrets: Buffer,
  offset: number,
  password: string,
): boolean {
  const actual = credentialDigest(
    createHash('sha256'),
    secrets.subarray(offset, offset + SALT_BYTES),
    password,
  );
  // Both digests are 32 bytes, so timingSafeEqual never throws on a length mismatch here.
  return timingSafeEqual(
    actual,
    secrets.subarray(offset + SALT_BYTES, offset + SALT_BYTES + HASH_BYTES),
  );
}

import { createHash, timingSafeEqual } from 'node:crypto';

/** Sizes of a credential's salt and of its SHA-256, in bytes. */
export const SALT_BYTES = 16;
export const HASH_BYTES = 32;

/**
 * The credential hash of the snapshot format: lowercase hex of
 * SHA-256(salt bytes || UTF-8 bytes of the secret). The backend implements the same function;
 * the shared format package describes it but stays free of runtime dependencies.
 *
 * @param salt - the salt as bytes, or as the snapshot's 32 lowercase hex characters
 */
export function hashSecret(salt: Buffer | string, secret: string): string {
  const saltBytes = typeof salt === 'string' ? Buffer.from(salt, 'hex') : salt;
  return createHash('sha256')
    .update(saltBytes)
    .update(secret, 'utf8')
    .digest('hex');
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
  const actual = createHash('sha256')
    .update(secrets.subarray(offset, offset + SALT_BYTES))
    .update(password, 'utf8')
    .digest();
  // Both digests are 32 bytes, so timingSafeEqual never throws on a length mismatch here.
  return timingSafeEqual(
    actual,
    secrets.subarray(offset + SALT_BYTES, offset + SALT_BYTES + HASH_BYTES),
  );
}

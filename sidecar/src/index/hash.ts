import { createHash, timingSafeEqual } from 'node:crypto';

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
 * Whether the password hashes to the expected digest, compared in constant time. Both digests
 * are always 32 bytes, so timingSafeEqual never throws on a length mismatch here.
 */
export function passwordMatches(
  salt: Buffer,
  expected: Buffer,
  password: string,
): boolean {
  const actual = createHash('sha256')
    .update(salt)
    .update(password, 'utf8')
    .digest();
  return timingSafeEqual(actual, expected);
}

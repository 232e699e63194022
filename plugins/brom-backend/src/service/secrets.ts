import { credentialHash } from '@internal/brom-authz-snapshot';
import { createHash, randomBytes } from 'node:crypto';

/**
 * The credential hash of the authz snapshot format (`credentialHash`, shared with the
 * sidecar). Credential secrets are 256 random bits, so a salted SHA-256 is as strong as any
 * KDF against guessing and keeps a reconnect storm cheap (docs/decisions/0013).
 */
export function hashSecret(saltHex: string, secret: string): string {
  return credentialHash(createHash('sha256'), saltHex, secret);
}

export function generateSecret(): { secret: string; salt: string; hash: string } {
  const secret = randomBytes(32).toString('base64url');
  const salt = randomBytes(16).toString('hex');
  return { secret, salt, hash: hashSecret(salt, secret) };
}

const USERNAME_ALPHABET = 'abcdefghijkmnpqrstuvwxyz23456789';

/**
 * A broker username of its own for each credential: `<application>.<suffix>`. The dot
 * cannot occur in application names, so a username never collides with another
 * application's.
 */
export function credentialUsername(application: string): string {
  const bytes = randomBytes(8);
  let suffix = '';
  for (const byte of bytes) suffix += USERNAME_ALPHABET[byte % 32];
  return `${application}.${suffix}`;
}

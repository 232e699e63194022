import { createCipheriv, randomBytes } from 'node:crypto';

/**
 * A secret sealed as SecretBox sealed before key ids (`v1.<iv>.<tag>.<ciphertext>`), as
 * databases written by earlier releases hold them: AES-256-GCM, a 96-bit IV, the row's id as
 * associated data.
 */
export function sealLegacyV1(
  key: string,
  secret: string,
  associatedData: string,
): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', Buffer.from(key, 'base64'), iv, {
    authTagLength: 16,
  });
  cipher.setAAD(Buffer.from(associatedData, 'utf8'));
  const ciphertext = Buffer.concat([
    cipher.update(secret, 'utf8'),
    cipher.final(),
  ]);
  return [
    'v1',
    ...[iv, cipher.getAuthTag(), ciphertext].map(part =>
      part.toString('base64url'),
    ),
  ].join('.');
}

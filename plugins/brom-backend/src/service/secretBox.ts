import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

const VERSION = 'v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;

/**
 * Encrypts secrets BROM must be able to read back (an external producer's upstream
 * password, which the shovel needs in clear): AES-256-GCM from node:crypto, a random 96-bit
 * IV per secret, and the owning row's id as associated data, so a ciphertext copied onto
 * another row does not decrypt. Stored as `v1.<iv>.<tag>.<ciphertext>` (base64url each).
 */
export class SecretBox {
  readonly #key: Buffer;

  private constructor(key: Buffer) {
    this.#key = key;
  }

  /** `key`: 32 bytes, base64 (standard or url-safe), e.g. from `openssl rand -base64 32`. */
  static fromBase64(key: string): SecretBox {
    const bytes = Buffer.from(key, 'base64');
    if (bytes.length !== 32) {
      throw new Error(
        `brom.externalProducers.encryptionKey must be 32 bytes in base64 (openssl rand -base64 32), not ${bytes.length} bytes`,
      );
    }
    return new SecretBox(bytes);
  }

  seal(secret: string, associatedData: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.#key, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(Buffer.from(associatedData, 'utf8'));
    const ciphertext = Buffer.concat([cipher.update(secret, 'utf8'), cipher.final()]);
    return [VERSION, iv, cipher.getAuthTag(), ciphertext]
      .map(part => (typeof part === 'string' ? part : part.toString('base64url')))
      .join('.');
  }

  /** Throws when the key is not the one that sealed it, or anything was altered. */
  open(sealed: string, associatedData: string): string {
    const [version, iv, tag, ciphertext] = sealed.split('.');
    if (version !== VERSION || !iv || !tag || ciphertext === undefined) {
      throw new Error('not a sealed secret of a known version');
    }
    const decipher = createDecipheriv(
      'aes-256-gcm',
      this.#key,
      Buffer.from(iv, 'base64url'),
      { authTagLength: TAG_BYTES },
    );
    decipher.setAAD(Buffer.from(associatedData, 'utf8'));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    try {
      return Buffer.concat([
        decipher.update(Buffer.from(ciphertext, 'base64url')),
        decipher.final(),
      ]).toString('utf8');
    } catch {
      throw new Error(
        'the secret does not decrypt: brom.externalProducers.encryptionKey is not the key it was sealed with',
      );
    }
  }
}

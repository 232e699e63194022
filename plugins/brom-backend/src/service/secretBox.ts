import {
  createCipheriv,
  createDecipheriv,
  createHash,
  randomBytes,
} from 'node:crypto';

/** Sealed before key ids: `v1.<iv>.<tag>.<ciphertext>`; any key of the ring may open it. */
const LEGACY_VERSION = 'v1';
/** `v2.<key id>.<iv>.<tag>.<ciphertext>`: opened by the key the id names. */
const VERSION = 'v2';
const IV_BYTES = 12;
const TAG_BYTES = 16;
const KEY_SETTING = 'brom.externalProducers.encryptionKey';
const PREVIOUS_SETTING = 'brom.externalProducers.previousEncryptionKeys';

/**
 * A key's id: the first 48 bits of its SHA-256, base64url (8 characters). It names the key in
 * sealed values and in messages; it reveals nothing usable of a 256-bit random key.
 */
function idOfKey(key: Buffer): string {
  return createHash('sha256')
    .update(key)
    .digest()
    .subarray(0, 6)
    .toString('base64url');
}

function decodeKey(key: string, setting: string): Buffer {
  const bytes = Buffer.from(key, 'base64');
  if (bytes.length !== 32) {
    throw new Error(
      `${setting} must be 32 bytes in base64 (openssl rand -base64 32), not ${bytes.length} bytes`,
    );
  }
  return bytes;
}

/**
 * Encrypts secrets BROM must be able to read back (an external producer's upstream
 * password, which the shovel needs in clear): AES-256-GCM from node:crypto, a random 96-bit
 * IV per secret, and the owning row's id as associated data, so a ciphertext copied onto
 * another row does not decrypt.
 *
 * A key ring: the current key seals, previous keys only open. Each sealed value names the key
 * that sealed it (`v2.<key id>.<iv>.<tag>.<ciphertext>`, base64url each); values sealed before
 * key ids (`v1.<iv>.<tag>.<ciphertext>`) are opened by whichever key of the ring fits.
 * {@link isCurrent} and {@link reseal} move values to the current key (see resealSecrets.ts).
 */
export class SecretBox {
  readonly #currentId: string;
  /** Every key of the ring by id, the current one first. */
  readonly #keys: ReadonlyMap<string, Buffer>;

  private constructor(currentId: string, keys: ReadonlyMap<string, Buffer>) {
    this.#currentId = currentId;
    this.#keys = keys;
  }

  /** `key`: 32 bytes, base64 (standard or url-safe), e.g. from `openssl rand -base64 32`. */
  static fromBase64(key: string): SecretBox {
    return SecretBox.fromKeys({ current: key });
  }

  /** A ring of `current`, which seals, and `previous` keys, which still open (same format). */
  static fromKeys(options: {
    current: string;
    previous?: readonly string[];
  }): SecretBox {
    const current = decodeKey(options.current, KEY_SETTING);
    const currentId = idOfKey(current);
    const keys = new Map<string, Buffer>([[currentId, current]]);
    (options.previous ?? []).forEach((text, index) => {
      const key = decodeKey(text, `${PREVIOUS_SETTING}[${index}]`);
      const id = idOfKey(key);
      const known = keys.get(id);
      if (known && !known.equals(key)) {
        // 2^-48 for random keys: worth a refusal rather than a wrong key tried silently.
        throw new Error(
          `${PREVIOUS_SETTING}[${index}] has the same key id (${id}) as another key`,
        );
      }
      keys.set(id, key);
    });
    return new SecretBox(currentId, keys);
  }

  /** The id of the key that seals (see idOfKey). */
  get currentKeyId(): string {
    return this.#currentId;
  }

  /** The id of the key that sealed `sealed`; undefined for a value sealed before key ids. */
  static sealedWith(sealed: string): string | undefined {
    const [version, id] = sealed.split('.');
    return version === VERSION ? id : undefined;
  }

  seal(secret: string, associatedData: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv(
      'aes-256-gcm',
      this.#keys.get(this.#currentId)!,
      iv,
      {
        authTagLength: TAG_BYTES,
      },
    );
    cipher.setAAD(Buffer.from(associatedData, 'utf8'));
    const ciphertext = Buffer.concat([
      cipher.update(secret, 'utf8'),
      cipher.final(),
    ]);
    const encoded = [iv, cipher.getAuthTag(), ciphertext].map(part =>
      part.toString('base64url'),
    );
    return [VERSION, this.#currentId, ...encoded].join('.');
  }

  /** Throws when no key of the ring sealed it, or anything was altered. */
  open(sealed: string, associatedData: string): string {
    const parts = sealed.split('.');
    if (parts[0] === VERSION && parts.length === 5) {
      const [, id, iv, tag, ciphertext] = parts;
      const key = this.#keys.get(id);
      if (!key) {
        throw new Error(
          `the secret does not decrypt: it was sealed with key ${id}, which is neither ${KEY_SETTING} nor one of ${PREVIOUS_SETTING}`,
        );
      }
      const opened = decrypt(key, iv, tag, ciphertext, associatedData);
      if (opened === undefined) {
        throw new Error(
          `the secret does not decrypt with key ${id}: it was altered, or belongs to another row`,
        );
      }
      return opened;
    }
    if (parts[0] === LEGACY_VERSION && parts.length === 4) {
      const [, iv, tag, ciphertext] = parts;
      for (const key of this.#keys.values()) {
        const opened = decrypt(key, iv, tag, ciphertext, associatedData);
        if (opened !== undefined) return opened;
      }
      throw new Error(
        `the secret does not decrypt: none of ${KEY_SETTING} and ${PREVIOUS_SETTING} is the key it was sealed with, or it was altered`,
      );
    }
    throw new Error('not a sealed secret of a known version');
  }

  /** Whether `sealed` is sealed with the current key (nothing for {@link reseal} to do). */
  isCurrent(sealed: string): boolean {
    return SecretBox.sealedWith(sealed) === this.#currentId;
  }

  /** `sealed` opened and sealed again with the current key (a new IV). */
  reseal(sealed: string, associatedData: string): string {
    return this.seal(this.open(sealed, associatedData), associatedData);
  }
}

/** The plaintext, or undefined when the key is not the one or anything was altered. */
function decrypt(
  key: Buffer,
  iv: string,
  tag: string,
  ciphertext: string,
  associatedData: string,
): string | undefined {
  try {
    const decipher = createDecipheriv(
      'aes-256-gcm',
      key,
      Buffer.from(iv, 'base64url'),
      {
        authTagLength: TAG_BYTES,
      },
    );
    decipher.setAAD(Buffer.from(associatedData, 'utf8'));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([
      decipher.update(Buffer.from(ciphertext, 'base64url')),
      decipher.final(),
    ]).toString('utf8');
  } catch {
    return undefined;
  }
}

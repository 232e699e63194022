import { randomBytes } from 'node:crypto';
import { sealLegacyV1 } from '../__testUtils__/legacySeal';
import { SecretBox } from './secretBox';

const newKey = () => randomBytes(32).toString('base64');

describe('SecretBox', () => {
  const key = newKey();

  it('opens what it sealed, names the key, and the sealed form shows nothing of the secret', () => {
    const box = SecretBox.fromBase64(key);
    const sealed = box.seal('upstream-pässword', 'app-1');
    expect(sealed).toMatch(/^v2\.[\w-]{8}\.[\w-]+\.[\w-]+\.[\w-]+$/);
    expect(SecretBox.sealedWith(sealed)).toBe(box.currentKeyId);
    expect(sealed).not.toContain('upstream');
    expect(box.open(sealed, 'app-1')).toBe('upstream-pässword');
    expect(box.isCurrent(sealed)).toBe(true);
    // A fresh IV each time.
    expect(box.seal('upstream-pässword', 'app-1')).not.toBe(sealed);
  });

  it('refuses another key, another row, and an altered ciphertext', () => {
    const box = SecretBox.fromBase64(key);
    const sealed = box.seal('secret', 'app-1');
    expect(() => SecretBox.fromBase64(newKey()).open(sealed, 'app-1')).toThrow(
      `it was sealed with key ${box.currentKeyId}, which is neither brom.externalProducers.encryptionKey nor one of brom.externalProducers.previousEncryptionKeys`,
    );
    expect(() => box.open(sealed, 'app-2')).toThrow(
      /does not decrypt with key/,
    );
    const parts = sealed.split('.');
    parts[4] = Buffer.from('xxxxxx').toString('base64url');
    expect(() => box.open(parts.join('.'), 'app-1')).toThrow(
      /does not decrypt with key/,
    );
    expect(() => box.open('v3.a.b.c', 'app-1')).toThrow(
      /not a sealed secret of a known version/,
    );
  });

  it('refuses a key that is not 32 bytes, naming the setting', () => {
    expect(() => SecretBox.fromBase64('c2hvcnQ=')).toThrow(
      'brom.externalProducers.encryptionKey must be 32 bytes',
    );
    expect(() =>
      SecretBox.fromKeys({ current: key, previous: [newKey(), 'c2hvcnQ='] }),
    ).toThrow(
      'brom.externalProducers.previousEncryptionKeys[1] must be 32 bytes',
    );
  });

  describe('key rotation', () => {
    const oldKey = newKey();
    const freshKey = newKey();

    it('opens values of a previous key and of before key ids, and seals only with the current one', () => {
      const before = SecretBox.fromBase64(oldKey);
      const sealedOld = before.seal('old-password', 'app-1');
      const sealedLegacy = sealLegacyV1(oldKey, 'legacy-password', 'app-2');
      // Values of the earlier format still open with the key alone.
      expect(before.open(sealedLegacy, 'app-2')).toBe('legacy-password');

      const ring = SecretBox.fromKeys({
        current: freshKey,
        previous: [oldKey],
      });
      expect(ring.currentKeyId).not.toBe(before.currentKeyId);
      expect(ring.open(sealedOld, 'app-1')).toBe('old-password');
      expect(ring.open(sealedLegacy, 'app-2')).toBe('legacy-password');
      expect(ring.isCurrent(sealedOld)).toBe(false);
      expect(ring.isCurrent(sealedLegacy)).toBe(false);
      expect(SecretBox.sealedWith(sealedLegacy)).toBeUndefined();

      const sealedNew = ring.seal('new-password', 'app-3');
      expect(SecretBox.sealedWith(sealedNew)).toBe(ring.currentKeyId);
      // The old key alone cannot open it: it is not the old key's.
      expect(() => before.open(sealedNew, 'app-3')).toThrow(/neither/);
    });

    it('re-seals with the current key, after which the previous key can go', () => {
      const sealedOld = SecretBox.fromBase64(oldKey).seal(
        'old-password',
        'app-1',
      );
      const sealedLegacy = sealLegacyV1(oldKey, 'legacy-password', 'app-2');
      const ring = SecretBox.fromKeys({
        current: freshKey,
        previous: [oldKey],
      });
      const resealed = [
        ring.reseal(sealedOld, 'app-1'),
        ring.reseal(sealedLegacy, 'app-2'),
      ];
      expect(resealed.map(value => ring.isCurrent(value))).toEqual([
        true,
        true,
      ]);

      const afterRotation = SecretBox.fromBase64(freshKey);
      expect(afterRotation.open(resealed[0], 'app-1')).toBe('old-password');
      expect(afterRotation.open(resealed[1], 'app-2')).toBe('legacy-password');
      // Without the previous key, what it sealed no longer opens: a clear error, not a guess.
      expect(() => afterRotation.open(sealedOld, 'app-1')).toThrow(
        /sealed with key .* which is neither/,
      );
      expect(() => afterRotation.open(sealedLegacy, 'app-2')).toThrow(
        /none of .* is the key it was sealed with/,
      );
    });

    it('accepts the current key repeated among the previous ones', () => {
      const ring = SecretBox.fromKeys({
        current: freshKey,
        previous: [freshKey, oldKey],
      });
      expect(ring.open(ring.seal('x', 'app-1'), 'app-1')).toBe('x');
    });
  });
});

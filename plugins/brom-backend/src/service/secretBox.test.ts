import { randomBytes } from 'node:crypto';
import { SecretBox } from './secretBox';

describe('SecretBox', () => {
  const key = randomBytes(32).toString('base64');

  it('opens what it sealed, and the sealed form shows nothing of the secret', () => {
    const box = SecretBox.fromBase64(key);
    const sealed = box.seal('upstream-pässword', 'app-1');
    expect(sealed).toMatch(/^v1\.[\w-]+\.[\w-]+\.[\w-]+$/);
    expect(sealed).not.toContain('upstream');
    expect(box.open(sealed, 'app-1')).toBe('upstream-pässword');
    // A fresh IV each time.
    expect(box.seal('upstream-pässword', 'app-1')).not.toBe(sealed);
  });

  it('refuses another key, another row, and an altered ciphertext', () => {
    const sealed = SecretBox.fromBase64(key).seal('secret', 'app-1');
    expect(() => SecretBox.fromBase64(randomBytes(32).toString('base64')).open(sealed, 'app-1')).toThrow(
      /not the key it was sealed with/,
    );
    expect(() => SecretBox.fromBase64(key).open(sealed, 'app-2')).toThrow(/does not decrypt/);
    const parts = sealed.split('.');
    parts[3] = Buffer.from('xxxxxx').toString('base64url');
    expect(() => SecretBox.fromBase64(key).open(parts.join('.'), 'app-1')).toThrow(/does not decrypt/);
  });

  it('refuses a key that is not 32 bytes', () => {
    expect(() => SecretBox.fromBase64('c2hvcnQ=')).toThrow(/must be 32 bytes/);
  });
});

import { CREDENTIAL_HASH_TEST_VECTOR } from '@internal/brom-authz-snapshot';
import { credentialUsername, generateSecret, hashSecret } from './secrets';

describe('hashSecret', () => {
  it('gives the known answer of the authz snapshot format, as the sidecar does', () => {
    const { salt, secret, hash } = CREDENTIAL_HASH_TEST_VECTOR;
    expect(hashSecret(salt, secret)).toBe(hash);
  });
});

describe('generateSecret', () => {
  it('returns 256 random bits, a 16-byte salt and their hash', () => {
    const first = generateSecret();
    expect(Buffer.from(first.secret, 'base64url')).toHaveLength(32);
    expect(first.salt).toMatch(/^[0-9a-f]{32}$/);
    expect(first.hash).toBe(hashSecret(first.salt, first.secret));
    const second = generateSecret();
    expect(second.secret).not.toBe(first.secret);
    expect(second.salt).not.toBe(first.salt);
  });
});

describe('credentialUsername', () => {
  it('is the application name, a dot and a random suffix', () => {
    expect(credentialUsername('orders')).toMatch(/^orders\.[a-z2-9]{8}$/);
    expect(credentialUsername('orders')).not.toBe(credentialUsername('orders'));
  });
});

import {
  CREDENTIAL_HASH_TEST_VECTOR,
  credentialDigest,
} from '@internal/brom-authz-snapshot';
import { createHash } from 'node:crypto';
import { HASH_BYTES, SALT_BYTES, hashSecret, passwordMatches } from './hash';

/** Salt then hash, at `offset` in a buffer, as the index keeps them. */
function secretsAt(offset: number, saltHex: string, hashHex: string): Buffer {
  const secrets = Buffer.alloc(offset + SALT_BYTES + HASH_BYTES);
  secrets.write(saltHex, offset, SALT_BYTES, 'hex');
  secrets.write(hashHex, offset + SALT_BYTES, HASH_BYTES, 'hex');
  return secrets;
}

describe('hashSecret', () => {
  it('gives the known answer of the snapshot format', () => {
    const { salt, secret, hash } = CREDENTIAL_HASH_TEST_VECTOR;
    expect(hashSecret(salt, secret)).toBe(hash);
  });

  it('is SHA-256 over the salt bytes followed by the UTF-8 secret, as lowercase hex', () => {
    // sha256(0x00 0x01 || "abc"), computed independently with `printf '\x00\x01abc' | sha256sum`
    expect(hashSecret('0001', 'abc')).toBe(
      'c038ae3bc0bc351d1a67b5446f000f21df05e24bdfd434e905afd2c3eaf801e4',
    );
    expect(
      Buffer.from(
        credentialDigest(createHash('sha256'), Buffer.from([0, 1]), 'abc'),
      ).toString('hex'),
    ).toBe(hashSecret('0001', 'abc'));
    expect(hashSecret('0001', 'abc')).not.toBe(hashSecret('0002', 'abc'));
    expect(hashSecret('0001', 'æ')).not.toBe(hashSecret('0001', 'ae'));
  });
});

describe('passwordMatches', () => {
  it('accepts the known answer and nothing else', () => {
    const { salt, secret, hash } = CREDENTIAL_HASH_TEST_VECTOR;
    const secrets = secretsAt(48, salt, hash);
    expect(passwordMatches(secrets, 48, secret)).toBe(true);
    expect(passwordMatches(secrets, 48, `${secret} `)).toBe(false);
    expect(passwordMatches(secrets, 48, secret.normalize('NFD'))).toBe(false);
    expect(passwordMatches(secrets, 0, secret)).toBe(false);
  });
});

import { createHash } from 'node:crypto';
import {
  CREDENTIAL_HASH_TEST_VECTOR,
  credentialDigest,
  credentialHash,
} from './credentialHash';

describe('credentialHash', () => {
  const sha256 = () => createHash('sha256');

  it('gives the known answer', () => {
    const { salt, secret, hash } = CREDENTIAL_HASH_TEST_VECTOR;
    expect(credentialHash(sha256(), salt, secret)).toBe(hash);
  });

  it('hashes the salt bytes followed by the UTF-8 secret', () => {
    // sha256(0x00 0x01 || "abc"), computed with `printf '\x00\x01abc' | sha256sum`
    expect(credentialHash(sha256(), '0001', 'abc')).toBe(
      'c038ae3bc0bc351d1a67b5446f000f21df05e24bdfd434e905afd2c3eaf801e4',
    );
    expect(
      Buffer.from(
        credentialDigest(sha256(), Uint8Array.of(0, 1), 'abc'),
      ).toString('hex'),
    ).toBe(credentialHash(sha256(), '0001', 'abc'));
    expect(credentialHash(sha256(), '0001', 'æ')).not.toBe(
      credentialHash(sha256(), '0001', 'ae'),
    );
  });

  it('refuses a salt that is not hex', () => {
    expect(() => credentialHash(sha256(), 'xyz', 'abc')).toThrow(/as hex/);
  });
});

import { randomBytes } from 'node:crypto';
import { openToken, sealToken } from './account-tokens.js';

describe('sealed tokens (the mail job carries the secret sealed)', () => {
  const secret = 'test-secret-key-0123456789abcdef';
  const token = randomBytes(32).toString('base64url');

  it('opens what it sealed, and never shows the token in the sealed text', () => {
    const sealed = sealToken(secret, token);
    expect(sealed).not.toContain(token);
    expect(openToken(secret, sealed)).toBe(token);
    // a fresh nonce each time: the same token never seals the same way twice
    expect(sealToken(secret, token)).not.toBe(sealed);
  });

  it('refuses another secret and any change to the sealed text', () => {
    const sealed = sealToken(secret, token);
    expect(() => openToken('another-secret-key-0123456789', sealed)).toThrow();
    const raw = Buffer.from(sealed, 'base64url');
    raw[raw.length - 1] ^= 1;
    expect(() => openToken(secret, raw.toString('base64url'))).toThrow();
  });
});

import { signLinkToken } from '../mail/signed-link.js';
import { unsubscribeOwner, unsubscribeUrl } from './unsubscribe-link.js';

const SECRET = 'a-secret-of-sixteen-or-more';
const tokenOf = (url: string) => new URL(url).searchParams.get('token')!;

describe('unsubscribe links', () => {
  it('names the search and its owner, and only this server can make one', () => {
    const url = unsubscribeUrl('https://jobs.example.com', SECRET, 12, 34);
    expect(url).toMatch(
      /^https:\/\/jobs\.example\.com\/api\/v1\/saved-searches\/12\/unsubscribe\?token=/,
    );
    expect(unsubscribeOwner(SECRET, tokenOf(url), 12)).toBe(34);
    expect(unsubscribeOwner('another-secret-entirely', tokenOf(url), 12)).toBeUndefined();
  });

  it('refuses a token of another search, of another purpose, edited or malformed', () => {
    const token = tokenOf(unsubscribeUrl('http://x', SECRET, 12, 34));
    expect(unsubscribeOwner(SECRET, token, 13)).toBeUndefined();
    expect(
      unsubscribeOwner(SECRET, signLinkToken(SECRET, 'other', { s: 12, u: 34 }), 12),
    ).toBeUndefined();
    const [, mac] = token.split('.');
    const edited = `${Buffer.from(JSON.stringify({ s: 12, u: 35 })).toString('base64url')}.${mac}`;
    expect(unsubscribeOwner(SECRET, edited, 12)).toBeUndefined();
    for (const bad of ['', 'x', 'a.b.c', `${token}x`]) {
      expect(unsubscribeOwner(SECRET, bad, 12)).toBeUndefined();
    }
    // signed by us, but not naming an owner
    const noOwner = signLinkToken(SECRET, 'saved-search-alerts', { s: 12, u: 1.5 });
    expect(unsubscribeOwner(SECRET, noOwner, 12)).toBeUndefined();
  });
});

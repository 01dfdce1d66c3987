import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Stateless signed tokens for links in mails that must work without a login (one-click
 * unsubscribe): `base64url(JSON payload).base64url(HMAC-SHA256)`, the HMAC keyed by SECRET_KEY
 * and bound to a `purpose`, so a token made for one kind of link is refused by every other.
 * Single-use secrets (password reset, e-mail verification) are NOT made here: those are random
 * tokens stored hashed, so that they can be revoked and used once.
 */
export function signLinkToken(secret: string, purpose: string, payload: object): string {
  const body = Buffer.from(JSON.stringify(payload)).toString('base64url');
  return `${body}.${mac(secret, purpose, body)}`;
}

/** The payload of a token this server signed for `purpose`, or undefined for anything else. */
export function verifyLinkToken<T extends object>(
  secret: string,
  purpose: string,
  token: unknown,
): T | undefined {
  if (typeof token !== 'string' || token.length > 2048) return undefined;
  const dot = token.indexOf('.');
  if (dot <= 0 || dot !== token.lastIndexOf('.')) return undefined;
  const body = token.slice(0, dot);
  const given = Buffer.from(token.slice(dot + 1), 'base64url');
  const expected = Buffer.from(mac(secret, purpose, body), 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
  try {
    const payload: unknown = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
    return payload !== null && typeof payload === 'object' ? (payload as T) : undefined;
  } catch {
    return undefined;
  }
}

function mac(secret: string, purpose: string, body: string): string {
  return createHmac('sha256', secret).update(`${purpose}\n${body}`).digest('base64url');
}

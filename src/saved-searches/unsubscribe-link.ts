import { signLinkToken, verifyLinkToken } from '../mail/signed-link.js';

/** Bound into every token's HMAC: a token signed for another kind of link is refused. */
const PURPOSE = 'saved-search-alerts';

interface UnsubscribePayload {
  /** The saved search. */
  s: number;
  /** Its owner. */
  u: number;
}

/** The no-login link in every alert mail that turns this one search's alerts off. */
export function unsubscribeUrl(
  publicUrl: string,
  secret: string,
  searchId: number,
  userId: number,
): string {
  const token = signLinkToken(secret, PURPOSE, { s: searchId, u: userId });
  return `${publicUrl}/api/v1/saved-searches/${searchId}/unsubscribe?token=${token}`;
}

/** The owner a token names, when this server signed it for the saved search `searchId`. */
export function unsubscribeOwner(
  secret: string,
  token: string,
  searchId: number,
): number | undefined {
  const payload = verifyLinkToken<Partial<UnsubscribePayload>>(secret, PURPOSE, token);
  if (!payload || payload.s !== searchId) return undefined;
  return Number.isSafeInteger(payload.u) && payload.u! > 0 ? payload.u : undefined;
}

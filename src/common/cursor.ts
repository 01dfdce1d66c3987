import { createHmac, timingSafeEqual } from 'node:crypto';
import { AppError } from './error-codes.js';

export type CursorValue = string | number;

export interface CursorPayload {
  /** The order this cursor belongs to; a cursor from another order is refused. */
  o: string;
  /** The sort key values of the last row of the page, ending with its id. */
  v: CursorValue[];
}

function invalid(reason: string): AppError {
  return new AppError('INVALID_CURSOR', `cursor is invalid: ${reason}`);
}

/**
 * Opaque keyset cursors: base64url(JSON) plus an HMAC, so that a client can carry a position
 * but never forge one (a forged or edited cursor is a 400, never a query).
 */
export class CursorCodec {
  constructor(private readonly secret: string) {}

  private sign(body: string): string {
    return createHmac('sha256', this.secret).update(body).digest('base64url').slice(0, 22);
  }

  encode(payload: CursorPayload): string {
    const body = Buffer.from(JSON.stringify(payload)).toString('base64url');
    return `${body}.${this.sign(body)}`;
  }

  /** Returns the key values, checked against the expected order and value types. */
  decode(cursor: string, order: string, types: ReadonlyArray<'string' | 'number'>): CursorValue[] {
    const [body, mac, extra] = cursor.split('.');
    if (!body || !mac || extra !== undefined) throw invalid('malformed');
    const expected = Buffer.from(this.sign(body));
    const given = Buffer.from(mac);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      throw invalid('not issued by this server');
    }
    let payload: CursorPayload;
    try {
      payload = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as CursorPayload;
    } catch {
      throw invalid('malformed');
    }
    if (payload?.o !== order) throw invalid(`it belongs to another sort order`);
    const values = payload.v;
    if (
      !Array.isArray(values) ||
      values.length !== types.length ||
      values.some((v, i) => typeof v !== types[i] || (typeof v === 'number' && !Number.isFinite(v)))
    ) {
      throw invalid('malformed');
    }
    return values;
  }
}

import { createHmac, timingSafeEqual } from 'node:crypto';
import { AppError } from './error-codes.js';

export type CursorValue = string | number;

/**
 * What a key value must be for its SQL comparison to be safe: a signed cursor is still refused
 * (400) when its content would make PostgreSQL fail (an integer out of int4 range, a string with
 * NUL, a date it cannot parse).
 * - `int`: an integer in PostgreSQL's `integer` range (ids, counts);
 * - `number`: a finite number (numeric columns);
 * - `date`: an ISO timestamp exactly as `Date.toISOString()` writes it;
 * - `string`: text up to 512 characters without NUL.
 */
export type CursorValueType = 'string' | 'number' | 'int' | 'date';

export interface CursorPayload {
  /** The order this cursor belongs to; a cursor from another order is refused. */
  o: string;
  /** The sort key values of the last row of the page, ending with its id. */
  v: CursorValue[];
}

const INT4_MIN = -2_147_483_648;
const INT4_MAX = 2_147_483_647;
const MAX_STRING = 512;

function invalid(reason: string): AppError {
  return new AppError('INVALID_CURSOR', `cursor is invalid: ${reason}`);
}

const VALID: Record<CursorValueType, (v: unknown) => boolean> = {
  int: (v) => Number.isInteger(v) && (v as number) >= INT4_MIN && (v as number) <= INT4_MAX,
  number: (v) => typeof v === 'number' && Number.isFinite(v),
  date: (v) => {
    if (typeof v !== 'string') return false;
    const time = Date.parse(v);
    return Number.isFinite(time) && new Date(time).toISOString() === v;
  },
  string: (v) => typeof v === 'string' && v.length <= MAX_STRING && !v.includes('\u0000'),
};

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
  decode(cursor: string, order: string, types: readonly CursorValueType[]): CursorValue[] {
    const [body, mac, extra] = cursor.split('.');
    if (!body || !mac || extra !== undefined) throw invalid('malformed');
    const expected = Buffer.from(this.sign(body));
    const given = Buffer.from(mac);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      throw invalid('not issued by this server');
    }
    let payload: unknown;
    try {
      payload = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
    } catch {
      throw invalid('malformed');
    }
    if (typeof payload !== 'object' || payload === null) throw invalid('malformed');
    const { o, v: values } = payload as Partial<CursorPayload>;
    if (o !== order) throw invalid(`it belongs to another sort order`);
    if (!Array.isArray(values) || values.length !== types.length) throw invalid('malformed');
    const bad = types.findIndex((type, i) => !VALID[type](values[i]));
    if (bad !== -1) throw invalid(`position ${bad} is not a valid ${types[bad]}`);
    return values;
  }
}

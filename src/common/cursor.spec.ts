import { createHmac } from 'node:crypto';
import { AppError } from './error-codes.js';
import { CursorCodec, type CursorValueType } from './cursor.js';

describe('CursorCodec', () => {
  const codec = new CursorCodec('secret-a');
  const NEWEST: CursorValueType[] = ['date', 'int'];

  /** A body signed with the right key: what a leaked key or a server bug could produce. */
  const signed = (payload: unknown) => {
    const body = Buffer.from(JSON.stringify(payload)).toString('base64url');
    const mac = createHmac('sha256', 'secret-a').update(body).digest('base64url').slice(0, 22);
    return `${body}.${mac}`;
  };

  it('round-trips the sort key values', () => {
    const c = codec.encode({ o: 'newest', v: ['2026-11-27T00:00:00.000Z', 42] });
    expect(codec.decode(c, 'newest', NEWEST)).toEqual(['2026-11-27T00:00:00.000Z', 42]);
    const rated = codec.encode({ o: 'rating', v: [4.25, 7] });
    expect(codec.decode(rated, 'rating', ['number', 'int'])).toEqual([4.25, 7]);
    const named = codec.encode({ o: 'name', v: ['Palm Springs', 3] });
    expect(codec.decode(named, 'name', ['string', 'int'])).toEqual(['Palm Springs', 3]);
  });

  it.each([
    ['garbage', 'not-a-cursor'],
    ['empty body', '.abc'],
    ['three parts', 'a.b.c'],
    ['sql', "' OR 1=1 --.x"],
  ])('refuses a malformed cursor (%s)', (_, cursor) => {
    expect(() => codec.decode(cursor, 'newest', NEWEST)).toThrow(AppError);
  });

  it('refuses a forged or edited cursor', () => {
    const forged = `${Buffer.from(JSON.stringify({ o: 'newest', v: ['x', 1] })).toString('base64url')}.AAAAAAAAAAAAAAAAAAAAAA`;
    expect(() => codec.decode(forged, 'newest', NEWEST)).toThrow(/not issued/);
    const other = new CursorCodec('secret-b').encode({ o: 'newest', v: ['x', 1] });
    expect(() => codec.decode(other, 'newest', NEWEST)).toThrow(/not issued/);
  });

  it('refuses a cursor of another order or with wrong types', () => {
    const c = codec.encode({ o: 'popular', v: [10, 1] });
    expect(() => codec.decode(c, 'newest', ['int', 'int'])).toThrow(/another sort order/);
    expect(() => codec.decode(c, 'popular', ['string', 'int'])).toThrow(AppError);
  });

  // Signed with the right key, so only the content check stands between them and the SQL.
  it.each<[string, unknown, CursorValueType[]]>([
    ['a date that is no date', { o: 'newest', v: ['yesterday', 1] }, NEWEST],
    ['a date out of the calendar', { o: 'newest', v: ['2026-13-45T99:00:00.000Z', 1] }, NEWEST],
    ['a date in another format', { o: 'newest', v: ['2026-11-27 00:00:00', 1] }, NEWEST],
    ['a number for a date', { o: 'newest', v: [1764201600000, 1] }, NEWEST],
    ['a string for an id', { o: 'newest', v: ['2026-11-27T00:00:00.000Z', '1'] }, NEWEST],
    ['an id past int4', { o: 'newest', v: ['2026-11-27T00:00:00.000Z', 2 ** 31] }, NEWEST],
    ['a fractional id', { o: 'newest', v: ['2026-11-27T00:00:00.000Z', 1.5] }, NEWEST],
    ['a null id', { o: 'newest', v: ['2026-11-27T00:00:00.000Z', null] }, NEWEST],
    ['a nested value', { o: 'rating', v: [[4], 1] }, ['number', 'int']],
    ['a string with NUL', { o: 'name', v: ['a\u0000b', 1] }, ['string', 'int']],
    ['an over-long string', { o: 'name', v: ['x'.repeat(513), 1] }, ['string', 'int']],
    ['too few values', { o: 'newest', v: ['2026-11-27T00:00:00.000Z'] }, NEWEST],
    ['values not a list', { o: 'newest', v: { 0: 'a' } }, NEWEST],
    ['a payload that is a list', ['newest'], NEWEST],
    ['a payload that is null', null, NEWEST],
  ])('refuses a signed cursor with bad content (%s) as INVALID_CURSOR', (_, payload, types) => {
    const cursor = signed(payload);
    const order = (payload as { o?: string } | null)?.o ?? 'newest';
    let error: unknown;
    try {
      codec.decode(cursor, order, types);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).code).toBe('INVALID_CURSOR');
    expect((error as AppError).getStatus()).toBe(400);
  });
});

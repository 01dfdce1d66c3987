import { AppError } from './error-codes.js';
import { CursorCodec } from './cursor.js';

describe('CursorCodec', () => {
  const codec = new CursorCodec('secret-a');

  it('round-trips the sort key values', () => {
    const c = codec.encode({ o: 'newest', v: ['2026-11-27T00:00:00.000Z', 42] });
    expect(codec.decode(c, 'newest', ['string', 'number'])).toEqual([
      '2026-11-27T00:00:00.000Z',
      42,
    ]);
  });

  it.each([
    ['garbage', 'not-a-cursor'],
    ['empty body', '.abc'],
    ['three parts', 'a.b.c'],
    ['sql', "' OR 1=1 --.x"],
  ])('refuses a malformed cursor (%s)', (_, cursor) => {
    expect(() => codec.decode(cursor, 'newest', ['string', 'number'])).toThrow(AppError);
  });

  it('refuses a forged or edited cursor', () => {
    const forged = `${Buffer.from(JSON.stringify({ o: 'newest', v: ['x', 1] })).toString('base64url')}.AAAAAAAAAAAAAAAAAAAAAA`;
    expect(() => codec.decode(forged, 'newest', ['string', 'number'])).toThrow(/not issued/);
    const other = new CursorCodec('secret-b').encode({ o: 'newest', v: ['x', 1] });
    expect(() => codec.decode(other, 'newest', ['string', 'number'])).toThrow(/not issued/);
  });

  it('refuses a cursor of another order or with wrong types', () => {
    const c = codec.encode({ o: 'popular', v: [10, 1] });
    expect(() => codec.decode(c, 'newest', ['number', 'number'])).toThrow(/another sort order/);
    expect(() => codec.decode(c, 'popular', ['string', 'number'])).toThrow(AppError);
  });
});

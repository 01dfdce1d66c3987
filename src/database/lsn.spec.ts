import { LSN_UNKNOWN, lsnKey, maxLsn, parseLsn, parseLsnKey } from './lsn.js';

describe('WAL positions', () => {
  it('parse as PostgreSQL orders them', () => {
    expect(parseLsn('0/3000148')).toBe(0x3000148n);
    expect(parseLsn('16/B374D848')).toBe((0x16n << 32n) | 0xb374d848n);
    expect(parseLsn('1/0') > parseLsn('0/FFFFFFFF')).toBe(true);
    expect(() => parseLsn('junk')).toThrow();
  });

  it('keep their order as fixed-width text, and come back from it', () => {
    const a = parseLsn('0/FFFFFFFF');
    const b = parseLsn('1/0');
    expect(lsnKey(a) < lsnKey(b)).toBe(true);
    expect(lsnKey(a)).toHaveLength(16);
    expect(parseLsnKey(lsnKey(b))).toBe(b);
  });

  it('take the largest, and an unknown one beats every real one', () => {
    expect(maxLsn(3n, 9n, 4n)).toBe(9n);
    expect(maxLsn()).toBe(0n);
    expect(maxLsn(parseLsn('FFFFFFFF/FFFFFFFF'), LSN_UNKNOWN)).toBe(LSN_UNKNOWN);
  });
});

/** PostgreSQL WAL positions (`pg_lsn`, printed `16/B374D848`) as comparable numbers. */
export type Lsn = bigint;

/** Sorts after every real position: "read from the primary". */
export const LSN_UNKNOWN: Lsn = 2n ** 64n;

export function parseLsn(text: string): Lsn {
  const match = /^([0-9A-Fa-f]{1,8})\/([0-9A-Fa-f]{1,8})$/.exec(text.trim());
  if (!match) throw new Error(`Not a WAL position: ${text}`);
  return (BigInt(`0x${match[1]}`) << 32n) | BigInt(`0x${match[2]}`);
}

/** Fixed-width hex: text order is numeric order (compared so in Redis' Lua). */
export function lsnKey(lsn: Lsn): string {
  return lsn.toString(16).padStart(16, '0');
}

export function parseLsnKey(key: string): Lsn {
  return BigInt(`0x${key}`);
}

export function maxLsn(...values: Lsn[]): Lsn {
  return values.reduce((a, b) => (b > a ? b : a), 0n);
}

import type { ObjectLiteral, SelectQueryBuilder } from 'typeorm';
import type { CursorCodec, CursorValue, CursorValueType } from './cursor.js';
import { DEFAULT_PAGE_SIZE, toPage, type Page } from './page.js';

/** One sort key: its SQL expression, its cursor value type, and how to read it off a fetched row. */
export interface SortKey<R> {
  column: string;
  type: CursorValueType;
  of: (row: R) => CursorValue;
}

/**
 * A keyset order: every key in one direction, the last one unique (the id), so that a row
 * comparison `(k1, …, id) < (:v1, …, :id)` resumes exactly after the last row of a page and the
 * index on the same keys finds it. `name` is written into the cursor: a cursor from another order
 * (or another list) is refused.
 */
export interface Keyset<R> {
  name: string;
  dir: 'ASC' | 'DESC';
  keys: readonly SortKey<R>[];
}

export interface PageRequest {
  cursor?: string;
  limit?: number;
  codec: CursorCodec;
}

/**
 * Adds the keyset condition (under parameter names of its own, so it never overwrites the
 * caller's filters), the ORDER BY and LIMIT n + 1 to `qb`. Exposed so that the exact SQL of a
 * page can be explained.
 */
export function withKeyset<E extends ObjectLiteral, R>(
  qb: SelectQueryBuilder<E>,
  keyset: Keyset<R>,
  { cursor, limit = DEFAULT_PAGE_SIZE, codec }: PageRequest,
): SelectQueryBuilder<E> {
  const { keys, dir } = keyset;
  if (cursor) {
    const values = codec.decode(
      cursor,
      keyset.name,
      keys.map((k) => k.type),
    );
    const params = Object.fromEntries(values.map((v, i) => [`keyset_${i}`, v]));
    const columns = keys.map((k) => k.column).join(', ');
    const placeholders = keys.map((_, i) => `:keyset_${i}`).join(', ');
    qb.andWhere(`(${columns}) ${dir === 'DESC' ? '<' : '>'} (${placeholders})`, params);
  }
  qb.orderBy(keys[0].column, dir);
  for (const key of keys.slice(1)) qb.addOrderBy(key.column, dir);
  return qb.limit(limit + 1);
}

/**
 * One page of `qb` in `keyset` order, as `{ data, nextCursor }`. `raw` reads the selected
 * columns (`getRawMany`) instead of entities.
 */
export async function paginate<E extends ObjectLiteral, R = E, T = R>(
  qb: SelectQueryBuilder<E>,
  keyset: Keyset<R>,
  request: PageRequest & { map: (row: R) => T; raw?: boolean },
): Promise<Page<T>> {
  const limit = request.limit ?? DEFAULT_PAGE_SIZE;
  const query = withKeyset(qb, keyset, request);
  const rows = (request.raw ? await query.getRawMany<R>() : await query.getMany()) as R[];
  return toPage(rows, limit, request.map, (last) =>
    request.codec.encode({ o: keyset.name, v: keyset.keys.map((k) => k.of(last)) }),
  );
}

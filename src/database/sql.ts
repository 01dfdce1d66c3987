/** Anything that runs raw SQL: a DataSource, an EntityManager or a QueryRunner. */
export interface SqlRunner {
  query(sql: string, parameters?: unknown[]): Promise<unknown>;
}

/**
 * Runs a raw SELECT, or any statement with RETURNING, and types its rows. (TypeORM answers an
 * UPDATE or DELETE with `[rows, affected]`; rows are objects, never arrays, so that pair is
 * told apart from a result of two rows.)
 */
export async function selectRows<T>(
  db: SqlRunner,
  sql: string,
  parameters?: unknown[],
): Promise<T[]> {
  const result = (await db.query(sql, parameters)) as unknown[];
  if (result.length === 2 && Array.isArray(result[0]) && typeof result[1] === 'number')
    return result[0] as T[];
  return result as T[];
}

/** Anything that runs raw SQL: a DataSource, an EntityManager or a QueryRunner. */
export interface SqlRunner {
  query(sql: string, parameters?: unknown[]): Promise<unknown>;
}

/** Runs a raw SELECT (or RETURNING) and types its rows. */
export async function selectRows<T>(
  db: SqlRunner,
  sql: string,
  parameters?: unknown[],
): Promise<T[]> {
  return (await db.query(sql, parameters)) as T[];
}

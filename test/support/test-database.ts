import { randomBytes } from 'node:crypto';
import pg from 'pg';

/**
 * Where a test app keeps its data. Without DATABASE_URL: a throw-away embedded database.
 * With DATABASE_URL (CI): a fresh PostgreSQL database per test file on that server, dropped
 * afterwards, so files run in parallel without seeing each other's rows.
 */
export interface TestDatabase {
  env: Record<string, string>;
  drop(): Promise<void>;
}

function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

export async function createTestDatabase(): Promise<TestDatabase> {
  const serverUrl = process.env.DATABASE_URL;
  if (!serverUrl) {
    return {
      env: { DATABASE_TYPE: 'pglite', DATA_DIR: 'memory://' },
      drop: () => Promise.resolve(),
    };
  }
  const name = `spajobs_t_${process.pid}_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  return {
    env: { DATABASE_TYPE: 'postgresql', DATABASE_URL: withDatabase(serverUrl, name) },
    drop: async () => {
      const c = new pg.Client({ connectionString: serverUrl });
      await c.connect();
      try {
        await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await c.end();
      }
    },
  };
}

export const onPostgres = (): boolean => Boolean(process.env.DATABASE_URL);

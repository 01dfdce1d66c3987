import type { DataSource, QueryRunner } from 'typeorm';

export const LOCK_KEYS = {
  migrations: 8_123_456_701,
  seed: 8_123_456_702,
} as const;

let embeddedQueue: Promise<unknown> = Promise.resolve();

/**
 * Runs `fn` on one connection while holding a PostgreSQL advisory lock, so that processes and
 * servers sharing the database take turns.
 *
 * The embedded database multiplexes every connection onto one session, where advisory locks are
 * re-entrant and exclude nothing; there the runs of this process are queued instead (and there
 * is only ever one process per embedded database).
 */
export async function withAdvisoryLock<T>(
  dataSource: DataSource,
  key: number,
  embedded: boolean,
  fn: (runner: QueryRunner) => Promise<T>,
): Promise<T> {
  if (embedded) {
    const run = embeddedQueue.then(() => locked(dataSource, key, fn));
    embeddedQueue = run.catch(() => undefined);
    return run;
  }
  return locked(dataSource, key, fn);
}

async function locked<T>(
  dataSource: DataSource,
  key: number,
  fn: (runner: QueryRunner) => Promise<T>,
): Promise<T> {
  const runner = dataSource.createQueryRunner('master');
  await runner.connect();
  try {
    await runner.query('SELECT pg_advisory_lock($1)', [key]);
    try {
      return await fn(runner);
    } finally {
      await runner.query('SELECT pg_advisory_unlock($1)', [key]);
    }
  } finally {
    await runner.release();
  }
}

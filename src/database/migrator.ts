import { MigrationExecutor, type DataSource } from 'typeorm';
import { LOCK_KEYS, withAdvisoryLock } from './advisory-lock.js';

/**
 * Applies pending migrations under an advisory lock: instances booting together wait for each
 * other and each migration runs once, each in its own transaction.
 */
export function runMigrations(dataSource: DataSource, embedded: boolean): Promise<string[]> {
  return withAdvisoryLock(dataSource, LOCK_KEYS.migrations, embedded, async (runner) => {
    const executor = new MigrationExecutor(dataSource, runner);
    executor.transaction = 'each';
    const applied = await executor.executePendingMigrations();
    return applied.map((m) => m.name);
  });
}

/** Names of migrations known to the code but not yet recorded in the database. */
export async function pendingMigrations(dataSource: DataSource): Promise<string[]> {
  const pending = await new MigrationExecutor(dataSource).getPendingMigrations();
  return pending.map((m) => m.name);
}

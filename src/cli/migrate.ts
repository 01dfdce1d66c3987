import 'reflect-metadata';
import { loadConfig, loadDotEnv } from '../config/app-config.js';
import { openDataSource } from '../database/data-source.js';
import { runMigrations } from '../database/migrator.js';

/** `npm run migration:run`: applies pending migrations (same lock as the app's boot). */
async function main(): Promise<void> {
  loadDotEnv();
  const config = loadConfig();
  const dataSource = await openDataSource(config.database);
  try {
    const applied = await runMigrations(dataSource, config.database.type === 'pglite');
    console.log(applied.length ? `Applied: ${applied.join(', ')}` : 'No pending migrations');
  } finally {
    await dataSource.destroy();
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});

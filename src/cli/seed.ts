import 'reflect-metadata';
import { parseArgs } from 'node:util';
import { loadConfig, loadDotEnv } from '../config/app-config.js';
import { LOCK_KEYS, withAdvisoryLock } from '../database/advisory-lock.js';
import { openDataSource } from '../database/data-source.js';
import { seedDemoData } from '../database/seed/demo-data.js';
import { seedLoadDataset } from '../database/seed/load-dataset.js';

/**
 * `npm run seed` seeds the demo data; `npm run seed -- --jobs 200000` builds (or tops up)
 * the deterministic load-test dataset. Both migrate first.
 */
async function main(): Promise<void> {
  const { values } = parseArgs({ options: { jobs: { type: 'string' } } });
  const jobs = values.jobs === undefined ? undefined : Number(values.jobs);
  if (jobs !== undefined && !(Number.isInteger(jobs) && jobs > 0 && jobs <= 10_000_000)) {
    throw new Error('--jobs must be a whole number from 1 to 10000000');
  }
  loadDotEnv();
  const config = loadConfig();
  if (jobs === undefined && config.env === 'production') {
    throw new Error(
      'Demo data is never seeded when NODE_ENV=production: its accounts have published passwords',
    );
  }
  const started = Date.now();
  const dataSource = await openDataSource(config.database, {
    migrate: true,
    logSlowQueries: false,
  });
  try {
    const embedded = config.database.type === 'pglite';
    await withAdvisoryLock(dataSource, LOCK_KEYS.seed, embedded, async (runner) => {
      if (jobs === undefined) {
        console.log(
          (await seedDemoData(runner)) ? 'Demo data seeded' : 'Demo data already present',
        );
      } else {
        await seedLoadDataset(dataSource, jobs);
      }
    });
    console.log(`Done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  } finally {
    await dataSource.destroy();
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});

import cluster, { type Worker } from 'node:cluster';
import pino from 'pino';
import type { AppConfig } from './config/app-config.js';
import { LOCK_KEYS, withAdvisoryLock } from './database/advisory-lock.js';
import { openDataSource, type AppDataSource } from './database/data-source.js';
import { seedDemoData } from './database/seed/demo-data.js';

const STOP_TIMEOUT_MS = 30_000;
const RESPAWN_DELAY_MS = 1000;

/**
 * The cluster primary (WEB_CONCURRENCY > 1): forks the workers, which share the port, restarts
 * any that dies, relays cache invalidations between them when there is no Redis, and stops them
 * gracefully on SIGINT/SIGTERM. With the embedded database it runs the one embedded server every
 * worker connects to (PGlite is single-process), migrating and seeding it before the fork.
 */
export async function runPrimary(config: AppConfig): Promise<void> {
  const log = pino({ level: config.log.level, base: { pid: process.pid, role: 'primary' } });
  const workers = config.webConcurrency;
  const env: Record<string, string> = {};
  let embedded: AppDataSource | undefined;

  if (!config.redis.enabled) {
    log.warn(
      `WEB_CONCURRENCY=${workers} without Redis: rate limits are per worker (a client may get up to ${workers}x the limit); ` +
        'cache invalidations are relayed between workers. Set REDIS_URL for exact limits.',
    );
  }
  if (config.database.type === 'pglite' && !config.database.url) {
    const perWorker = config.database.poolSize + config.database.maxOverflow;
    embedded = await openDataSource(
      { ...config.database, poolSize: 1, maxOverflow: 0 },
      { migrate: true, embeddedMaxConnections: workers * perWorker + 10 },
    );
    if (config.seedDemoData) {
      await withAdvisoryLock(embedded, LOCK_KEYS.seed, true, (runner) => seedDemoData(runner));
    }
    env.EMBEDDED_DATABASE_URL = (embedded.options as { url: string }).url;
    log.info(`embedded database serves ${workers} workers at ${env.EMBEDDED_DATABASE_URL}`);
  }

  let stopping = false;
  const fork = (): Worker => cluster.fork(env);
  cluster.on('message', (from, message: { type?: string }) => {
    if (typeof message?.type !== 'string' || !message.type.startsWith('spajobs:')) return;
    for (const worker of Object.values(cluster.workers ?? {}))
      if (worker && worker !== from) worker.send(message);
  });
  cluster.on('exit', (worker, code, signal) => {
    if (stopping) return;
    log.error(`worker ${worker.process.pid} exited (${signal ?? code}); starting another`);
    setTimeout(fork, RESPAWN_DELAY_MS);
  });
  for (let i = 0; i < workers; i++) fork();
  log.info(`started ${workers} workers on port ${config.port}`);

  const stop = async (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    log.info(`${signal}: stopping workers`);
    const alive = Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined);
    await Promise.all(
      alive.map(
        (w) =>
          new Promise<void>((resolve) => {
            const force = setTimeout(() => w.kill('SIGKILL'), STOP_TIMEOUT_MS);
            w.once('exit', () => {
              clearTimeout(force);
              resolve();
            });
            w.process.kill(signal);
          }),
      ),
    );
    await embedded?.destroy();
    log.info('stopped');
    process.exit(0);
  };
  process.on('SIGINT', (s) => void stop(s));
  process.on('SIGTERM', (s) => void stop(s));
}

/**
 * `npm run cluster:local`: the production topology of deploy/compose.yaml on this machine, with
 * nothing installed: Debian's nginx (deploy/nginx.conf, rendered into a private prefix) in front
 * of N instances of the built server, each trusting exactly nginx (TRUST_PROXY=127.0.0.1).
 * The database is DATABASE_URL's PostgreSQL (and REDIS_URL's Redis, if set), shared by every
 * instance; without DATABASE_URL, one embedded database served to all of them by this process.
 * SIGHUP restarts the instances one at a time (a rolling restart); SIGINT/SIGTERM stops
 * everything this script started.
 *
 *   npm run cluster:local -- [--instances 2] [--port 8080] [--base-port 8011]
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig, loadDotEnv } from '../src/config/app-config.js';
import { LOCK_KEYS, withAdvisoryLock } from '../src/database/advisory-lock.js';
import { openDataSource, type AppDataSource } from '../src/database/data-source.js';
import { seedDemoData } from '../src/database/seed/demo-data.js';
import { AppInstance, findNginx, LocalNginx, type Upstream } from './local-topology.js';

const { values } = parseArgs({
  options: {
    instances: { type: 'string', default: process.env.CLUSTER_INSTANCES ?? '2' },
    port: { type: 'string', default: process.env.NGINX_PORT ?? '8080' },
    'base-port': { type: 'string', default: process.env.CLUSTER_BASE_PORT ?? '8011' },
  },
});
const count = Number(values.instances);
const nginxPort = Number(values.port);
const basePort = Number(values['base-port']);
const log = (line: string) => console.log(`[cluster] ${line}`);

async function main(): Promise<void> {
  if (!findNginx()) {
    console.error("cluster:local needs Debian's nginx: apt-get install -y nginx");
    process.exit(1);
  }
  if (!(count >= 1 && count <= 16)) throw new Error('--instances must be 1..16');
  loadDotEnv();
  const config = loadConfig();
  const dir = await mkdtemp(join(tmpdir(), 'spajobs-cluster-local-'));
  const env: Record<string, string | undefined> = {
    ...process.env,
    // the instances trust exactly nginx, which connects from loopback
    TRUST_PROXY: '127.0.0.1',
    UPLOAD_DIR: config.uploads.publicDir,
  };

  let embedded: AppDataSource | undefined;
  if (config.database.type === 'pglite' && !config.database.url) {
    const perInstance =
      config.webConcurrency * (config.database.poolSize + config.database.maxOverflow);
    embedded = await openDataSource(
      { ...config.database, poolSize: 1, maxOverflow: 0 },
      { migrate: true, embeddedMaxConnections: count * perInstance + 10 },
    );
    if (config.seedDemoData)
      await withAdvisoryLock(embedded, LOCK_KEYS.seed, true, (runner) => seedDemoData(runner));
    env.EMBEDDED_DATABASE_URL = (embedded.options as { url: string }).url;
    env.SEED_DEMO_DATA = 'false';
    log(`embedded database (${config.database.dataDir}) serves ${count} instances`);
  }

  const instances = Array.from(
    { length: count },
    (_, i) =>
      new AppInstance({
        name: `app${i + 1}`,
        port: basePort + i,
        env,
        entry: resolve(import.meta.dirname, '..', 'src', 'main.js'),
        onLine: (line) => console.log(`[app${i + 1}] ${line}`),
      }),
  );
  const upstreams: Upstream[] = instances.map((a) => ({
    host: '127.0.0.1',
    port: a.port,
    down: true,
  }));
  const nginx = await LocalNginx.start({
    dir,
    port: nginxPort,
    upstreams,
    uploadDir: config.uploads.publicDir,
    maxUploadMb: Math.round(config.uploads.maxBytes / 2 ** 20),
    workerProcesses: 2,
  });
  nginx.watchReadiness(200, (next) =>
    log(
      `in rotation: ${
        next
          .filter((u) => !u.down)
          .map((u) => u.port)
          .join(', ') || 'none'
      }`,
    ),
  );

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log(`${signal}: stopping ${count} instances and nginx`);
    await Promise.all(instances.map((a) => a.stop('SIGTERM')));
    await nginx.stop();
    await embedded?.destroy();
    await rm(dir, { recursive: true, force: true });
    log('stopped');
    process.exit(0);
  };
  process.on('SIGINT', (s) => void stop(s));
  process.on('SIGTERM', (s) => void stop(s));

  let rolling = false;
  process.on('SIGHUP', () => {
    if (rolling || stopping) return;
    rolling = true;
    void (async () => {
      for (const a of instances) {
        log(`rolling restart: ${a.opts.name} (port ${a.port})`);
        await a.stop('SIGTERM');
        a.start();
        if (!(await a.ready())) log(`${a.opts.name} did not come back`);
      }
      rolling = false;
      log('rolling restart done');
    })();
  });

  for (const a of instances) a.start();
  const ready = await Promise.all(instances.map((a) => a.ready()));
  if (ready.some((r) => !r)) {
    log('an instance did not start');
    await stop('failure');
  }
  log(
    `nginx on ${nginx.url} in front of ${instances.map((a) => `127.0.0.1:${a.port}`).join(', ')} ` +
      `(prefix ${dir}); SIGHUP: rolling restart (kill -HUP ${process.pid}); Ctrl-C: stop`,
  );
}

main().catch((err: unknown) => {
  console.error('cluster:local failed:', err instanceof Error ? err.message : err);
  process.exit(1);
});

import cluster, { type Worker } from 'node:cluster';
import pino from 'pino';
import { AggregatorRegistry, type MetricObjectWithValues, type MetricValue } from 'prom-client';
import type { AppConfig } from './config/app-config.js';
import { LOCK_KEYS, withAdvisoryLock } from './database/advisory-lock.js';
import { openDataSource, type AppDataSource } from './database/data-source.js';
import { seedDemoData } from './database/seed/demo-data.js';
import { QUEUE_POOL_SIZE } from './queue/queue.constants.js';
import {
  METRICS_REPLY,
  METRICS_REQUEST,
  type MetricsReply,
  type MetricsRequest,
} from './metrics/cluster-metrics.js';

/** A worker's stop past SHUTDOWN_GRACE_MS: in-flight requests (20 s at most), views, pools. */
const STOP_AFTER_GRACE_MS = 30_000;
const RESPAWN_DELAY_MS = 1000;
/** prom-client's cluster protocol (its workers answer these with their registries). */
const PROM_REQUEST = 'prom-client:getMetricsReq';
const PROM_REPLY = 'prom-client:getMetricsRes';
const GATHER_TIMEOUT_MS = 5000;

type WorkerMetrics = MetricObjectWithValues<MetricValue<string>>[];

/**
 * Every serving worker's metrics as one text (prom-client's aggregation: series with the same
 * labels are merged by each metric's aggregator; here every series carries its worker's pid).
 * Asks only the workers that listen (a booting worker has no registry yet); fails when one does
 * not answer, rather than answer with a partial cluster.
 */
class MetricsGatherer {
  private readonly serving = new Set<Worker>();
  private readonly requests = new Map<
    number,
    { got: WorkerMetrics[]; left: Set<Worker>; done: (err?: Error) => void }
  >();
  private seq = 0;

  constructor() {
    cluster.on('listening', (worker) => this.serving.add(worker));
    cluster.on('exit', (worker) => {
      this.serving.delete(worker);
      for (const request of this.requests.values()) {
        request.left.delete(worker);
        if (request.left.size === 0) request.done();
      }
    });
    cluster.on(
      'message',
      (worker, msg: { type?: string; requestId?: number; metrics?: unknown; error?: string }) => {
        if (msg?.type !== PROM_REPLY || msg.requestId === undefined) return;
        const request = this.requests.get(msg.requestId);
        if (!request) return;
        if (msg.error) return request.done(new Error(msg.error));
        request.got.push(...(msg.metrics as WorkerMetrics[]));
        request.left.delete(worker);
        if (request.left.size === 0) request.done();
      },
    );
  }

  gather(): Promise<string> {
    const workers = [...this.serving].filter((w) => w.isConnected());
    const requestId = this.seq++;
    return new Promise<string>((resolve, reject) => {
      const timer = setTimeout(
        () => finish(new Error(`a worker did not answer in ${GATHER_TIMEOUT_MS} ms`)),
        GATHER_TIMEOUT_MS,
      );
      const finish = (err?: Error) => {
        if (!this.requests.delete(requestId)) return;
        clearTimeout(timer);
        if (err) return reject(err);
        AggregatorRegistry.aggregate(request.got).metrics().then(resolve, reject);
      };
      const request = { got: [] as WorkerMetrics[], left: new Set(workers), done: finish };
      this.requests.set(requestId, request);
      if (workers.length === 0) return finish(new Error('no worker is serving'));
      for (const w of workers) w.send({ type: PROM_REQUEST, requestId });
    });
  }
}

/** V8 flags that set the old generation's limit: the operator's own wins over the default. */
const HEAP_LIMIT_FLAG = /(^|\s)--max[-_](old[-_]space|heap)[-_]size\b/;

/**
 * The Node flags a worker runs with: the primary's (cluster's default), plus
 * `--max-old-space-size` (WORKER_MAX_OLD_SPACE_MB) unless that is 0 or the primary was started
 * with a heap limit of its own (on its command line or in NODE_OPTIONS).
 */
export function workerExecArgv(
  execArgv: readonly string[],
  nodeOptions: string | undefined,
  maxOldSpaceMb: number,
): string[] {
  const own = [...execArgv, nodeOptions ?? ''].some((arg) => HEAP_LIMIT_FLAG.test(arg));
  return own || maxOldSpaceMb === 0
    ? [...execArgv]
    : [...execArgv, `--max-old-space-size=${maxOldSpaceMb}`];
}

/**
 * The cluster primary (WEB_CONCURRENCY > 1): forks the workers, which share the port, restarts
 * any that dies, relays cache invalidations between them when there is no Redis, gathers every
 * worker's metrics for the worker a scrape reached, and stops them gracefully on SIGINT/SIGTERM
 * (each drains as main.ts describes; the shared port stays open while any worker listens). With the embedded database it runs the one embedded server every
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
    // each worker's pool and its queue's own connections (pg-boss)
    const perWorker = config.database.poolSize + config.database.maxOverflow + QUEUE_POOL_SIZE;
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
  cluster.setupPrimary({
    execArgv: workerExecArgv(
      process.execArgv,
      process.env.NODE_OPTIONS,
      config.workerMaxOldSpaceMb,
    ),
  });
  const fork = (): Worker => cluster.fork(env);
  const metrics = new MetricsGatherer();
  cluster.on('message', (from, message: { type?: string }) => {
    if (message?.type === METRICS_REQUEST) {
      const { id } = message as MetricsRequest;
      const reply = (r: Omit<MetricsReply, 'type' | 'id'>) =>
        from.isConnected() && from.send({ type: METRICS_REPLY, id, ...r } satisfies MetricsReply);
      metrics.gather().then(
        (text) => reply({ text }),
        (err: Error) => reply({ error: err.message }),
      );
      return;
    }
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
            const force = setTimeout(
              () => w.kill('SIGKILL'),
              (signal === 'SIGTERM' ? config.shutdownGraceMs : 0) + STOP_AFTER_GRACE_MS,
            );
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

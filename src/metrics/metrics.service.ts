import cluster from 'node:cluster';
import { Injectable, Optional, type OnModuleInit } from '@nestjs/common';
import {
  AggregatorRegistry,
  collectDefaultMetrics,
  Counter,
  Gauge,
  Histogram,
  Registry,
  type LabelValues,
} from 'prom-client';
import { DataSource } from 'typeorm';
import { RedisService } from '../redis/redis.service.js';
import { AppDataSource } from '../database/data-source.js';

/** What the metrics read of a pg-pool (pg's Pool). */
export interface PoolLike {
  totalCount: number;
  idleCount: number;
  waitingCount: number;
  options?: { max?: number };
  connect: (...args: never[]) => unknown;
}

/** Replica lag by pool name, in seconds (null: unknown, e.g. the replica is unreachable). */
export type ReplicaLagSource = () => Record<string, number | null>;

/** The latency buckets of http_request_duration_seconds, in seconds. */
const HTTP_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.5, 1, 2, 5];

/** prom-client's record of one series: a counter's value, or a histogram's buckets, sum and count. */
interface SeriesRecord {
  labels: LabelValues<string>;
  value: number;
  sum: number;
  count: number;
  bucketValues: Record<number, number>;
}

/**
 * The record prom-client keeps for `labels` of `metric` (made at zero if new), for a hot path to
 * update in place: prom-client's inc and observe build and look up a label string on every call,
 * which was ~7% of a cache hit's CPU. The scrape reads these records as usual. Relies on
 * prom-client 15's `hashMap` of records; metrics.service.spec.ts checks what a scrape shows.
 */
function seriesRecord(
  metric: Counter<string> | Histogram<string>,
  labels: LabelValues<string>,
): SeriesRecord {
  const records = () =>
    Object.values((metric as unknown as { hashMap: Record<string, SeriesRecord> }).hashMap);
  // a series is its metric's label values (a scrape adds the registry's default labels, e.g.
  // pid, to the records themselves)
  const names = (metric as unknown as { labelNames: string[] }).labelNames;
  const same = (r: SeriesRecord) => names.every((n) => r.labels[n] === labels[n]);
  let record = records().find(same);
  if (!record) {
    if (metric instanceof Histogram) metric.zero(labels);
    else metric.inc(labels, 0);
    record = records().find(same);
  }
  if (!record)
    throw new Error('prom-client keeps its series elsewhere: seriesRecord needs updating');
  return record;
}

/** Records what the cache's fast path serves for one route, method and status: see hitRecorder. */
export type HitRecorder = (seconds: number) => void;

/** A failed connect() that is a timeout: waiting for a free connection, or opening one. */
const isTimeout = (err: unknown): boolean => /timeout/i.test((err as Error)?.message ?? '');

/**
 * Prometheus metrics. One registry per app instance, every series labelled with the `pid` of its
 * process. With WEB_CONCURRENCY > 1 the scrape of any worker answers the whole cluster's series
 * (the primary gathers every worker's registry over IPC, see src/cluster.ts), so a scrape that
 * lands on any worker sees every request: sum over `pid` for an instance's totals.
 * `/metrics?scope=worker` answers the one worker's own series.
 *
 * What is here: HTTP by method, route and status with latencies (http-metrics.middleware.ts);
 * database pools (total, idle, waiting, max, timeouts) per pool; replica lag (a hook:
 * setReplicaLagSource); cache lookups, hits, misses and fills by tags; rate-limit decisions and
 * store fallbacks; Redis state; and prom-client's defaults (event-loop lag and its percentiles,
 * heap, GC, CPU, handles).
 */
@Injectable()
export class MetricsService implements OnModuleInit {
  readonly registry = new Registry();
  readonly httpDuration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request duration by method, route pattern and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: HTTP_BUCKETS,
    registers: [this.registry],
  });
  readonly cacheResults = new Counter({
    name: 'http_cache_results_total',
    help: 'Cached GET responses served, by result (hit or miss)',
    labelNames: ['result'] as const,
    registers: [this.registry],
  });
  /**
   * Cache lookups through CacheService.wrap by the tags of the entry (e.g. `jobs,spas`) and result.
   * A cached GET answered by the HTTP cache's fast path (before the router) does not pass here:
   * those hits are `http_cache_results_total{result="hit"}`, without tags.
   */
  readonly cacheLookups = new Counter({
    name: 'cache_lookups_total',
    help: 'Cache lookups (HTTP responses and @CacheResult values) by tags and result: hit or miss',
    labelNames: ['tags', 'result'] as const,
    registers: [this.registry],
  });
  readonly cacheFills = new Counter({
    name: 'cache_fills_total',
    help: 'Cache entries filled (a miss whose load succeeded) by tags',
    labelNames: ['tags'] as const,
    registers: [this.registry],
  });
  readonly rateLimitDecisions = new Counter({
    name: 'rate_limit_decisions_total',
    help: 'Requests counted by the rate limiter, by decision (allowed or denied) and store (redis or memory)',
    labelNames: ['decision', 'store'] as const,
    registers: [this.registry],
  });
  readonly rateLimitFallbacks = new Counter({
    name: 'rate_limit_store_fallbacks_total',
    help: 'Requests counted in memory although Redis is configured (Redis down, stalled or erroring)',
    registers: [this.registry],
  });
  readonly poolTimeouts = new Counter({
    name: 'db_pool_timeouts_total',
    help: 'Database connections not obtained in DB_POOL_TIMEOUT_SECONDS (waiting for one, or opening one), by pool',
    labelNames: ['pool'] as const,
    registers: [this.registry],
  });

  private readonly pools = new Map<string, PoolLike>();
  private replicaLag?: ReplicaLagSource;

  constructor(
    @Optional() private readonly dataSource?: DataSource,
    @Optional() private readonly redis?: RedisService,
  ) {
    this.registry.setDefaultLabels({ pid: String(process.pid) });
    collectDefaultMetrics({ register: this.registry });
    const lag = () => this.replicaLag?.() ?? {};
    // first: its collect also picks up replica pools connected since the last scrape
    new Gauge({
      name: 'db_replica_lag_seconds',
      help: 'How far each read replica is behind the primary (replay lag), by pool; absent without replicas',
      labelNames: ['pool'] as const,
      registers: [this.registry],
      collect: function (this: Gauge<'pool'>) {
        this.reset();
        for (const [pool, seconds] of Object.entries(lag()))
          if (seconds !== null) this.set({ pool }, seconds);
      },
    });
    this.poolGauges();
    this.redisGauges();
    if (cluster.isWorker) {
      // this worker answers the primary's requests for its registry (prom-client's protocol)
      AggregatorRegistry.setRegistries([this.registry]);
      new AggregatorRegistry();
    }
  }

  /** The primary pool (and TypeORM replication's replicas, if any) are picked up by themselves. */
  onModuleInit(): void {
    const driver = this.dataSource?.driver as
      { master?: PoolLike; slaves?: PoolLike[] } | undefined;
    if (driver?.master) this.registerPool('primary', driver.master);
    driver?.slaves?.forEach((pool, i) => this.registerPool(`replica${i + 1}`, pool));
    const replicas =
      this.dataSource instanceof AppDataSource ? this.dataSource.replicas : undefined;
    if (replicas) {
      this.setReplicaLagSource(() => {
        for (const [name, pool] of replicas.pools()) this.registerPool(name, pool as PoolLike);
        return Object.fromEntries(
          replicas.status().map((r) => [r.name, r.lagMs === undefined ? null : r.lagMs / 1000]),
        );
      });
    }
  }

  /**
   * Reports a pg pool under `name` (its gauges, and its timeouts: connect() is wrapped to count
   * them). For pools built outside TypeORM's own data source, e.g. per-replica pools.
   */
  registerPool(name: string, pool: PoolLike): void {
    if (this.pools.get(name) === pool) return;
    this.pools.set(name, pool);
    const connect = pool.connect.bind(pool) as (...args: unknown[]) => unknown;
    const counter = this.poolTimeouts;
    counter.inc({ pool: name }, 0);
    (pool as { connect: unknown }).connect = (...args: unknown[]) => {
      const callback = args[0];
      if (typeof callback === 'function') {
        return connect((err: unknown, ...rest: unknown[]) => {
          if (err && isTimeout(err)) counter.inc({ pool: name });
          (callback as (...a: unknown[]) => unknown)(err, ...rest);
        });
      }
      return (connect() as Promise<unknown>).catch((err: unknown) => {
        if (isTimeout(err)) counter.inc({ pool: name });
        throw err;
      });
    };
  }

  /**
   * The hook for read replicas: a function answering each replica's lag in seconds, read at
   * every scrape (keep it cheap: answer the last measured value).
   */
  setReplicaLagSource(source: ReplicaLagSource): void {
    this.replicaLag = source;
  }

  /** A cache lookup by the entry's tags: a hit, or a miss (`filled`: its load succeeded). */
  cacheLookup(tags: readonly string[], hit: boolean, filled = !hit): void {
    const label = tags.join(',');
    this.cacheLookups.inc({ tags: label, result: hit ? 'hit' : 'miss' });
    if (filled) this.cacheFills.inc({ tags: label });
  }

  /**
   * What httpMetrics and cacheLookup report for a cache hit answered in front of Express, bound
   * once for its route, method, status and tags: its duration, the hit, and the lookup by tags.
   */
  hitRecorder(route: string, method: string, status: number, tags: readonly string[]): HitRecorder {
    const duration = seriesRecord(this.httpDuration, { method, route, status: String(status) });
    const hits = seriesRecord(this.cacheResults, { result: 'hit' });
    const lookups = seriesRecord(this.cacheLookups, { tags: tags.join(','), result: 'hit' });
    return (seconds) => {
      duration.sum += seconds;
      duration.count += 1;
      // as prom-client counts: the first bucket that holds it (beyond the last, only +Inf)
      for (const bound of HTTP_BUCKETS) {
        if (seconds <= bound) {
          duration.bucketValues[bound] += 1;
          break;
        }
      }
      hits.value += 1;
      lookups.value += 1;
    };
  }

  /** rate_limit_decisions_total's records by decision (allowed, denied) and store (redis, memory). */
  private decisions?: SeriesRecord[];

  /** A request counted by the rate limiter; `fellBack`: Redis is configured but was not used. */
  rateLimited(denied: boolean, store: 'redis' | 'memory', fellBack: boolean): void {
    this.decisions ??= ['allowed', 'denied'].flatMap((decision) =>
      ['redis', 'memory'].map((s) => seriesRecord(this.rateLimitDecisions, { decision, store: s })),
    );
    this.decisions[(denied ? 2 : 0) + (store === 'redis' ? 0 : 1)].value += 1;
    if (fellBack) this.rateLimitFallbacks.inc();
  }

  private poolGauges(): void {
    const pools = this.pools;
    const gauge = (name: string, help: string, read: (pool: PoolLike) => number | undefined) =>
      new Gauge({
        name,
        help,
        labelNames: ['pool'] as const,
        registers: [this.registry],
        collect: function (this: Gauge<'pool'>) {
          for (const [pool, p] of pools) {
            const value = read(p);
            if (value !== undefined) this.set({ pool }, value);
          }
        },
      });
    gauge('db_pool_connections', 'Open database connections, by pool', (p) => p.totalCount);
    gauge('db_pool_idle_connections', 'Idle database connections, by pool', (p) => p.idleCount);
    gauge(
      'db_pool_waiting_requests',
      'Queries waiting for a free database connection, by pool',
      (p) => p.waitingCount,
    );
    gauge(
      'db_pool_max_connections',
      'Most connections the pool opens (DB_POOL_SIZE + DB_MAX_OVERFLOW), by pool',
      (p) => p.options?.max,
    );
  }

  private redisGauges(): void {
    const redis = this.redis;
    new Gauge({
      name: 'redis_up',
      help: 'Redis (single server or cluster) connected and answering: 1, else 0 (cache and limits run from memory); absent when Redis is off',
      registers: [this.registry],
      collect: function (this: Gauge) {
        if (redis?.enabled) this.set(redis.ready ? 1 : 0);
      },
    });
    new Gauge({
      name: 'redis_enabled',
      help: 'Redis configured (REDIS_ENABLED): 1, else 0',
      registers: [this.registry],
      collect: function (this: Gauge) {
        this.set(redis?.enabled ? 1 : 0);
      },
    });
  }
}

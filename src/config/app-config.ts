import { existsSync } from 'node:fs';
import { BlockList, isIP } from 'node:net';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import {
  DEFAULT_SECRET_KEY,
  validateEnvironment,
  type EnvironmentVariables,
} from './env.schema.js';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'fatal';

/** DATA_DIR value for a throw-away embedded database (tests). */
export const IN_MEMORY = 'memory://';

export interface DatabaseConfig {
  type: 'pglite' | 'postgresql';
  /** Directory of the embedded database files (DATABASE_TYPE=pglite), or memory://. */
  dataDir: string;
  /** PostgreSQL's URL; for PGlite, only set in cluster workers (the primary's embedded server). */
  url?: string;
  /**
   * Streaming replicas that serve public (cached) reads. A read uses one only when it has
   * replayed past the latest invalidation of what it reads (see database/read-replicas.ts).
   */
  replicaUrls: string[];
  /** Pool size of each replica, per process (DB_REPLICA_POOL_SIZE). */
  replicaPoolSize: number;
  /** A replica lagging more than this is skipped (DB_REPLICA_MAX_LAG_MS). */
  replicaMaxLagMs: number;
  poolSize: number;
  maxOverflow: number;
  recycleSeconds: number;
  poolTimeoutSeconds: number;
  statementTimeoutMs: number;
}

export interface RedisNode {
  host: string;
  port: number;
}

export interface RedisConfig {
  enabled: boolean;
  /** The single server (unused when clusterNodes is set). */
  url: string;
  /** Seeds of a Redis Cluster (REDIS_CLUSTER_NODES); empty for a single server. */
  clusterNodes: RedisNode[];
  keyPrefix: string;
}

export interface AppConfig {
  env: 'development' | 'production' | 'test';
  port: number;
  host: string;
  database: DatabaseConfig;
  redis: RedisConfig;
  cache: { ttlSeconds: number };
  auth: { secretKey: string; accessTokenMinutes: number };
  throttle: {
    enabled: boolean;
    perMinute: number;
    perHour: number;
    loginPerMinute: number;
    /** Clients the in-memory limiter tracks at most (the oldest windows are forgotten first). */
    memoryMaxClients: number;
    /** Express "trust proxy" value: false, a hop count, or a list of addresses/subnets. */
    trustProxy: boolean | number | string[];
  };
  corsOrigins: string[];
  log: { level: LogLevel; file?: string };
  webConcurrency: number;
  /**
   * `--max-old-space-size` given to each cluster worker (0: none). V8 grows the old generation
   * up to 4× its live size past each major GC when its limit is 2 GB or more (the default on a
   * machine this size), ~1.4× under a 512 MB limit: promoted garbage from requests in flight then
   * never piles up to hundreds of MB.
   */
  workerMaxOldSpaceMb: number;
  uploads: {
    publicDir: string;
    resumeDir: string;
    maxBytes: number;
    /** Per account and UTC day, counted in the database (every process shares it). */
    dailyQuotaBytes: number;
    dailyQuotaFiles: number;
    /** /health says degraded when UPLOAD_DIR or RESUME_DIR has less free space. */
    diskMinFreeBytes: number;
  };
  spas: { maxPerEmployer: number };
  seedDemoData: boolean;
  views: { flushIntervalMs: number };
  shutdownGraceMs: number;
  /** Base of the links in mails (PUBLIC_URL). */
  publicUrl: string;
  mail: MailConfig;
  queue: QueueConfig;
  /** JOB_TTL_DAYS: the expiry of a job posted without one, and of a renewed job. */
  jobs: { ttlDays: number };
  /** Saved searches per job seeker (MAX_SAVED_SEARCHES). */
  savedSearches: { maxPerUser: number };
  /** Data exports (DATA_EXPORT_TTL_HOURS, DATA_EXPORT_DAILY_LIMIT). */
  privacy: { exportTtlHours: number; exportsPerDay: number };
}

export interface MailConfig {
  /** smtp:// or smtps:// (nodemailer); unset: every message goes to `outboxDir` as .eml. */
  url?: string;
  from: string;
  outboxDir: string;
}

export interface QueueConfig {
  /** Run the job handlers in this process (WORKERS_ENABLED); sending works either way. */
  workersEnabled: boolean;
  retryLimit: number;
  retryDelaySeconds: number;
  retryDelayMaxSeconds: number;
  pollIntervalSeconds: number;
  batchSize: number;
}

const LOG_LEVEL_MAP: Record<EnvironmentVariables['LOG_LEVEL'], LogLevel> = {
  DEBUG: 'debug',
  INFO: 'info',
  WARNING: 'warn',
  ERROR: 'error',
  CRITICAL: 'fatal',
};

/** REDIS_CLUSTER_NODES as host/port pairs (its shape is checked by the schema, the ports here). */
function redisClusterNodes(value: string | undefined): RedisNode[] {
  return list(value).map((seed) => {
    const at = seed.lastIndexOf(':');
    const port = Number(seed.slice(at + 1));
    if (port < 1 || port > 65535) {
      throw new Error(
        `Invalid configuration:\n  - REDIS_CLUSTER_NODES: ${seed} has no valid port (1-65535)`,
      );
    }
    return { host: seed.slice(0, at), port };
  });
}

function list(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

/** proxy-addr's names for reserved ranges (never the public internet). */
const TRUST_PROXY_NAMES = ['loopback', 'linklocal', 'uniquelocal'];

function trustProxyError(problem: string): Error {
  return new Error(`Invalid configuration:\n  - TRUST_PROXY ${problem}`);
}

/** The prefix length of `mask` (a length or, for IPv4, a dotted netmask), or NaN when invalid. */
function prefixLength(mask: string, family: 4 | 6): number {
  if (/^\d{1,3}$/.test(mask)) return Number(mask) <= (family === 4 ? 32 : 128) ? Number(mask) : NaN;
  if (family !== 4 || isIP(mask) !== 4) return NaN;
  const bits = mask
    .split('.')
    .map((octet) => Number(octet).toString(2).padStart(8, '0'))
    .join('');
  return /^1*0*$/.test(bits) ? (bits.indexOf('0') === -1 ? 32 : bits.indexOf('0')) : NaN;
}

/**
 * One TRUST_PROXY entry: a name, an address or a subnet. A subnet that holds every IPv4 or IPv6
 * address (`0.0.0.0/0`, `::/0`, `::ffff:0:0/96`) is `true` in disguise: any client could pick
 * its address by sending X-Forwarded-For.
 */
function checkTrustedProxy(entry: string): void {
  if (TRUST_PROXY_NAMES.includes(entry.toLowerCase())) return;
  const [address, mask, extra] = entry.split('/');
  const family = isIP(address);
  if ((family !== 4 && family !== 6) || extra !== undefined) {
    throw trustProxyError(
      `has "${entry}", which is not an address, a subnet (10.0.0.0/8) or one of ${TRUST_PROXY_NAMES.join(', ')}`,
    );
  }
  if (mask === undefined) return;
  const prefix = prefixLength(mask, family);
  if (Number.isNaN(prefix)) throw trustProxyError(`has "${entry}", whose prefix is not valid`);
  const range = new BlockList();
  range.addSubnet(address, prefix, family === 4 ? 'ipv4' : 'ipv6');
  const everyIpv4 =
    family === 4
      ? prefix === 0
      : range.check('::ffff:0.0.0.0', 'ipv6') && range.check('::ffff:255.255.255.255', 'ipv6');
  if (prefix === 0 || everyIpv4) {
    throw trustProxyError(
      `has "${entry}", which trusts every address: any client could choose its IP with X-Forwarded-For; name the proxies (or their subnet) or give a hop count`,
    );
  }
}

export function parseTrustProxy(value: string): AppConfig['throttle']['trustProxy'] {
  const v = value.trim().toLowerCase();
  if (v === '' || v === 'false' || v === '0') return false;
  if (/^\d+$/.test(v)) return Number(v);
  if (v === 'true') {
    throw trustProxyError(
      'cannot be true: any client could choose its IP; give a hop count or the proxy addresses',
    );
  }
  const entries = list(value);
  entries.forEach(checkTrustedProxy);
  return entries;
}

function postgresUrl(env: EnvironmentVariables): string {
  if (env.DATABASE_URL) return env.DATABASE_URL;
  const auth = env.POSTGRES_PASSWORD
    ? `${encodeURIComponent(env.POSTGRES_USER)}:${encodeURIComponent(env.POSTGRES_PASSWORD)}`
    : encodeURIComponent(env.POSTGRES_USER);
  return `postgresql://${auth}@${env.POSTGRES_HOST}:${env.POSTGRES_PORT}/${encodeURIComponent(env.POSTGRES_DB)}`;
}

/**
 * Builds the typed configuration from raw environment variables. The only place
 * (with loadDotEnv) that reads the environment; a bad value throws naming the variable.
 */
/** True when `inner` is `outer` or lies below it. */
function within(inner: string, outer: string): boolean {
  const rel = relative(outer, inner);
  return rel === '' || (!rel.startsWith('..') && !rel.startsWith('/'));
}

export function loadConfig(rawEnv: Record<string, string | undefined> = process.env): AppConfig {
  const env = validateEnvironment(rawEnv);
  const isPostgres = env.DATABASE_TYPE === 'postgresql';
  if (within(resolve(env.RESUME_DIR), resolve(env.UPLOAD_DIR))) {
    throw new Error(
      'Invalid configuration:\n  - RESUME_DIR must not lie inside UPLOAD_DIR: everything under UPLOAD_DIR is public',
    );
  }
  return {
    env: env.NODE_ENV,
    port: env.PORT,
    host: env.HOST,
    database: {
      type: env.DATABASE_TYPE,
      dataDir: env.DATA_DIR === IN_MEMORY ? IN_MEMORY : resolve(env.DATA_DIR),
      url: isPostgres ? postgresUrl(env) : env.EMBEDDED_DATABASE_URL,
      replicaUrls: isPostgres ? list(env.DATABASE_REPLICA_URLS) : [],
      replicaPoolSize: env.DB_REPLICA_POOL_SIZE,
      replicaMaxLagMs: env.DB_REPLICA_MAX_LAG_MS,
      poolSize: env.DB_POOL_SIZE,
      maxOverflow: env.DB_MAX_OVERFLOW,
      recycleSeconds: env.DB_POOL_RECYCLE_SECONDS,
      poolTimeoutSeconds: env.DB_POOL_TIMEOUT_SECONDS,
      statementTimeoutMs: env.DB_STATEMENT_TIMEOUT_MS,
    },
    redis: redisConfig(env, rawEnv),
    cache: { ttlSeconds: env.CACHE_TTL_SECONDS },
    auth: {
      secretKey: env.SECRET_KEY ?? DEFAULT_SECRET_KEY,
      accessTokenMinutes: env.ACCESS_TOKEN_EXPIRE_MINUTES,
    },
    throttle: {
      enabled: env.RATE_LIMIT_ENABLED,
      perMinute: env.RATE_LIMIT_PER_MINUTE,
      perHour: env.RATE_LIMIT_PER_HOUR,
      loginPerMinute: env.LOGIN_RATE_LIMIT_PER_MINUTE,
      memoryMaxClients: env.RATE_LIMIT_MEMORY_MAX_CLIENTS,
      trustProxy: parseTrustProxy(env.TRUST_PROXY),
    },
    corsOrigins: list(env.CORS_ORIGINS),
    log: { level: LOG_LEVEL_MAP[env.LOG_LEVEL], file: env.LOG_FILE },
    webConcurrency: env.WEB_CONCURRENCY,
    workerMaxOldSpaceMb: env.WORKER_MAX_OLD_SPACE_MB,
    uploads: {
      publicDir: resolve(env.UPLOAD_DIR),
      resumeDir: resolve(env.RESUME_DIR),
      maxBytes: env.MAX_UPLOAD_MB * 1024 * 1024,
      dailyQuotaBytes: env.UPLOAD_DAILY_QUOTA_MB * 1024 * 1024,
      dailyQuotaFiles: env.UPLOAD_DAILY_QUOTA_FILES,
      diskMinFreeBytes: env.DISK_MIN_FREE_MB * 1024 * 1024,
    },
    spas: { maxPerEmployer: env.MAX_SPAS_PER_EMPLOYER },
    seedDemoData: env.SEED_DEMO_DATA ?? env.NODE_ENV !== 'production',
    views: { flushIntervalMs: env.VIEW_FLUSH_INTERVAL_MS },
    shutdownGraceMs: env.SHUTDOWN_GRACE_MS,
    publicUrl: (env.PUBLIC_URL ?? `http://localhost:${env.PORT}`).replace(/\/+$/, ''),
    mail: {
      url: env.MAIL_URL,
      from: env.MAIL_FROM,
      outboxDir: resolve(
        env.MAIL_OUTBOX_DIR ??
          (env.DATA_DIR === IN_MEMORY
            ? join(tmpdir(), 'spajobs-outbox')
            : join(env.DATA_DIR, 'outbox')),
      ),
    },
    queue: {
      workersEnabled: env.WORKERS_ENABLED,
      retryLimit: env.QUEUE_RETRY_LIMIT,
      retryDelaySeconds: env.QUEUE_RETRY_DELAY_SECONDS,
      retryDelayMaxSeconds: env.QUEUE_RETRY_DELAY_MAX_SECONDS,
      pollIntervalSeconds: env.QUEUE_POLL_INTERVAL_MS / 1000,
      batchSize: env.QUEUE_BATCH_SIZE,
    },
    jobs: { ttlDays: env.JOB_TTL_DAYS },
    savedSearches: { maxPerUser: env.MAX_SAVED_SEARCHES },
    privacy: {
      exportTtlHours: env.DATA_EXPORT_TTL_HOURS,
      exportsPerDay: env.DATA_EXPORT_DAILY_LIMIT,
    },
  };
}

/** Cluster seeds win over REDIS_URL: with both set, the cluster is used (see README). */
function redisConfig(
  env: EnvironmentVariables,
  rawEnv: Record<string, string | undefined>,
): RedisConfig {
  const clusterNodes = redisClusterNodes(env.REDIS_CLUSTER_NODES);
  return {
    enabled: env.REDIS_ENABLED ?? (clusterNodes.length > 0 || rawEnv.REDIS_URL !== undefined),
    url: env.REDIS_URL,
    clusterNodes,
    keyPrefix: env.REDIS_KEY_PREFIX,
  };
}

/** Loads `.env` from the working directory into process.env (existing variables win). */
export function loadDotEnv(path = '.env'): void {
  if (existsSync(path)) process.loadEnvFile(path);
}

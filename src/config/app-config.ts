import { existsSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import { validateEnvironment, type EnvironmentVariables } from './env.schema.js';

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
   * Accepted (validated) but not used: every read stays on the primary, because a cached read
   * taken from a lagging replica right after an invalidation would serve stale data for a TTL.
   */
  replicaUrls: string[];
  poolSize: number;
  maxOverflow: number;
  recycleSeconds: number;
  poolTimeoutSeconds: number;
  statementTimeoutMs: number;
}

export interface AppConfig {
  env: 'development' | 'production' | 'test';
  port: number;
  host: string;
  database: DatabaseConfig;
  redis: { enabled: boolean; url: string; keyPrefix: string };
  cache: { ttlSeconds: number };
  auth: { secretKey: string; accessTokenMinutes: number };
  throttle: {
    enabled: boolean;
    perMinute: number;
    perHour: number;
    loginPerMinute: number;
    /** Express "trust proxy" value: false, a hop count, or a list of addresses/subnets. */
    trustProxy: boolean | number | string[];
  };
  corsOrigins: string[];
  log: { level: LogLevel; file?: string };
  webConcurrency: number;
  uploads: { publicDir: string; resumeDir: string; maxBytes: number };
  seedDemoData: boolean;
  views: { flushIntervalMs: number };
  shutdownGraceMs: number;
}

const LOG_LEVEL_MAP: Record<EnvironmentVariables['LOG_LEVEL'], LogLevel> = {
  DEBUG: 'debug',
  INFO: 'info',
  WARNING: 'warn',
  ERROR: 'error',
  CRITICAL: 'fatal',
};

function list(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

export function parseTrustProxy(value: string): AppConfig['throttle']['trustProxy'] {
  const v = value.trim().toLowerCase();
  if (v === '' || v === 'false' || v === '0') return false;
  if (/^\d+$/.test(v)) return Number(v);
  if (v === 'true') {
    throw new Error(
      'Invalid configuration:\n  - TRUST_PROXY=true would let any client choose its IP; give a hop count or the proxy addresses',
    );
  }
  return list(value);
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
      poolSize: env.DB_POOL_SIZE,
      maxOverflow: env.DB_MAX_OVERFLOW,
      recycleSeconds: env.DB_POOL_RECYCLE_SECONDS,
      poolTimeoutSeconds: env.DB_POOL_TIMEOUT_SECONDS,
      statementTimeoutMs: env.DB_STATEMENT_TIMEOUT_MS,
    },
    redis: {
      enabled: env.REDIS_ENABLED ?? rawEnv.REDIS_URL !== undefined,
      url: env.REDIS_URL,
      keyPrefix: env.REDIS_KEY_PREFIX,
    },
    cache: { ttlSeconds: env.CACHE_TTL_SECONDS },
    auth: { secretKey: env.SECRET_KEY, accessTokenMinutes: env.ACCESS_TOKEN_EXPIRE_MINUTES },
    throttle: {
      enabled: env.RATE_LIMIT_ENABLED,
      perMinute: env.RATE_LIMIT_PER_MINUTE,
      perHour: env.RATE_LIMIT_PER_HOUR,
      loginPerMinute: env.LOGIN_RATE_LIMIT_PER_MINUTE,
      trustProxy: parseTrustProxy(env.TRUST_PROXY),
    },
    corsOrigins: list(env.CORS_ORIGINS),
    log: { level: LOG_LEVEL_MAP[env.LOG_LEVEL], file: env.LOG_FILE },
    webConcurrency: env.WEB_CONCURRENCY,
    uploads: {
      publicDir: resolve(env.UPLOAD_DIR),
      resumeDir: resolve(env.RESUME_DIR),
      maxBytes: env.MAX_UPLOAD_MB * 1024 * 1024,
    },
    seedDemoData: env.SEED_DEMO_DATA ?? env.NODE_ENV !== 'production',
    views: { flushIntervalMs: env.VIEW_FLUSH_INTERVAL_MS },
    shutdownGraceMs: env.SHUTDOWN_GRACE_MS,
  };
}

/** Loads `.env` from the working directory into process.env (existing variables win). */
export function loadDotEnv(path = '.env'): void {
  if (existsSync(path)) process.loadEnvFile(path);
}

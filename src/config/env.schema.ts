import { plainToInstance, Transform } from 'class-transformer';
import {
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
  MinLength,
  ValidateIf,
  validateSync,
  type ValidationError,
} from 'class-validator';

const BOOLEAN_WORDS: Record<string, boolean> = {
  true: true,
  '1': true,
  yes: true,
  on: true,
  false: false,
  '0': false,
  no: false,
  off: false,
};

/** Keeps an unparseable word as-is so that validation names the variable instead of guessing. */
const toBoolean = () =>
  Transform(({ value }: { value: unknown }) => {
    if (typeof value !== 'string') return value;
    const parsed = BOOLEAN_WORDS[value.trim().toLowerCase()];
    return parsed ?? value;
  });

const toInt = () =>
  Transform(({ value }: { value: unknown }) =>
    typeof value === 'string' && /^-?\d+$/.test(value.trim()) ? Number(value.trim()) : value,
  );

const emptyToUndefined = () =>
  Transform(({ value }: { value: unknown }) =>
    typeof value === 'string' && value.trim() === '' ? undefined : value,
  );

export const LOG_LEVELS = ['DEBUG', 'INFO', 'WARNING', 'ERROR', 'CRITICAL'] as const;
export const DEFAULT_SECRET_KEY = 'dev-only-secret-key-change-me-in-production';

/** Values that were ever printed in this repository (README, .env.example, tests): public. */
export const PUBLISHED_SECRET_KEYS: readonly string[] = [
  DEFAULT_SECRET_KEY,
  'change-me-to-a-long-random-string-of-32-or-more-chars',
  'test-secret-key-0123456789abcdef',
];

/** 32 bytes, what `randomBytes(32)` or `openssl rand -hex 32` gives. */
export const MIN_SECRET_KEY_BITS = 256;
/** A random key's characters are spread out; below this (bits per character) it is repetitive. */
const MIN_SECRET_KEY_SHANNON = 3;

/** base64 or base64url, padding allowed: what `openssl rand -base64` and `randomBytes` print. */
const BASE64 = /^([A-Za-z0-9+/]+={0,2}|[A-Za-z0-9_-]+)$/;

/**
 * Entropy of a key as `length × log2(alphabet)`: the most a random string of that shape can
 * hold. The alphabet is 16 for a hex string, 64 for base64(url) text with both letter cases,
 * else the sum of the character classes it uses (26 lower-case, 26 upper-case, 10 digits,
 * 33 others). So 64 hex digits (256 bits) and 43 base64url characters (258) pass, shorter ones
 * do not. A repetitive value ("aaaa…", "abab…", a word repeated) would pass that count, so when
 * its Shannon entropy (bits per character, from its own character frequencies) is under 3 —
 * random keys have ~4 (hex) to ~5 (base64) — that is the estimate instead: length × Shannon.
 */
export function secretKeyBits(value: string): number {
  const chars = [...value];
  if (chars.length === 0) return 0;
  const counts = new Map<string, number>();
  for (const c of chars) counts.set(c, (counts.get(c) ?? 0) + 1);
  let shannon = 0;
  for (const n of counts.values()) shannon -= (n / chars.length) * Math.log2(n / chars.length);
  if (shannon < MIN_SECRET_KEY_SHANNON) return Math.floor(shannon * chars.length);
  const alphabet = /^([0-9a-f]+|[0-9A-F]+)$/.test(value)
    ? 16
    : BASE64.test(value) && /[a-z]/.test(value) && /[A-Z]/.test(value)
      ? 64
      : (/[a-z]/.test(value) ? 26 : 0) +
        (/[A-Z]/.test(value) ? 26 : 0) +
        (/[0-9]/.test(value) ? 10 : 0) +
        (/[^a-zA-Z0-9]/.test(value) ? 33 : 0);
  return Math.floor(chars.length * Math.log2(alphabet));
}

const GENERATE_SECRET_KEY = `node -e "console.log(require('crypto').randomBytes(32).toString('base64url'))"`;

/** Why a SECRET_KEY may not sign production tokens, or undefined when it may. */
export function productionSecretKeyProblem(value: string): string | undefined {
  const fix = `; generate one with: ${GENERATE_SECRET_KEY}`;
  if (PUBLISHED_SECRET_KEYS.includes(value)) {
    return `SECRET_KEY is a published value (the development default or an example) and cannot be used when NODE_ENV=production${fix}`;
  }
  if (/change-?me/i.test(value)) {
    return `SECRET_KEY is a placeholder (it contains "change-me") and cannot be used when NODE_ENV=production${fix}`;
  }
  const bits = secretKeyBits(value);
  if (bits < MIN_SECRET_KEY_BITS) {
    return `SECRET_KEY is too guessable for NODE_ENV=production: about ${bits} bits of entropy, ${MIN_SECRET_KEY_BITS} (32 random bytes) needed${fix}`;
  }
  return undefined;
}

/**
 * Every variable the service reads, with its default. Names follow the seed
 * (see API.md, Configuration); the few extra ones are documented in the README.
 */
export class EnvironmentVariables {
  @IsIn(['development', 'production', 'test'])
  NODE_ENV: 'development' | 'production' | 'test' = 'development';

  @toInt()
  @IsInt()
  @Min(1)
  @Max(65535)
  PORT = 8010;

  @IsString()
  @MinLength(1)
  HOST = '0.0.0.0';

  @Transform(({ value }: { value: unknown }) =>
    typeof value === 'string' ? value.trim().toLowerCase() : value,
  )
  @IsIn(['pglite', 'postgresql'])
  DATABASE_TYPE: 'pglite' | 'postgresql' = 'pglite';

  @IsString()
  @MinLength(1)
  DATA_DIR = './data';

  /** Set by the cluster primary for its workers: the embedded server it already runs. */
  @emptyToUndefined()
  @IsOptional()
  @Matches(/^postgres(ql)?:\/\/\S+$/)
  EMBEDDED_DATABASE_URL?: string;

  @emptyToUndefined()
  @IsOptional()
  @Matches(/^postgres(ql)?:\/\/\S+$/, {
    message: 'DATABASE_URL must be a postgres:// or postgresql:// URL',
  })
  DATABASE_URL?: string;

  @IsString() POSTGRES_USER = 'postgres';
  @IsString() POSTGRES_PASSWORD = '';
  @IsString() @MinLength(1) POSTGRES_DB = 'spajobs';
  @IsString() @MinLength(1) POSTGRES_HOST = 'localhost';
  @toInt() @IsInt() @Min(1) @Max(65535) POSTGRES_PORT = 5432;

  @emptyToUndefined()
  @IsOptional()
  @Matches(/^postgres(ql)?:\/\/\S+(,\s*postgres(ql)?:\/\/\S+)*$/, {
    message: 'DATABASE_REPLICA_URLS must be a comma-separated list of postgres:// URLs',
  })
  DATABASE_REPLICA_URLS?: string;

  @toInt() @IsInt() @Min(1) @Max(1000) DB_POOL_SIZE = 20;
  @toInt() @IsInt() @Min(0) @Max(1000) DB_MAX_OVERFLOW = 40;
  @toInt() @IsInt() @Min(0) @Max(86400) DB_POOL_RECYCLE_SECONDS = 3600;
  @toInt() @IsInt() @Min(1) @Max(600) DB_POOL_TIMEOUT_SECONDS = 30;
  @toInt() @IsInt() @Min(0) @Max(3_600_000) DB_STATEMENT_TIMEOUT_MS = 30_000;
  /** Connections each process keeps at most to each replica of DATABASE_REPLICA_URLS. */
  @toInt() @IsInt() @Min(1) @Max(1000) DB_REPLICA_POOL_SIZE = 10;
  /** A replica further behind the primary than this is not read from. */
  @toInt() @IsInt() @Min(100) @Max(3_600_000) DB_REPLICA_MAX_LAG_MS = 30_000;

  @emptyToUndefined()
  @IsOptional()
  @toBoolean()
  @IsIn([true, false], {
    message: 'REDIS_ENABLED must be true or false',
  })
  REDIS_ENABLED?: boolean;

  @Matches(/^rediss?:\/\/\S+$/, { message: 'REDIS_URL must be a redis:// or rediss:// URL' })
  REDIS_URL = 'redis://127.0.0.1:6379';

  /** Comma-separated host:port seeds of a Redis Cluster; when set, REDIS_URL is not used. */
  @emptyToUndefined()
  @IsOptional()
  @Matches(/^\s*[A-Za-z0-9.-]+:\d{1,5}\s*(,\s*[A-Za-z0-9.-]+:\d{1,5}\s*)*$/, {
    message: 'REDIS_CLUSTER_NODES must be comma-separated host:port pairs (10.0.0.1:6379,...)',
  })
  REDIS_CLUSTER_NODES?: string;

  @IsString()
  @Matches(/^[A-Za-z0-9:_-]{0,40}$/, {
    message: 'REDIS_KEY_PREFIX may hold only letters, digits, ":", "_" and "-" (40 at most)',
  })
  REDIS_KEY_PREFIX = 'spajobs:';

  @toInt() @IsInt() @Min(1) @Max(86400) CACHE_TTL_SECONDS = 300;

  /** Unset (or empty, as .env.example leaves it): the development default, refused in production. */
  @emptyToUndefined()
  @IsOptional()
  @IsString()
  @MinLength(16, { message: 'SECRET_KEY must be at least 16 characters long' })
  SECRET_KEY?: string;

  @toInt() @IsInt() @Min(1) @Max(10080) ACCESS_TOKEN_EXPIRE_MINUTES = 30;

  @toBoolean()
  @IsIn([true, false], { message: 'RATE_LIMIT_ENABLED must be true or false' })
  RATE_LIMIT_ENABLED = true;

  @toInt() @IsInt() @Min(1) @Max(1_000_000) RATE_LIMIT_PER_MINUTE = 60;
  @toInt() @IsInt() @Min(1) @Max(10_000_000) RATE_LIMIT_PER_HOUR = 1000;
  @toInt() @IsInt() @Min(1) @Max(10_000) LOGIN_RATE_LIMIT_PER_MINUTE = 10;
  @toInt() @IsInt() @Min(100) @Max(10_000_000) RATE_LIMIT_MEMORY_MAX_CLIENTS = 100_000;

  @IsString()
  @MaxLength(2000)
  TRUST_PROXY = '';

  @IsString()
  @MaxLength(4000)
  CORS_ORIGINS = '';

  @Transform(({ value }: { value: unknown }) =>
    typeof value === 'string' ? value.trim().toUpperCase() : value,
  )
  @IsIn(LOG_LEVELS)
  LOG_LEVEL: (typeof LOG_LEVELS)[number] = 'INFO';

  @emptyToUndefined()
  @IsOptional()
  @IsString()
  LOG_FILE?: string;

  @toInt() @IsInt() @Min(1) @Max(64) WEB_CONCURRENCY = 1;
  /** Each cluster worker's `--max-old-space-size` (0: V8's own, from the machine's memory). */
  @toInt()
  @IsInt()
  @ValidateIf((env: EnvironmentVariables) => env.WORKER_MAX_OLD_SPACE_MB !== 0)
  @Min(256)
  @Max(65_536)
  WORKER_MAX_OLD_SPACE_MB = 512;

  @IsString() @MinLength(1) UPLOAD_DIR = './uploads';
  @IsString() @MinLength(1) RESUME_DIR = './data/resumes';
  @toInt() @IsInt() @Min(1) @Max(100) MAX_UPLOAD_MB = 10;
  @toInt() @IsInt() @Min(1) @Max(1_000_000) UPLOAD_DAILY_QUOTA_MB = 50;
  @toInt() @IsInt() @Min(1) @Max(1_000_000) UPLOAD_DAILY_QUOTA_FILES = 100;
  @toInt() @IsInt() @Min(0) @Max(10_000_000) DISK_MIN_FREE_MB = 512;
  @toInt() @IsInt() @Min(1) @Max(100_000) MAX_SPAS_PER_EMPLOYER = 10;

  @emptyToUndefined()
  @IsOptional()
  @toBoolean()
  @IsIn([true, false], {
    message: 'SEED_DEMO_DATA must be true or false',
  })
  SEED_DEMO_DATA?: boolean;

  @toInt() @IsInt() @Min(100) @Max(600_000) VIEW_FLUSH_INTERVAL_MS = 1_000;
  @toInt() @IsInt() @Min(0) @Max(600_000) SHUTDOWN_GRACE_MS = 5_000;

  /** Unset: every mail is written to MAIL_OUTBOX_DIR as an .eml file (the embedded default). */
  @emptyToUndefined()
  @IsOptional()
  @Matches(/^smtps?:\/\/\S+$/, { message: 'MAIL_URL must be an smtp:// or smtps:// URL' })
  MAIL_URL?: string;

  @IsString()
  @Matches(/^([^<>\r\n]*<[^\s@<>]+@[^\s@<>]+>|[^\s@<>]+@[^\s@<>]+)$/, {
    message: 'MAIL_FROM must be an address (no-reply@example.com) or "Name <no-reply@example.com>"',
  })
  MAIL_FROM = 'spajobs <no-reply@spajobs.local>';

  /** Unset: DATA_DIR/outbox (a temporary directory when DATA_DIR is memory://). */
  @emptyToUndefined()
  @IsOptional()
  @IsString()
  @MinLength(1)
  MAIL_OUTBOX_DIR?: string;

  /** Unset: http://localhost:PORT. The base of every link in a mail. */
  @emptyToUndefined()
  @IsOptional()
  @Matches(/^https?:\/\/[^\s/]+(\/\S*)?$/, {
    message: 'PUBLIC_URL must be an http:// or https:// URL',
  })
  PUBLIC_URL?: string;

  @toBoolean()
  @IsIn([true, false], { message: 'WORKERS_ENABLED must be true or false' })
  WORKERS_ENABLED = true;

  @toInt() @IsInt() @Min(0) @Max(100) QUEUE_RETRY_LIMIT = 10;
  @toInt() @IsInt() @Min(1) @Max(3600) QUEUE_RETRY_DELAY_SECONDS = 10;
  @toInt() @IsInt() @Min(1) @Max(86_400) QUEUE_RETRY_DELAY_MAX_SECONDS = 900;
  @toInt() @IsInt() @Min(500) @Max(60_000) QUEUE_POLL_INTERVAL_MS = 2000;
  @toInt() @IsInt() @Min(1) @Max(100) QUEUE_BATCH_SIZE = 10;

  /** How long a job without an explicit expiresAt stays open (and what a renewal adds). */
  @toInt() @IsInt() @Min(1) @Max(365) JOB_TTL_DAYS = 30;
  @toInt() @IsInt() @Min(1) @Max(1000) MAX_SAVED_SEARCHES = 10;
  /** Hours a prepared data export stays downloadable; then the hourly cleanup deletes it. */
  @toInt() @IsInt() @Min(24) @Max(720) DATA_EXPORT_TTL_HOURS = 72;
  /** Data exports an account may have prepared per rolling 24 hours (past it: 429). */
  @toInt() @IsInt() @Min(1) @Max(100) DATA_EXPORT_DAILY_LIMIT = 3;
}

function describe(errors: ValidationError[]): string[] {
  return errors.flatMap((e) => {
    const received = e.value === undefined ? '' : ` (got ${JSON.stringify(e.value)})`;
    return Object.values(e.constraints ?? {}).map((msg) => `${msg}${received}`);
  });
}

/** Validates raw environment strings; throws one error that names every bad variable. */
export function validateEnvironment(env: Record<string, string | undefined>): EnvironmentVariables {
  const known = Object.keys(new EnvironmentVariables());
  const raw: Record<string, string> = {};
  for (const key of [
    ...known,
    'EMBEDDED_DATABASE_URL',
    'DATABASE_URL',
    'DATABASE_REPLICA_URLS',
    'SECRET_KEY',
    'REDIS_ENABLED',
    'REDIS_CLUSTER_NODES',
    'LOG_FILE',
    'SEED_DEMO_DATA',
    'MAIL_URL',
    'MAIL_OUTBOX_DIR',
    'PUBLIC_URL',
  ]) {
    const value = env[key];
    if (value !== undefined) raw[key] = value;
  }
  const parsed = plainToInstance(EnvironmentVariables, raw, { exposeDefaultValues: true });
  const errors = validateSync(parsed, { skipMissingProperties: false });
  const problems = describe(errors);
  if (parsed.NODE_ENV === 'production') {
    const secretProblem =
      parsed.SECRET_KEY === undefined
        ? `SECRET_KEY must be set when NODE_ENV=production; generate one with: ${GENERATE_SECRET_KEY}`
        : typeof parsed.SECRET_KEY === 'string'
          ? productionSecretKeyProblem(parsed.SECRET_KEY)
          : undefined;
    if (secretProblem) problems.push(secretProblem);
  }
  if (parsed.NODE_ENV === 'production' && parsed.SEED_DEMO_DATA === true) {
    problems.push(
      'SEED_DEMO_DATA must not be true when NODE_ENV=production (demo accounts have known passwords)',
    );
  }
  if (problems.length > 0) {
    throw new Error(`Invalid configuration:\n  - ${problems.join('\n  - ')}`);
  }
  return parsed;
}

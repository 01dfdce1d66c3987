import { loadConfig, parseTrustProxy } from './app-config.js';
import { DEFAULT_SECRET_KEY } from './env.schema.js';

describe('loadConfig', () => {
  it('applies the seed defaults', () => {
    const c = loadConfig({});
    expect(c.port).toBe(8010);
    expect(c.database).toMatchObject({
      type: 'pglite',
      poolSize: 20,
      maxOverflow: 40,
      recycleSeconds: 3600,
      poolTimeoutSeconds: 30,
    });
    expect(c.throttle).toMatchObject({
      enabled: true,
      perMinute: 60,
      perHour: 1000,
      trustProxy: false,
    });
    expect(c.cache.ttlSeconds).toBe(300);
    expect(c.auth.accessTokenMinutes).toBe(30);
    expect(c.uploads.maxBytes).toBe(10 * 1024 * 1024);
    expect(c.redis.enabled).toBe(false);
    expect(c.log.level).toBe('info');
    expect(c.webConcurrency).toBe(1);
  });

  it.each([
    ['PORT', 'eighty'],
    ['PORT', '70000'],
    ['DATABASE_TYPE', 'sqlite'],
    ['DB_POOL_SIZE', '0'],
    ['DB_POOL_SIZE', '12abc'],
    ['RATE_LIMIT_ENABLED', 'maybe'],
    ['REDIS_ENABLED', 'perhaps'],
    ['LOG_LEVEL', 'LOUD'],
    ['DATABASE_URL', 'mysql://x'],
    ['REDIS_URL', 'http://redis'],
    ['MAX_UPLOAD_MB', '-1'],
    ['WEB_CONCURRENCY', '0'],
    ['SECRET_KEY', 'short'],
  ])('refuses %s=%s naming the variable', (name, value) => {
    expect(() => loadConfig({ [name]: value })).toThrow(new RegExp(`\\b${name}\\b`));
  });

  it('lists every bad variable at once', () => {
    expect(() => loadConfig({ PORT: 'x', DB_POOL_SIZE: 'y' })).toThrow(
      /PORT[\s\S]*DB_POOL_SIZE|DB_POOL_SIZE[\s\S]*PORT/,
    );
  });

  it('refuses production with a missing, default or short SECRET_KEY', () => {
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(/SECRET_KEY/);
    expect(() => loadConfig({ NODE_ENV: 'production', SECRET_KEY: DEFAULT_SECRET_KEY })).toThrow(
      /SECRET_KEY/,
    );
    expect(() => loadConfig({ NODE_ENV: 'production', SECRET_KEY: 'a'.repeat(20) })).toThrow(
      /SECRET_KEY/,
    );
    const c = loadConfig({ NODE_ENV: 'production', SECRET_KEY: 'a'.repeat(40) });
    expect(c.seedDemoData).toBe(false);
  });

  it('refuses demo data (known passwords) in production', () => {
    expect(() =>
      loadConfig({ NODE_ENV: 'production', SECRET_KEY: 'a'.repeat(40), SEED_DEMO_DATA: 'true' }),
    ).toThrow(/SEED_DEMO_DATA/);
  });

  it('builds the PostgreSQL URL from POSTGRES_* when DATABASE_URL is absent', () => {
    const c = loadConfig({
      DATABASE_TYPE: 'postgresql',
      POSTGRES_USER: 'app',
      POSTGRES_PASSWORD: 'p@ss word',
      POSTGRES_HOST: 'db',
      POSTGRES_PORT: '6543',
      POSTGRES_DB: 'spajobs',
    });
    expect(c.database.url).toBe('postgresql://app:p%40ss%20word@db:6543/spajobs');
  });

  it('refuses a RESUME_DIR inside the public UPLOAD_DIR', () => {
    expect(() => loadConfig({ UPLOAD_DIR: '/srv/up', RESUME_DIR: '/srv/up/resumes' })).toThrow(
      /RESUME_DIR/,
    );
    expect(() => loadConfig({ UPLOAD_DIR: '/srv/up', RESUME_DIR: '/srv/up' })).toThrow(
      /RESUME_DIR/,
    );
    expect(
      loadConfig({ UPLOAD_DIR: '/srv/up', RESUME_DIR: '/srv/upload-private' }).uploads.resumeDir,
    ).toBe('/srv/upload-private');
  });

  it('turns Redis on when REDIS_URL is given, unless REDIS_ENABLED=false', () => {
    expect(loadConfig({ REDIS_URL: 'redis://r:6379' }).redis.enabled).toBe(true);
    expect(loadConfig({ REDIS_URL: 'redis://r:6379', REDIS_ENABLED: 'false' }).redis.enabled).toBe(
      false,
    );
  });
});

describe('parseTrustProxy', () => {
  it('accepts off, a hop count or addresses, never "true"', () => {
    expect(parseTrustProxy('')).toBe(false);
    expect(parseTrustProxy('1')).toBe(1);
    expect(parseTrustProxy('loopback, 10.0.0.0/8')).toEqual(['loopback', '10.0.0.0/8']);
    expect(() => parseTrustProxy('true')).toThrow(/TRUST_PROXY/);
  });
});

import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { loadConfig, parseTrustProxy } from './app-config.js';
import { DEFAULT_SECRET_KEY, secretKeyBits } from './env.schema.js';

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
    expect(c.workerMaxOldSpaceMb).toBe(512);
  });

  it('takes WORKER_MAX_OLD_SPACE_MB as 0 (V8 decides) or a limit of 256 MB and up', () => {
    expect(loadConfig({ WORKER_MAX_OLD_SPACE_MB: '0' }).workerMaxOldSpaceMb).toBe(0);
    expect(loadConfig({ WORKER_MAX_OLD_SPACE_MB: '1024' }).workerMaxOldSpaceMb).toBe(1024);
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
    ['WORKER_MAX_OLD_SPACE_MB', '128'],
    ['WORKER_MAX_OLD_SPACE_MB', 'lots'],
    ['SECRET_KEY', 'short'],
  ])('refuses %s=%s naming the variable', (name, value) => {
    expect(() => loadConfig({ [name]: value })).toThrow(new RegExp(`\\b${name}\\b`));
  });

  it('lists every bad variable at once', () => {
    expect(() => loadConfig({ PORT: 'x', DB_POOL_SIZE: 'y' })).toThrow(
      /PORT[\s\S]*DB_POOL_SIZE|DB_POOL_SIZE[\s\S]*PORT/,
    );
  });

  describe('SECRET_KEY', () => {
    const production = (SECRET_KEY?: string) =>
      loadConfig({ NODE_ENV: 'production', ...(SECRET_KEY === undefined ? {} : { SECRET_KEY }) });
    const exampleValue = /^SECRET_KEY=(.*)$/m.exec(
      readFileSync(new URL('../../.env.example', import.meta.url), 'utf8'),
    )?.[1];

    it('.env.example leaves it empty and says how to generate one', () => {
      const example = readFileSync(new URL('../../.env.example', import.meta.url), 'utf8');
      expect(exampleValue).toBe('');
      expect(example).toMatch(/randomBytes\(32\)|openssl rand/);
    });

    it('uses the development default when unset or empty, outside production', () => {
      expect(loadConfig({}).auth.secretKey).toBe(DEFAULT_SECRET_KEY);
      expect(loadConfig({ SECRET_KEY: '' }).auth.secretKey).toBe(DEFAULT_SECRET_KEY);
      expect(loadConfig({ SECRET_KEY: 'a-dev-key-of-some-length' }).auth.secretKey).toBe(
        'a-dev-key-of-some-length',
      );
    });

    it.each([
      ['missing', undefined, /SECRET_KEY must be set/],
      ['empty (as in .env.example)', '', /SECRET_KEY must be set/],
      ['the development default', DEFAULT_SECRET_KEY, /published/],
      [
        'the old .env.example value',
        'change-me-to-a-long-random-string-of-32-or-more-chars',
        /published/,
      ],
      ['the test suite key', 'test-secret-key-0123456789abcdef', /published/],
      ['a change-me placeholder', `${randomBytes(32).toString('hex')}-CHANGE-ME`, /change-me/],
      ['a changeme placeholder', `Changeme${randomBytes(32).toString('base64url')}`, /change-me/],
      ['one repeated character', 'a'.repeat(64), /entropy/],
      ['two alternating characters', 'ab'.repeat(40), /entropy/],
      ['a repeated word', 'password1'.repeat(8), /entropy/],
      ['a long phrase of lower-case words', 'mysupersecretkeyforproductionenvironment', /entropy/],
      ['31 random bytes in hex', randomBytes(31).toString('hex'), /entropy/],
      ['16 random bytes in base64url', randomBytes(16).toString('base64url'), /entropy/],
    ])('refuses production with a SECRET_KEY that is %s', (_, value, message) => {
      expect(() => production(value)).toThrow(/SECRET_KEY/);
      expect(() => production(value)).toThrow(message);
      // the message tells how to make a good one
      expect(() => production(value)).toThrow(/randomBytes\(32\)/);
    });

    it('accepts 32 random bytes as `openssl rand -hex 32`, `-base64 32` or base64url', () => {
      for (let i = 0; i < 200; i++) {
        for (const key of [
          randomBytes(32).toString('hex'),
          randomBytes(32).toString('hex').toUpperCase(),
          randomBytes(32).toString('base64'),
          randomBytes(32).toString('base64url'),
        ]) {
          expect(production(key).auth.secretKey).toBe(key);
        }
      }
      expect(production(randomBytes(32).toString('base64url')).seedDemoData).toBe(false);
    });

    it('estimates entropy as length × log2(alphabet), judging repetitive values by Shannon', () => {
      expect(secretKeyBits('0123456789abcdef'.repeat(4))).toBe(256);
      expect(secretKeyBits('Ab1!'.repeat(10))).toBe(80);
      expect(secretKeyBits('a'.repeat(64))).toBe(0);
      expect(secretKeyBits('')).toBe(0);
    });
  });

  it('refuses demo data (known passwords) in production', () => {
    expect(() =>
      loadConfig({
        NODE_ENV: 'production',
        SECRET_KEY: randomBytes(32).toString('base64url'),
        SEED_DEMO_DATA: 'true',
      }),
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

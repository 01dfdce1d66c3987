import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Test } from '@nestjs/testing';
import type { NestExpressApplication } from '@nestjs/platform-express';
import request from 'supertest';
import type TestAgent from 'supertest/lib/agent.js';
import { DataSource } from 'typeorm';
import { AppModule } from '../../src/app.module.js';
import { setupApp } from '../../src/app.setup.js';
import { loadConfig, type AppConfig } from '../../src/config/app-config.js';
import { createTestDatabase } from './test-database.js';

export interface TestApp {
  app: NestExpressApplication;
  http: TestAgent;
  config: AppConfig;
  db: DataSource;
  /** The env the app was built from (to boot a twin on the same database). */
  env: Record<string, string>;
  close(): Promise<void>;
}

export interface TestAppOptions {
  env?: Record<string, string>;
  /** Boot on the database (and files) of another test app instead of a fresh one. */
  shareWith?: TestApp;
}

/** A twin of an embedded-database app connects to the first app's embedded server. */
function embeddedServerOf(app: TestApp): Record<string, string> {
  return app.config.database.type === 'pglite'
    ? { EMBEDDED_DATABASE_URL: databaseUrlOf(app.db) }
    : {};
}

export function databaseUrlOf(db: DataSource): string {
  return (db.options as { url: string }).url;
}

/**
 * Boots the real AppModule with the same setupApp as main.ts and the real migrations, on a
 * fresh database (PGlite, or PostgreSQL when DATABASE_URL is set) and, when REDIS_URL is set,
 * with Redis. Rate limits and demo data are off unless a test turns them on.
 */
export async function createTestApp(options: TestAppOptions = {}): Promise<TestApp> {
  const shared = options.shareWith;
  const database = shared ? undefined : await createTestDatabase();
  const files = shared ? undefined : await mkdtemp(join(tmpdir(), 'spajobs-test-'));
  const env: Record<string, string> = shared
    ? { ...shared.env, ...embeddedServerOf(shared) }
    : {
        ...database!.env,
        NODE_ENV: 'test',
        LOG_LEVEL: 'ERROR',
        SEED_DEMO_DATA: 'false',
        RATE_LIMIT_ENABLED: 'false',
        // buffered views are written when a test flushes them, never in the middle of its
        // "nothing was written" snapshots (production flushes every second)
        VIEW_FLUSH_INTERVAL_MS: '600000',
        UPLOAD_DIR: join(files!, 'uploads'),
        RESUME_DIR: join(files!, 'resumes'),
        // mails of apps without MAIL_URL land beside the test's files, removed with them
        MAIL_OUTBOX_DIR: join(files!, 'outbox'),
        SECRET_KEY: 'test-secret-key-0123456789abcdef',
        // With REDIS_URL (CI) every app uses that Redis, under a key prefix of its own.
        ...(process.env.REDIS_URL ? { REDIS_URL: process.env.REDIS_URL } : {}),
        REDIS_KEY_PREFIX: `t${randomBytes(4).toString('hex')}:`,
        // suites create many spas and files per account; the limits' own tests set them low
        MAX_SPAS_PER_EMPLOYER: '100000',
        UPLOAD_DAILY_QUOTA_FILES: '1000000',
        UPLOAD_DAILY_QUOTA_MB: '1000000',
      };
  Object.assign(env, options.env);
  const config = loadConfig(env);

  const moduleRef = await Test.createTestingModule({
    imports: [AppModule.forRoot(config)],
  }).compile();
  const app = moduleRef.createNestApplication<NestExpressApplication>({ bufferLogs: true });
  setupApp(app, config);
  await app.init();

  let closed = false;
  return {
    app,
    http: request(app.getHttpServer()),
    config,
    db: app.get(DataSource),
    env,
    async close() {
      if (closed) return;
      closed = true;
      await app.close();
      await database?.drop();
      if (files) await rm(files, { recursive: true, force: true });
    },
  };
}

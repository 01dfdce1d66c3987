import type { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver.js';
import { loadConfig } from '../../src/config/app-config.js';
import { openDataSource, MIGRATIONS } from '../../src/database/data-source.js';
import { createTestApp, databaseUrlOf, type TestApp } from '../support/create-test-app.js';
import { createTestDatabase, onPostgres } from '../support/test-database.js';

/** The seed guide's indexes (by name) and the ones our listing and search queries need. */
const REQUIRED_INDEXES = [
  'idx_jobs_spa_id',
  'idx_jobs_city_id',
  'idx_jobs_state_id',
  'idx_jobs_is_active',
  'idx_jobs_is_featured',
  'idx_jobs_created_at',
  'idx_jobs_view_count',
  'idx_spas_city_id',
  'idx_spas_state_id',
  'idx_spas_is_active',
  'idx_spas_rating',
  'idx_users_email',
  'idx_users_role',
  'uq_users_email',
  'idx_jobs_category_id',
  'idx_jobs_city_category',
  'idx_jobs_salary',
  'idx_jobs_search',
  'idx_spas_search',
  'uq_jobs_slug',
  'uq_spas_slug',
  'uq_applications_job_applicant',
];

describe('database foundation', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  it('has every seed index, and full-text indexes are GIN', async () => {
    const rows: Array<{ indexname: string; indexdef: string }> = await t.db.query(
      `SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public'`,
    );
    const names = rows.map((r) => r.indexname);
    expect(names).toEqual(expect.arrayContaining(REQUIRED_INDEXES));
    const def = (name: string) => rows.find((r) => r.indexname === name)!.indexdef;
    expect(def('idx_jobs_search')).toMatch(/USING gin \(search_vector\)/);
    expect(def('uq_users_email')).toMatch(/UNIQUE INDEX .* \(lower\(\(email\)::text\)\)/);
  });

  it('passes the seed pool settings to pg', () => {
    const pool = (t.db.driver as PostgresDriver).master as { options: Record<string, unknown> };
    expect(pool.options).toMatchObject({
      max: 60,
      min: 20,
      maxLifetimeSeconds: 3600,
      connectionTimeoutMillis: 30_000,
      idleTimeoutMillis: 30_000,
      keepAlive: true,
    });
    expect(t.db.options.isolationLevel).toBe('READ COMMITTED');
  });

  it.runIf(onPostgres())(
    'sets statement timeout and READ COMMITTED on PostgreSQL sessions',
    async () => {
      const [{ statement_timeout }] = await t.db.query(`SHOW statement_timeout`);
      expect(statement_timeout).toBe('30s');
      const [{ transaction_isolation }] = await t.db.query(`SHOW transaction_isolation`);
      expect(transaction_isolation).toBe('read committed');
    },
  );

  it.runIf(onPostgres())('replaces connections the server killed', async () => {
    await Promise.all(Array.from({ length: 5 }, () => t.http.get('/api/v1/states').expect(200)));
    await t.db.query(
      `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
       WHERE datname = current_database() AND pid <> pg_backend_pid() AND application_name = 'spajobs'`,
    );
    await new Promise((r) => setTimeout(r, 300));
    const results = await Promise.all(
      Array.from({ length: 10 }, () => t.http.get('/api/v1/states')),
    );
    expect(results.map((r) => r.status)).toEqual(Array(10).fill(200));
  });

  it('answers 503 when no connection frees up within DB_POOL_TIMEOUT_SECONDS', async () => {
    const tiny = await createTestApp({
      shareWith: t,
      env: { DB_POOL_SIZE: '1', DB_MAX_OVERFLOW: '0', DB_POOL_TIMEOUT_SECONDS: '1' },
    });
    const held = tiny.db.createQueryRunner();
    try {
      await held.connect(); // the pool's only connection
      const started = Date.now();
      const res = await tiny.http.get('/api/v1/cities?q=pool-timeout');
      expect(res.status).toBe(503);
      expect(res.body).toMatchObject({
        code: 'DATABASE_UNAVAILABLE',
        requestId: expect.any(String),
      });
      expect(res.headers['retry-after']).toBeDefined();
      expect(Date.now() - started).toBeLessThan(10_000);
    } finally {
      await held.release();
      await tiny.close();
    }
  });

  it('keeps concurrent transactions and parameterized queries apart on many connections', async () => {
    // On PGlite every connection shares one session: a transaction's simple queries must never
    // land between another connection's Parse and Execute.
    await t.db.query(`CREATE TABLE concurrency_probe (id serial PRIMARY KEY, n int NOT NULL)`);
    const results = await Promise.allSettled(
      Array.from({ length: 400 }, (_, i) =>
        i % 2 === 0
          ? t.db
              .query<Array<{ v: number }>>(`SELECT $1::int + 1 AS v`, [i])
              .then((rows) => rows[0].v === i + 1)
          : t.db.transaction(async (em) => {
              await em.query(`INSERT INTO concurrency_probe (n) VALUES ($1)`, [i]);
              return true;
            }),
      ),
    );
    expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
    expect(results.every((r) => r.status === 'fulfilled' && r.value)).toBe(true);
    const [{ count }] = await t.db.query(`SELECT count(*)::int AS count FROM concurrency_probe`);
    expect(count).toBe(200);
    await t.db.query(`DROP TABLE concurrency_probe`);
  });

  it('two concurrent migration runs both succeed and apply each migration once', async () => {
    const fresh = await createTestDatabase();
    const first = await openDataSource(
      loadConfig({ ...fresh.env, SECRET_KEY: 'x'.repeat(32) }).database,
    );
    try {
      // On PGlite the second source reaches the first one's embedded server, like a cluster worker.
      const env = onPostgres()
        ? fresh.env
        : { DATABASE_TYPE: 'pglite', EMBEDDED_DATABASE_URL: databaseUrlOf(first) };
      const db = loadConfig(env).database;
      const [a, b] = await Promise.all([
        openDataSource(db, { migrate: true }),
        openDataSource(db, { migrate: true }),
      ]);
      try {
        const rows: Array<{ name: string; n: string }> = await a.query(
          `SELECT name, count(*) AS n FROM migrations GROUP BY name ORDER BY name`,
        );
        expect(rows.map((r) => r.name).sort()).toEqual(MIGRATIONS.map((m) => new m().name).sort());
        expect(rows.every((r) => Number(r.n) === 1)).toBe(true);
        const [{ count }] = await b.query(`SELECT count(*)::int AS count FROM states`);
        expect(count).toBe(50);
      } finally {
        await a.destroy();
        await b.destroy();
      }
    } finally {
      await first.destroy();
      await fresh.drop();
    }
  });
});

import { createTestApp, databaseUrlOf, type TestApp } from '../support/create-test-app.js';
import { TcpProxy } from '../support/tcp-proxy.js';
import { waitFor } from '../support/wait.js';

describe('health probes', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  it('live is 200 and cheap', async () => {
    const res = await t.http.get('/health/live').expect(200);
    expect(res.body.status).toBe('ok');
    expect(res.headers['x-request-id']).toBeTruthy();
  });

  it('ready is 200 with the database up and every migration applied', async () => {
    const res = await t.http.get('/health/ready').expect(200);
    expect(res.body.status).toBe('ok');
    expect(res.body.details.database.status).toBe('up');
    expect(res.body.details.migrations.status).toBe('up');
  });

  it('/health reports every dependency', async () => {
    const res = await t.http.get('/health').expect(200);
    expect(Object.keys(res.body.details)).toEqual(
      expect.arrayContaining(['database', 'migrations', 'memory', 'disk']),
    );
  });

  it('/health reports free disk space under UPLOAD_DIR and RESUME_DIR, without paths', async () => {
    const res = await t.http.get('/health').expect(200);
    expect(res.body.details.disk).toEqual({
      status: 'up',
      uploadsFreeMb: expect.any(Number),
      resumesFreeMb: expect.any(Number),
      minFreeMb: 512,
    });
    expect(res.body.details.disk.uploadsFreeMb).toBeGreaterThan(512);
    expect(JSON.stringify(res.body)).not.toContain(t.config.uploads.publicDir);
  });

  it('says degraded below DISK_MIN_FREE_MB, and readiness stays up', async () => {
    const low = await createTestApp({ shareWith: t, env: { DISK_MIN_FREE_MB: '10000000' } });
    try {
      const full = await low.http.get('/health').expect(200);
      expect(full.body.status).toBe('degraded');
      expect(full.body.details.disk).toMatchObject({
        status: 'degraded',
        minFreeMb: 10_000_000,
        message: expect.stringContaining('DISK_MIN_FREE_MB'),
      });
      const ready = await low.http.get('/health/ready').expect(200);
      expect(ready.body.status).toBe('ok');
      expect(ready.body.details.disk).toBeUndefined();
    } finally {
      await low.close();
    }
  });

  it('probes live outside the /api prefix', async () => {
    await t.http.get('/api/v1/health/live').expect(404);
  });

  describe('when the database becomes unreachable', () => {
    let proxy: TcpProxy;
    let viaProxy: TestApp;

    beforeAll(async () => {
      const target = new URL(databaseUrlOf(t.db));
      proxy = new TcpProxy(target.hostname, Number(target.port || 5432));
      await proxy.start();
      viaProxy = await createTestApp({
        shareWith: t,
        env: {
          DATABASE_TYPE: 'postgresql',
          DATABASE_URL: proxy.route(databaseUrlOf(t.db)),
          DB_POOL_TIMEOUT_SECONDS: '2',
          DB_POOL_SIZE: '2',
          DB_MAX_OVERFLOW: '2',
        },
      });
    });
    afterAll(async () => {
      await proxy.start().catch(() => undefined);
      await viaProxy?.close();
      await proxy.stop();
    });

    it('answers 503 on readiness and on reads, then recovers by itself', async () => {
      const up = await viaProxy.http.get('/health/ready').expect(200);
      await proxy.stop();

      // one shape: the 503 is the error body, and its details are the report a 200 carries
      const down = await viaProxy.http.get('/health/ready');
      expect(down.status).toBe(503);
      expect(down.body).toEqual({
        statusCode: 503,
        error: 'Service Unavailable',
        message: expect.stringContaining('database'),
        code: 'NOT_READY',
        details: {
          status: 'error',
          info: { migrations: { status: 'up' } },
          error: { database: expect.objectContaining({ status: 'down' }) },
          details: {
            database: expect.objectContaining({ status: 'down' }),
            migrations: { status: 'up' },
          },
        },
        requestId: down.headers['x-request-id'],
      });
      expect(Object.keys(down.body.details).sort()).toEqual(Object.keys(up.body).sort());
      const database = expect.objectContaining({ status: 'up' });
      expect(up.body).toEqual({
        status: 'ok',
        info: { database, migrations: { status: 'up' } },
        error: {},
        details: { database, migrations: { status: 'up' } },
      });

      const read = await viaProxy.http.get('/api/v1/states');
      expect(read.status).toBe(503);
      expect(read.body.code).toBe('DATABASE_UNAVAILABLE');
      expect(read.headers['retry-after']).toBeDefined();
      expect(JSON.stringify(read.body)).not.toMatch(/ECONNREFUSED|127\.0\.0\.1|at /);

      await viaProxy.http.get('/health/live').expect(200);

      await proxy.start();
      const recovered = await waitFor(
        async () => (await viaProxy.http.get('/health/ready')).status === 200,
      );
      expect(recovered).toBe(true);
      const again = await viaProxy.http.get('/api/v1/states').expect(200);
      expect(again.body.data).toHaveLength(50);
    });
  });
});

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
      expect.arrayContaining(['database', 'migrations', 'memory']),
    );
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
      await viaProxy.http.get('/health/ready').expect(200);
      await proxy.stop();

      const down = await viaProxy.http.get('/health/ready');
      expect(down.status).toBe(503);
      expect(down.body.code).toBe('NOT_READY');
      expect(down.body.details.details.database.status).toBe('down');

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

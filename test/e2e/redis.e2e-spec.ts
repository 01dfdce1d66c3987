import { createTestApp, type TestApp } from '../support/create-test-app.js';
import { createSpa, createUser, type TestUser } from '../support/factories.js';
import { requireRedisServer, TestRedisServer } from '../support/redis-server.js';
import { waitFor } from '../support/wait.js';

const HAS_REDIS = requireRedisServer();

async function rateLimitKeys(redis: TestRedisServer): Promise<string[]> {
  return redis.command((c) => c.keys('*rl:*'));
}

describe.runIf(HAS_REDIS)('with Redis', () => {
  let redis: TestRedisServer;

  beforeAll(async () => {
    redis = await TestRedisServer.start();
  });
  afterAll(() => redis?.stop());

  describe('two app instances sharing Redis (and the database)', () => {
    let a: TestApp;
    let b: TestApp;
    let owner: TestUser;

    beforeAll(async () => {
      a = await createTestApp({
        env: { REDIS_URL: redis.url, RATE_LIMIT_ENABLED: 'true', RATE_LIMIT_PER_MINUTE: '1000' },
      });
      b = await createTestApp({ shareWith: a });
      owner = await createUser(a, 'employer');
    });
    afterAll(async () => {
      await b?.close();
      await a?.close();
    });

    it('enforce one rate-limit budget', async () => {
      const tight = { RATE_LIMIT_PER_MINUTE: '10', TRUST_PROXY: 'loopback' };
      const tightA = await createTestApp({ shareWith: a, env: tight });
      const tightB = await createTestApp({ shareWith: a, env: tight });
      try {
        const ip = '198.51.100.23';
        // the same client (a trusted proxy's X-Forwarded-For) alternates between the two instances
        const viaA = () => tightA.http.get('/api/v1/states').set('X-Forwarded-For', ip);
        const viaB = () => tightB.http.get('/api/v1/states').set('X-Forwarded-For', ip);
        for (let i = 0; i < 5; i++) {
          await viaA().expect(200);
          await viaB().expect(200);
        }
        await viaB().expect(429);
        await viaA().expect(429);
      } finally {
        await tightB.close();
        await tightA.close();
      }
    }, 60_000);

    it("see each other's writes on the very next read", async () => {
      const spa = await createSpa(a, owner, { name: 'Coherent Spa' });
      const first = await b.http.get(`/api/v1/spas/${spa.id}`).expect(200);
      expect(first.headers['x-cache']).toBe('MISS');
      expect((await b.http.get(`/api/v1/spas/${spa.id}`)).headers['x-cache']).toBe('HIT');

      await a.http
        .patch(`/api/v1/spas/${spa.id}`)
        .set('Authorization', owner.auth)
        .send({ name: 'Renamed Spa' })
        .expect(200);
      const after = await b.http.get(`/api/v1/spas/${spa.id}`).expect(200);
      expect(after.body.name).toBe('Renamed Spa');

      const list = await b.http.get('/api/v1/spas?limit=100').expect(200);
      expect(list.body.data.map((s: { id: number }) => s.id)).toContain(spa.id);
      await a.http.delete(`/api/v1/spas/${spa.id}`).set('Authorization', owner.auth).expect(204);
      const gone = await b.http.get('/api/v1/spas?limit=100').expect(200);
      expect(gone.body.data.map((s: { id: number }) => s.id)).not.toContain(spa.id);
      await b.http.get(`/api/v1/spas/${spa.id}`).expect(404);
    });

    it('keeps the cache and the rate-limit counters in Redis', async () => {
      const keys = await redis.command((c) => c.keys(`${a.config.redis.keyPrefix}*`));
      expect(keys.some((k) => k.includes('cache'))).toBe(true);
    });
  });

  describe('when Redis dies mid-run', () => {
    let t: TestApp;
    let owner: TestUser;

    beforeAll(async () => {
      t = await createTestApp({
        env: { REDIS_URL: redis.url, RATE_LIMIT_ENABLED: 'true', RATE_LIMIT_PER_MINUTE: '40' },
      });
      owner = await createUser(t, 'employer');
    });
    afterAll(() => t?.close());

    it('keeps answering from memory, keeps limiting, and uses Redis again once it is back', async () => {
      await t.http.get('/api/v1/states').expect(200);
      expect(await rateLimitKeys(redis)).not.toHaveLength(0);
      const spa = await createSpa(t, owner, { name: 'Outage Spa' });
      await t.http.get(`/api/v1/spas/${spa.id}`).expect(200);

      await redis.stop();

      // every request still succeeds, promptly
      for (let i = 0; i < 5; i++) await t.http.get('/api/v1/states').expect(200);
      await t.http.get(`/api/v1/spas/${spa.id}`).expect(200);
      const health = await t.http.get('/health').expect(200);
      expect(health.body.status).toBe('degraded');
      expect(health.body.details.redis.status).toBe('degraded');
      await t.http.get('/health/ready').expect(200);

      // writes stay visible to this process's next read
      await t.http
        .patch(`/api/v1/spas/${spa.id}`)
        .set('Authorization', owner.auth)
        .send({ name: 'Renamed In Outage' })
        .expect(200);
      expect((await t.http.get(`/api/v1/spas/${spa.id}`).expect(200)).body.name).toBe(
        'Renamed In Outage',
      );

      // limits keep applying, counted in memory
      let limitedAfter = 0;
      for (let i = 1; i <= 45; i++) {
        const res = await t.http.get('/api/v1/job-categories');
        if (res.status === 429) {
          limitedAfter = i;
          break;
        }
        expect(res.status).toBe(200);
      }
      expect(limitedAfter).toBeGreaterThan(0);

      await redis.start();
      const back = await waitFor(
        async () => (await t.http.get('/health')).body?.details?.redis?.status === 'up',
        15_000,
      );
      expect(back).toBe(true);
      // the restarted Redis is empty: counting starts afresh there (the memory window is left behind)
      await t.http.get('/api/v1/states').expect(200);
      expect(await rateLimitKeys(redis)).not.toHaveLength(0);
      // what was written during the outage is still what everyone reads
      expect((await t.http.get(`/api/v1/spas/${spa.id}`).expect(200)).body.name).toBe(
        'Renamed In Outage',
      );
    }, 90_000);
  });
});

describe.runIf(HAS_REDIS)('when Redis stalls (open connection, no answers)', () => {
  it('gives up on it within a bounded time per request, then uses it again', async () => {
    const redis = await TestRedisServer.start();
    const t = await createTestApp({
      env: { REDIS_URL: redis.url, RATE_LIMIT_ENABLED: 'true', RATE_LIMIT_PER_MINUTE: '1000' },
    });
    try {
      const owner = await createUser(t, 'employer');
      const spa = await createSpa(t, owner, { name: 'Stall Spa' });
      await t.http.get(`/api/v1/spas/${spa.id}`).expect(200);

      redis.pause();
      const durations: number[] = [];
      for (let i = 0; i < 10; i++) {
        const started = Date.now();
        await t.http.get(i % 2 ? '/api/v1/states' : `/api/v1/spas/${spa.id}`).expect(200);
        durations.push(Date.now() - started);
      }
      // each Redis call gives up after 250 ms, and the first timeout sets Redis aside for a while
      expect(Math.max(...durations)).toBeLessThan(2000);
      expect(durations.slice(1).every((ms) => ms < 500)).toBe(true);
      expect((await t.http.get('/health').expect(200)).body.details.redis.status).toBe('degraded');
      await t.http
        .patch(`/api/v1/spas/${spa.id}`)
        .set('Authorization', owner.auth)
        .send({ name: 'Renamed In Stall' })
        .expect(200);
      expect((await t.http.get(`/api/v1/spas/${spa.id}`).expect(200)).body.name).toBe(
        'Renamed In Stall',
      );

      redis.resume();
      const back = await waitFor(
        async () => (await t.http.get('/health')).body?.details?.redis?.status === 'up',
        15_000,
      );
      expect(back).toBe(true);
      // the write made while Redis stalled is what everyone reads now (versions bumped on recovery)
      expect((await t.http.get(`/api/v1/spas/${spa.id}`).expect(200)).body.name).toBe(
        'Renamed In Stall',
      );
      const before = await rateLimitKeys(redis);
      await t.http.get('/api/v1/job-categories').expect(200);
      expect(await rateLimitKeys(redis)).not.toHaveLength(0);
      expect(before.length).toBeGreaterThan(0);
    } finally {
      redis.resume();
      await t.close();
      await redis.stop();
    }
  }, 60_000);
});

describe.runIf(HAS_REDIS)('with Redis down at boot', () => {
  it('boots, serves from memory, and uses Redis once it comes up', async () => {
    const redis = await TestRedisServer.start();
    await redis.stop();
    const t = await createTestApp({
      env: { REDIS_URL: redis.url, RATE_LIMIT_ENABLED: 'true', RATE_LIMIT_PER_MINUTE: '1000' },
    });
    try {
      await t.http.get('/api/v1/states').expect(200);
      await t.http.get('/api/v1/states').expect(200);
      expect((await t.http.get('/health').expect(200)).body.details.redis.status).toBe('degraded');

      await redis.start();
      const up = await waitFor(
        async () => (await t.http.get('/health')).body?.details?.redis?.status === 'up',
        15_000,
      );
      expect(up).toBe(true);
      await t.http.get('/api/v1/states').expect(200);
      expect(await rateLimitKeys(redis)).not.toHaveLength(0);
    } finally {
      await t.close();
      await redis.stop();
    }
  }, 60_000);
});

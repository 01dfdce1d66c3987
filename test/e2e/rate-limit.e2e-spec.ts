import { createTestApp, type TestApp } from '../support/create-test-app.js';
import { createUser } from '../support/factories.js';

const limited = (env: Record<string, string>) =>
  createTestApp({ env: { RATE_LIMIT_ENABLED: 'true', REDIS_ENABLED: 'false', ...env } });

describe('rate limits (in memory)', () => {
  describe('per minute, one budget per client across routes', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await limited({ RATE_LIMIT_PER_MINUTE: '60', RATE_LIMIT_PER_HOUR: '1000' });
    });
    afterAll(() => t.close());

    it('lets 60 requests through and answers the 61st with 429 and Retry-After', async () => {
      const routes = ['/api/v1/states', '/api/v1/job-categories', '/api/v1/cities?limit=1'];
      for (let i = 0; i < 60; i++) {
        const res = await t.http.get(routes[i % routes.length]);
        expect(res.status).toBe(200);
        expect(res.headers['ratelimit-limit']).toBe('60');
        expect(res.headers['ratelimit-remaining']).toBe(String(59 - i));
      }
      const res = await t.http.get('/api/v1/jobs');
      expect(res.status).toBe(429);
      expect(res.headers['retry-after']).toMatch(/^\d+$/);
      expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
      expect(Number(res.headers['retry-after'])).toBeLessThanOrEqual(60);
      expect(res.headers['ratelimit-remaining']).toBe('0');
      expect(res.body).toMatchObject({
        statusCode: 429,
        code: 'RATE_LIMITED',
        requestId: expect.any(String),
      });
    });

    it('never limits probes, metrics or docs', async () => {
      const paths = ['/health/live', '/health/ready', '/health', '/metrics', '/docs-json'];
      const results = await Promise.all(
        Array.from({ length: 200 }, (_, i) => t.http.get(paths[i % paths.length])),
      );
      expect(results.filter((r) => r.status === 429)).toHaveLength(0);
      expect(results.every((r) => r.status === 200)).toBe(true);
    });
  });

  it('holds the hour limit with small values', async () => {
    const t = await limited({ RATE_LIMIT_PER_MINUTE: '100', RATE_LIMIT_PER_HOUR: '5' });
    try {
      for (let i = 0; i < 5; i++) await t.http.get('/api/v1/states').expect(200);
      const res = await t.http.get('/api/v1/states').expect(429);
      expect(Number(res.headers['retry-after'])).toBeGreaterThan(60);
      expect(res.body.message).toContain('hour');
    } finally {
      await t.close();
    }
  });

  it('counts rejected (anonymous) requests too: the limiter runs before authentication', async () => {
    const t = await limited({ RATE_LIMIT_PER_MINUTE: '3' });
    try {
      for (let i = 0; i < 3; i++) await t.http.get('/api/v1/users/me').expect(401);
      await t.http.get('/api/v1/users/me').expect(429);
    } finally {
      await t.close();
    }
  });

  it('puts a tighter per-client limit on login, counting failed attempts', async () => {
    const t = await limited({ RATE_LIMIT_PER_MINUTE: '100', LOGIN_RATE_LIMIT_PER_MINUTE: '3' });
    try {
      const user = await createUser(t, 'job_seeker');
      for (let i = 0; i < 3; i++) {
        await t.http
          .post('/api/v1/auth/login')
          .send({ email: user.email, password: 'wrong-password' })
          .expect(401);
      }
      const res = await t.http
        .post('/api/v1/auth/login')
        .send({ email: user.email, password: user.password });
      expect(res.status).toBe(429);
      expect(res.body.message).toContain('login');
      await t.http.get('/api/v1/states').expect(200);
    } finally {
      await t.close();
    }
  });

  describe('client address', () => {
    it('ignores X-Forwarded-For without TRUST_PROXY (a client cannot pick its bucket)', async () => {
      const t = await limited({ RATE_LIMIT_PER_MINUTE: '3' });
      try {
        for (let i = 0; i < 3; i++) {
          await t.http.get('/api/v1/states').set('X-Forwarded-For', `203.0.113.${i}`).expect(200);
        }
        await t.http.get('/api/v1/states').set('X-Forwarded-For', '203.0.113.99').expect(429);
      } finally {
        await t.close();
      }
    });

    it('with TRUST_PROXY uses the address the trusted proxy saw (right-most untrusted hop)', async () => {
      const t = await limited({ RATE_LIMIT_PER_MINUTE: '3', TRUST_PROXY: 'loopback' });
      try {
        // the client forges the left part; the proxy appended what it saw (198.51.100.7)
        for (let i = 0; i < 3; i++) {
          await t.http
            .get('/api/v1/states')
            .set('X-Forwarded-For', `10.9.9.${i}, 198.51.100.7`)
            .expect(200);
        }
        await t.http
          .get('/api/v1/states')
          .set('X-Forwarded-For', '10.9.9.200, 198.51.100.7')
          .expect(429);
        // another client behind the same proxy has a budget of its own
        await t.http.get('/api/v1/states').set('X-Forwarded-For', '198.51.100.8').expect(200);
      } finally {
        await t.close();
      }
    });

    it('never gives X-Forwarded-For junk a bucket of its own (it lands in the proxy’s)', async () => {
      const t = await limited({ RATE_LIMIT_PER_MINUTE: '3', TRUST_PROXY: 'loopback' });
      try {
        for (const junk of ['not-an-address', '999.1.1.1', 'unknown']) {
          await t.http.get('/api/v1/states').set('X-Forwarded-For', junk).expect(200);
        }
        for (const junk of ['<script>', '1.2.3', '[::1', '::1]:80', '']) {
          const res = await t.http.get('/api/v1/states').set('X-Forwarded-For', junk);
          expect([junk, res.status]).toEqual([junk, 429]);
        }
        // the proxy's own bucket (the socket address) is the one used up
        expect((await t.http.get('/api/v1/states')).status).toBe(429);
        await t.http.get('/api/v1/states').set('X-Forwarded-For', '198.51.100.20').expect(200);
      } finally {
        await t.close();
      }
    });

    it('reads an address written with a port or in brackets as that address', async () => {
      const t = await limited({ RATE_LIMIT_PER_MINUTE: '3', TRUST_PROXY: 'loopback' });
      try {
        for (const hop of ['198.51.100.7:1111', '198.51.100.7:2222', '198.51.100.7']) {
          await t.http.get('/api/v1/states').set('X-Forwarded-For', hop).expect(200);
        }
        await t.http.get('/api/v1/states').set('X-Forwarded-For', '198.51.100.7:3333').expect(429);
        for (const hop of ['[2001:db8::1]:443', '[2001:db8::1]', '2001:db8::1']) {
          await t.http.get('/api/v1/states').set('X-Forwarded-For', hop).expect(200);
        }
        // same /64
        await t.http.get('/api/v1/states').set('X-Forwarded-For', '[2001:db8::2]:80').expect(429);
        await t.http.get('/api/v1/states').set('X-Forwarded-For', '198.51.100.8:1111').expect(200);
      } finally {
        await t.close();
      }
    });

    it('with a hop count trusts exactly that many proxies', async () => {
      const t = await limited({ RATE_LIMIT_PER_MINUTE: '2', TRUST_PROXY: '1' });
      try {
        await t.http
          .get('/api/v1/states')
          .set('X-Forwarded-For', '1.1.1.1, 192.0.2.10')
          .expect(200);
        await t.http
          .get('/api/v1/states')
          .set('X-Forwarded-For', '2.2.2.2, 192.0.2.10')
          .expect(200);
        await t.http
          .get('/api/v1/states')
          .set('X-Forwarded-For', '3.3.3.3, 192.0.2.10')
          .expect(429);
        await t.http.get('/api/v1/states').set('X-Forwarded-For', '192.0.2.11').expect(200);
      } finally {
        await t.close();
      }
    });
  });

  it('can be switched off', async () => {
    const t = await createTestApp({
      env: { RATE_LIMIT_ENABLED: 'false', RATE_LIMIT_PER_MINUTE: '1' },
    });
    try {
      for (let i = 0; i < 5; i++) await t.http.get('/api/v1/states').expect(200);
    } finally {
      await t.close();
    }
  });
});

import { createTestApp, type TestApp } from '../support/create-test-app.js';

/**
 * Cached entries live CACHE_TTL_SECONDS when Redis is not configured; the short cap applies only
 * while a configured Redis is unreachable. Only Date is faked: cache-manager expires by Date.now().
 */
describe('Cache lifetime without Redis', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({ env: { REDIS_ENABLED: 'false', CACHE_TTL_SECONDS: '120' } });
  });
  afterAll(async () => {
    vi.useRealTimers();
    await t?.close();
  });

  it('keeps an entry for CACHE_TTL_SECONDS, not the 10 s outage cap', async () => {
    expect(t.config.redis.enabled).toBe(false);
    vi.useFakeTimers({ toFake: ['Date'], now: Date.now() });
    expect((await t.http.get('/api/v1/job-categories')).headers['x-cache']).toBe('MISS');
    vi.setSystemTime(Date.now() + 60_000);
    expect((await t.http.get('/api/v1/job-categories')).headers['x-cache']).toBe('HIT');
    vi.setSystemTime(Date.now() + 61_000);
    expect((await t.http.get('/api/v1/job-categories')).headers['x-cache']).toBe('MISS');
  });
});

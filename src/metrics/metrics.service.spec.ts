import { MetricsService } from './metrics.service.js';

/** The value of one series of a scrape: `name` with exactly `labels` (and the process's pid), in any order. */
function valueOf(scrape: string, name: string, labels: Record<string, string>): number | undefined {
  const want: Record<string, string> = { ...labels, pid: String(process.pid) };
  for (const line of scrape.split('\n')) {
    const m = /^([a-z_]+)\{(.*)\} (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const got = Object.fromEntries([...m[2].matchAll(/(\w+)="([^"]*)"/g)].map((l) => [l[1], l[2]]));
    const keys = Object.keys(want);
    if (Object.keys(got).length === keys.length && keys.every((k) => got[k] === want[k]))
      return Number(m[3]);
  }
  return undefined;
}

describe('MetricsService, series updated in place (the cache-hit path)', () => {
  it("a hit recorder's counts read in the scrape as prom-client's own observe and inc would", async () => {
    const metrics = new MetricsService();
    const record = metrics.hitRecorder('/api/v1/jobs', 'GET', 200, ['jobs', 'spas']);
    record(0.003);
    record(7); // beyond the last bucket: counted in +Inf only
    // the same series through prom-client's API adds up with the recorder's
    metrics.httpDuration.observe({ method: 'GET', route: '/api/v1/jobs', status: '200' }, 0.02);
    metrics.cacheResults.inc({ result: 'hit' });
    // a second recorder of the same series shares its record (a second learned URL of the route)
    metrics.hitRecorder('/api/v1/jobs', 'GET', 200, ['jobs', 'spas'])(0.004);

    const scrape = await metrics.registry.metrics();
    const series = { method: 'GET', route: '/api/v1/jobs', status: '200' };
    const bucket = (le: string) =>
      valueOf(scrape, 'http_request_duration_seconds_bucket', { ...series, le });
    expect(bucket('0.005')).toBe(2);
    expect(bucket('0.025')).toBe(3);
    expect(bucket('5')).toBe(3);
    expect(bucket('+Inf')).toBe(4);
    expect(valueOf(scrape, 'http_request_duration_seconds_count', series)).toBe(4);
    expect(valueOf(scrape, 'http_request_duration_seconds_sum', series)).toBeCloseTo(7.027, 6);
    expect(valueOf(scrape, 'http_cache_results_total', { result: 'hit' })).toBe(4);
    expect(valueOf(scrape, 'cache_lookups_total', { tags: 'jobs,spas', result: 'hit' })).toBe(3);
  });

  it('binds a series a scrape has seen (the cluster scrape writes the pid label into its records)', async () => {
    const metrics = new MetricsService();
    metrics.hitRecorder('/api/v1/spas', 'GET', 304, ['spas'])(0.001);
    await metrics.registry.getMetricsAsJSON(); // what a cluster worker answers its primary
    metrics.hitRecorder('/api/v1/spas', 'GET', 304, ['spas'])(0.001);
    const scrape = await metrics.registry.metrics();
    const series = { method: 'GET', route: '/api/v1/spas', status: '304' };
    expect(valueOf(scrape, 'http_request_duration_seconds_count', series)).toBe(2);
    expect(valueOf(scrape, 'http_cache_results_total', { result: 'hit' })).toBe(2);
    expect(valueOf(scrape, 'cache_lookups_total', { tags: 'spas', result: 'hit' })).toBe(2);
  });

  it('rate-limit decisions count by decision and store, from zero', async () => {
    const metrics = new MetricsService();
    metrics.rateLimited(false, 'redis', false);
    metrics.rateLimited(false, 'redis', false);
    metrics.rateLimited(true, 'memory', true);
    const scrape = await metrics.registry.metrics();
    const decisions = (decision: string, store: string) =>
      valueOf(scrape, 'rate_limit_decisions_total', { decision, store });
    expect(decisions('allowed', 'redis')).toBe(2);
    expect(decisions('denied', 'memory')).toBe(1);
    expect(decisions('allowed', 'memory')).toBe(0);
    expect(decisions('denied', 'redis')).toBe(0);
    expect(valueOf(scrape, 'rate_limit_store_fallbacks_total', {})).toBe(1);
  });
});

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { call } from '../support/nginx.js';
import { freePort, runServer } from '../support/process.js';
import { waitFor, within } from '../support/wait.js';

/** `http_request_duration_seconds_count` of one route, by worker pid. */
function requestsByPid(metrics: string, route: string): Map<string, number> {
  const byPid = new Map<string, number>();
  for (const line of metrics.split('\n')) {
    if (!line.startsWith('http_request_duration_seconds_count{')) continue;
    if (!line.includes(`route="${route}"`)) continue;
    const pid = /pid="(\d+)"/.exec(line)![1];
    byPid.set(pid, (byPid.get(pid) ?? 0) + Number(line.split(' ').pop()));
  }
  return byPid;
}

describe('/metrics with WEB_CONCURRENCY=2', () => {
  it('answers every worker’s figures, whichever worker the scrape reaches', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'spajobs-cluster-metrics-'));
    const port = await freePort();
    const server = runServer({
      PORT: String(port),
      HOST: '127.0.0.1',
      WEB_CONCURRENCY: '2',
      REDIS_ENABLED: 'false',
      RATE_LIMIT_PER_MINUTE: '1000',
      DATA_DIR: join(dir, 'data'),
      UPLOAD_DIR: join(dir, 'uploads'),
      RESUME_DIR: join(dir, 'resumes'),
      SEED_DEMO_DATA: 'false',
    });
    try {
      // both workers serve once each has answered a scrape of its own
      const pids = new Set<string>();
      const bothUp = await waitFor(
        async () => {
          const res = await call(port, '/metrics?scope=worker', { timeoutMs: 5000 }).catch(
            () => null,
          );
          const pid = res?.status === 200 ? /pid="(\d+)"/.exec(res.body)?.[1] : undefined;
          if (pid) pids.add(pid);
          return pids.size === 2;
        },
        90_000,
        50,
      );
      expect(bothUp, 'both workers answered a scrape').toBe(true);

      const REQUESTS = 40;
      for (let i = 0; i < REQUESTS; i++)
        expect((await call(port, '/api/v1/states')).status).toBe(200);

      // a worker's own scrape: its share only
      const own = requestsByPid((await call(port, '/metrics?scope=worker')).body, '/api/v1/states');
      expect(own.size).toBe(1);

      // any scrape: both workers, adding up to every request, however many times asked
      for (let i = 0; i < 4; i++) {
        const res = await call(port, '/metrics');
        expect(res.status).toBe(200);
        expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
        const byPid = requestsByPid(res.body, '/api/v1/states');
        expect([...byPid.keys()].sort()).toEqual([...pids].sort());
        for (const n of byPid.values()) expect(n).toBeGreaterThan(0);
        expect([...byPid.values()].reduce((a, b) => a + b, 0)).toBe(REQUESTS);
        // every one was counted by a limiter (memory: no Redis here), none denied
        const decisions = (decision: string) =>
          [
            ...res.body.matchAll(
              new RegExp(
                `^rate_limit_decisions_total\\{decision="${decision}",store="memory",pid="\\d+"\\} (\\d+)$`,
                'gm',
              ),
            ),
          ].reduce((sum, m) => sum + Number(m[1]), 0);
        expect(decisions('allowed')).toBe(REQUESTS);
        // (the series exist from zero in every worker)
        expect(decisions('denied')).toBe(0);
        expect(res.body).toMatch(/^rate_limit_decisions_total\{decision="denied",store="memory"/m);
        // the first read of each worker filled its cache (later ones are the fast path's hits)
        expect(res.body).toMatch(
          /^cache_lookups_total\{tags="locations",result="miss",pid="\d+"\} [1-9]/m,
        );
        expect(res.body).toMatch(/^cache_fills_total\{tags="locations",pid="\d+"\} [1-9]/m);
        expect(res.body).toMatch(/^http_cache_results_total\{result="hit",pid="\d+"\} [1-9]/m);
        // the operator's other figures, per worker
        for (const pid of pids) {
          expect(res.body).toContain(`db_pool_connections{pool="primary",pid="${pid}"}`);
          expect(res.body).toContain(`db_pool_waiting_requests{pool="primary",pid="${pid}"} 0`);
          expect(res.body).toContain(`db_pool_timeouts_total{pool="primary",pid="${pid}"} 0`);
          expect(res.body).toContain(`redis_enabled{pid="${pid}"} 0`);
          expect(res.body).toMatch(
            new RegExp(`nodejs_eventloop_lag_p99_seconds\\{pid="${pid}"\\} \\d`),
          );
        }
      }

      server.child.kill('SIGTERM');
      expect(await within(server.exited, 60_000, 'the exit after SIGTERM')).toBe(0);
    } catch (err) {
      // a slow CI machine: say where it stalled, with what the server printed
      throw new Error(`${(err as Error).message}\n--- server output ---\n${server.output()}`);
    } finally {
      server.child.kill('SIGKILL');
      await rm(dir, { recursive: true, force: true });
    }
  }, 180_000);
});

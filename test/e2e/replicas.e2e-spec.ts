import pg from 'pg';
import { CACHE_TAGS } from '../../src/cache/cache-tags.js';
import { parseLsn } from '../../src/database/lsn.js';
import { ReadConsistencyService } from '../../src/database/read-consistency.service.js';
import { REPLICA_POLL_MS, REPLICA_STALE_MS } from '../../src/database/read-replicas.js';
import { createTestApp, type TestApp } from '../support/create-test-app.js';
import { createJob, createSpa, createUser, type TestUser } from '../support/factories.js';
import { requirePgServerBinaries, TestPgPair } from '../support/pg-replica.js';
import { requireRedisServer, TestRedisServer } from '../support/redis-server.js';
import { onPostgres } from '../support/test-database.js';
import { waitFor } from '../support/wait.js';

/**
 * PostgreSQL only (like the server-side timeout tests): a real streaming replica, replaying each
 * commit 2 s after the primary, and two app instances sharing the primary, the replica and a
 * private Redis that the last tests kill.
 */
const RUN = onPostgres() && requirePgServerBinaries() && requireRedisServer();
const LAG_MS = 2000;
const DB = 'spajobs_replicas';

describe.runIf(RUN)('read replicas', () => {
  let pair: TestPgPair;
  let redis: TestRedisServer;
  let a: TestApp;
  let b: TestApp;
  let owner: TestUser;
  let spaId: number;
  let jobId: number;

  const consistency = (t: TestApp) => t.app.get(ReadConsistencyService);

  /** The replica is usable and has replayed every invalidation this instance knows of. */
  const replicaCaughtUp = (t: TestApp) => {
    const [status] = consistency(t).replicaStatus();
    return (
      status?.usable === true &&
      status.replayLsn !== undefined &&
      parseLsn(status.replayLsn) >= consistency(t).fenceOf([...CACHE_TAGS])
    );
  };

  async function primaryQuery<T>(sql: string, params: unknown[] = []): Promise<T[]> {
    return a.db.query<T[]>(sql, params);
  }

  /** A title only the primary has for a while: written without any invalidation (no fence). */
  async function writeBehindTheCache(title: string): Promise<void> {
    await primaryQuery('UPDATE jobs SET title = $1 WHERE id = $2', [title, jobId]);
  }

  const SORTS = ['newest', 'popular', 'salary'];
  let fresh = 0;
  /** A job list the cache has never seen (a miss, so a fill from a replica or the primary). */
  const freshList = (t: TestApp) => {
    const n = fresh++;
    return t.http.get(
      `/api/v1/jobs?spaId=${spaId}&limit=${1 + (n % 100)}&sort=${SORTS[Math.floor(n / 100) % 3]}`,
    );
  };

  beforeAll(async () => {
    pair = await TestPgPair.start({ applyDelayMs: LAG_MS });
    // every database of this file (createTestApp's own too) lives on the private primary
    process.env.DATABASE_URL = pair.primaryUrl();
    const admin = new pg.Client({ connectionString: pair.primaryUrl() });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${DB}`);
    await admin.end();
    redis = await TestRedisServer.start();
    a = await createTestApp({
      env: {
        DATABASE_URL: pair.primaryUrl(DB),
        DATABASE_REPLICA_URLS: pair.replicaUrl(DB),
        DB_REPLICA_POOL_SIZE: '3',
        REDIS_URL: redis.url,
      },
    });
    b = await createTestApp({ shareWith: a });
    owner = await createUser(a, 'employer');
    spaId = (await createSpa(a, owner, { name: 'Replica Spa' })).id;
    jobId = (await createJob(a, owner, spaId, { title: 'Replica Probe' })).id;
  }, 120_000);

  afterAll(async () => {
    await b?.close();
    await a?.close();
    await redis?.stop();
    await pair?.destroy();
  });

  it('serves public reads from the replica while the primary takes the writes', async () => {
    expect(await waitFor(() => Promise.resolve(replicaCaughtUp(a)), 15_000, 50)).toBe(true);
    await writeBehindTheCache('Only On The Primary');
    // a miss with no invalidation pending is read from the replica, 2 s behind: the old title
    const list = await freshList(a).expect(200);
    expect(list.headers['x-cache']).toBe('MISS');
    expect(list.body.data.map((j: { title: string }) => j.title)).toEqual(['Replica Probe']);
    const sessions = await pair.replicaQuery<{ n: number }>(
      DB,
      "SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = 'spajobs-read'",
    );
    expect(sessions[0].n).toBeGreaterThan(0);
    // /metrics reports the replica's lag (about the 2 s apply delay) and its pool
    const metrics = (await a.http.get('/metrics?scope=worker').expect(200)).text;
    const lag = /^db_replica_lag_seconds\{pool="([^"]+)",pid="\d+"\} ([\d.e+-]+)$/m.exec(metrics);
    expect(lag, 'db_replica_lag_seconds').not.toBeNull();
    expect(Number(lag![2])).toBeLessThan(30);
    expect(metrics).toContain(`db_pool_connections{pool="${lag![1]}"`);

    // a write through the API fences the replica off: the next read (a miss) is the primary's
    await a.http
      .patch(`/api/v1/jobs/${jobId}`)
      .set('Authorization', owner.auth)
      .send({ title: 'Written Through The API' })
      .expect(200);
    const after = await a.http.get(`/api/v1/jobs/${jobId}`).expect(200);
    expect(after.headers['x-cache']).toBe('MISS');
    expect(after.body.title).toBe('Written Through The API');
    const onReplica = await pair.replicaQuery<{ title: string }>(
      DB,
      'SELECT title FROM jobs WHERE id = $1',
      [jobId],
    );
    expect(onReplica[0].title).not.toBe('Written Through The API'); // the replica still lags
  });

  it('never serves a stale read after a write, through the other instance, with the replica 2 s behind', async () => {
    expect(await waitFor(() => Promise.resolve(replicaCaughtUp(b)), 15_000, 50)).toBe(true);
    for (let i = 0; i < 8; i++) {
      const title = `Coherent Title ${i}`;
      // B holds the current entries (and fills from the replica while nothing is pending)
      await b.http.get(`/api/v1/jobs/${jobId}`).expect(200);
      await b.http.get(`/api/v1/jobs?spaId=${spaId}`).expect(200);
      await a.http
        .patch(`/api/v1/jobs/${jobId}`)
        .set('Authorization', owner.auth)
        .send({ title })
        .expect(200);
      const detail = await b.http.get(`/api/v1/jobs/${jobId}`).expect(200);
      expect(detail.body.title).toBe(title);
      const list = await b.http.get(`/api/v1/jobs?spaId=${spaId}`).expect(200);
      expect(list.body.data.map((j: { title: string }) => j.title)).toEqual([title]);
      expect((await b.http.get(`/api/v1/jobs/${jobId}`)).headers['x-cache']).toBe('HIT');
    }
    const onReplica = await pair.replicaQuery<{ title: string }>(
      DB,
      'SELECT title FROM jobs WHERE id = $1',
      [jobId],
    );
    expect(onReplica[0].title).not.toBe('Coherent Title 7'); // all of it within the replica's lag
  });

  it('costs no failed read when the replica stops, and uses it again once it is back', async () => {
    expect(await waitFor(() => Promise.resolve(replicaCaughtUp(a)), 15_000, 50)).toBe(true);
    const stoppedAt = Date.now();
    pair.stopReplica();
    let skippedAfter: number | undefined;
    const statuses: number[] = [];
    while (Date.now() - stoppedAt < 2500) {
      for (const t of [a, b]) statuses.push((await freshList(t)).status);
      if (skippedAfter === undefined && consistency(a).replicaStatus()[0].usable === false)
        skippedAfter = Date.now() - stoppedAt;
    }
    expect(statuses.length).toBeGreaterThan(10);
    expect(statuses.filter((s) => s !== 200)).toEqual([]);
    expect(skippedAfter).toBeDefined();
    expect(skippedAfter!).toBeLessThanOrEqual(REPLICA_STALE_MS + 2 * REPLICA_POLL_MS);

    pair.startReplica();
    expect(await waitFor(() => Promise.resolve(replicaCaughtUp(a)), 20_000, 50)).toBe(true);
    await writeBehindTheCache('Primary Only Again');
    const list = await freshList(a).expect(200);
    expect(list.body.data[0].title).not.toBe('Primary Only Again'); // read from the replica
  }, 60_000);

  it('with Redis killed, shows a write through one instance on the next read through the other', async () => {
    await b.http.get(`/api/v1/jobs/${jobId}`).expect(200);
    await redis.stop();
    for (let i = 0; i < 8; i++) {
      const title = `Without Redis ${i}`;
      await b.http.get(`/api/v1/jobs/${jobId}`).expect(200);
      const cached = await b.http.get(`/api/v1/jobs/${jobId}`).expect(200);
      // still a cache while Redis is away (in memory, after one round trip on the channel)
      expect(cached.headers['x-cache']).toBe('HIT');
      await a.http
        .patch(`/api/v1/jobs/${jobId}`)
        .set('Authorization', owner.auth)
        .send({ title })
        .expect(200);
      expect((await b.http.get(`/api/v1/jobs/${jobId}`).expect(200)).body.title).toBe(title);
      const list = await b.http.get(`/api/v1/jobs?spaId=${spaId}`).expect(200);
      expect(list.body.data.map((j: { title: string }) => j.title)).toEqual([title]);
    }

    // the channel lost too (its sessions killed): nothing stale is served meanwhile either
    await b.http.get(`/api/v1/jobs/${jobId}`).expect(200);
    await primaryQuery(
      "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'spajobs-listen'",
    );
    await a.http
      .patch(`/api/v1/jobs/${jobId}`)
      .set('Authorization', owner.auth)
      .send({ title: 'While Nobody Listens' })
      .expect(200);
    expect((await b.http.get(`/api/v1/jobs/${jobId}`).expect(200)).body.title).toBe(
      'While Nobody Listens',
    );
    expect(await waitFor(() => Promise.resolve(consistency(b).listening), 10_000, 20)).toBe(true);
    await redis.start();
  }, 60_000);
});

import {
  CACHE_NAMESPACE,
  CACHE_VERSIONS_SLOT,
  cacheVersionKey,
} from '../../src/cache/cache-tags.js';
import { RedisService } from '../../src/redis/redis.service.js';
import { createTestApp, type TestApp } from '../support/create-test-app.js';
import { createSpa, createUser, type TestUser } from '../support/factories.js';
import { TestRedisCluster } from '../support/redis-cluster.js';
import { waitFor } from '../support/wait.js';

/** The key of a tag's version on a cluster, as RedisService.key writes it. */
const versionKey = (app: TestApp, tag: 'jobs' | 'spas' | 'locations') =>
  `{${app.config.redis.keyPrefix}${CACHE_VERSIONS_SLOT}}:${cacheVersionKey(tag)}`;

/** Every instance connected to the master on `port` (and to every other master). */
const usingMaster = (port: number, ...apps: TestApp[]) =>
  waitFor(
    () =>
      Promise.resolve(
        apps.every((t) => {
          const redis = t.app.get(RedisService);
          const state = redis.state();
          return (
            redis.ready &&
            state.mode === 'cluster' &&
            state.masters.some((m) => m.address === `127.0.0.1:${port}` && m.ready)
          );
        }),
      ),
    20_000,
    50,
  );

/** Every instance connected to every master of the cluster. */
const connected = (...apps: TestApp[]) =>
  waitFor(() => Promise.resolve(apps.every((t) => t.app.get(RedisService).ready)), 20_000, 50);

/** Runs on every suite mode: it needs only redis-server, and fails when the cluster cannot start. */
describe('on a Redis Cluster (3 masters, 1 replica each)', () => {
  let cluster: TestRedisCluster;
  let a: TestApp;
  let b: TestApp;
  let owner: TestUser;

  beforeAll(async () => {
    cluster = await TestRedisCluster.start();
    a = await createTestApp({
      env: {
        REDIS_CLUSTER_NODES: cluster.seeds,
        RATE_LIMIT_ENABLED: 'true',
        RATE_LIMIT_PER_MINUTE: '100000',
        RATE_LIMIT_PER_HOUR: '100000',
      },
    });
    b = await createTestApp({ shareWith: a });
    expect(await connected(a, b)).toBe(true);
    owner = await createUser(a, 'employer');
  });
  afterAll(async () => {
    await b?.close();
    await a?.close();
    await cluster?.stop();
  });

  /** Two instances with a budget of 10 per minute, shared through the cluster. */
  async function tightPair(): Promise<[TestApp, TestApp]> {
    const tight = { RATE_LIMIT_PER_MINUTE: '10', TRUST_PROXY: 'loopback' };
    const one = await createTestApp({ shareWith: a, env: tight });
    const two = await createTestApp({ shareWith: a, env: tight });
    expect(await connected(one, two)).toBe(true);
    return [one, two];
  }

  /** Client addresses: each check takes one no other check used (windows outlive the file). */
  let clients = 30;

  /** 5 requests through each, alternating, then the 11th is refused by either; the client. */
  async function expectOneBudget(one: TestApp, two: TestApp): Promise<string> {
    const ip = `198.51.100.${++clients}`;
    const via = (t: TestApp) => t.http.get('/api/v1/states').set('X-Forwarded-For', ip);
    for (let i = 0; i < 5; i++) {
      await via(one).expect(200);
      await via(two).expect(200);
    }
    await via(two).expect(429);
    await via(one).expect(429);
    return ip;
  }

  it('reports the cluster in /health', async () => {
    const res = await a.http.get('/health').expect(200);
    const redis = res.body.details.redis;
    expect(redis.status).toBe('up');
    expect(redis.mode).toBe('cluster');
    expect(redis.masters).toHaveLength(3);
    expect(redis.masters.every((m: { ready: boolean }) => m.ready)).toBe(true);
  });

  it('caches in the cluster: a MISS, then a HIT, and a HIT on the other instance from L2', async () => {
    const spa = await createSpa(a, owner, { name: 'Cluster Spa' });
    const path = `/api/v1/spas/${spa.id}`;
    expect((await a.http.get(path).expect(200)).headers['x-cache']).toBe('MISS');
    expect((await a.http.get(path).expect(200)).headers['x-cache']).toBe('HIT');
    const fromL2 = await b.http.get(path).expect(200);
    expect(fromL2.headers['x-cache']).toBe('HIT');
    expect(fromL2.body.name).toBe('Cluster Spa');

    // the entries are spread over the masters; the versions sit together in one slot
    const entries = await Promise.all(
      cluster.ports.map((p) =>
        cluster.command(p, (c) => c.keys(`${a.config.redis.keyPrefix}${CACHE_NAMESPACE}::*`)),
      ),
    );
    expect(entries.flat().length).toBeGreaterThan(0);
    const slots = await cluster.command(cluster.ports[0], (c) =>
      Promise.all(
        ['jobs', 'spas', 'locations'].map((t) => c.clusterKeySlot(versionKey(a, t as 'jobs'))),
      ),
    );
    expect(new Set(slots).size).toBe(1);
  });

  it('invalidates across instances: a write through one is seen on the next read through the other', async () => {
    const spa = await createSpa(a, owner, { name: 'Before' });
    const path = `/api/v1/spas/${spa.id}`;
    await b.http.get(path).expect(200);
    expect((await b.http.get(path).expect(200)).headers['x-cache']).toBe('HIT');
    const before = await cluster.onMasterOf(versionKey(a, 'spas'), (c) =>
      c.get(versionKey(a, 'spas')),
    );

    await a.http.patch(path).set('Authorization', owner.auth).send({ name: 'After' }).expect(200);
    const after = await b.http.get(path).expect(200);
    expect(after.body.name).toBe('After');
    const bumped = await cluster.onMasterOf(versionKey(a, 'spas'), (c) =>
      c.get(versionKey(a, 'spas')),
    );
    expect(Number(bumped)).toBeGreaterThan(Number(before));
  });

  it('shares one rate-limit budget across instances', async () => {
    const [one, two] = await tightPair();
    try {
      const ip = await expectOneBudget(one, two);
      // a client's windows live together in one slot, on one master
      const keys = (
        await Promise.all(cluster.ports.map((p) => cluster.command(p, (c) => c.keys('*rl:*'))))
      )
        .flat()
        .filter((k) => k.includes(ip) && k.startsWith(`{${one.config.redis.keyPrefix}rl:`));
      expect(keys.length).toBeGreaterThanOrEqual(2);
    } finally {
      await two.close();
      await one.close();
    }
  });

  /**
   * Load through both instances while `fault` takes the master of the versions' slot away and
   * its replica takes over: no 5xx meanwhile; then every instance uses the promoted master.
   */
  async function survivesFailover(fault: (port: number) => Promise<void> | void): Promise<number> {
    const [one, two] = await tightPair();
    let stop = false;
    let load: Promise<void> | undefined;
    try {
      const spa = await createSpa(a, owner, { name: 'Failover Spa' });
      const path = `/api/v1/spas/${spa.id}`;
      await a.http.get(path).expect(200);
      const key = versionKey(a, 'spas');
      const former = await cluster.masterOf(key);
      expect(former).toBeDefined();

      const statuses: number[] = [];
      let writes = 0;
      load = (async () => {
        for (let i = 0; !stop; i++) {
          const t = i % 2 === 0 ? a : b;
          const res =
            i % 10 === 9
              ? await t.http
                  .patch(path)
                  .set('Authorization', owner.auth)
                  .send({ name: `Failover ${++writes}` })
              : await t.http.get(i % 3 === 0 ? '/api/v1/spas?limit=5' : path);
          statuses.push(res.status);
        }
      })();
      await new Promise((r) => setTimeout(r, 300));
      await fault(former!);
      const promoted = await cluster.waitForFailover(key, former!);
      expect(promoted).not.toBe(former);
      expect(await usingMaster(promoted, a, b, one, two)).toBe(true);
      await new Promise((r) => setTimeout(r, 300));
      stop = true;
      await load;

      expect(statuses.length).toBeGreaterThan(20);
      expect(statuses.filter((s) => s >= 500)).toEqual([]);
      expect(new Set(statuses)).toEqual(new Set([200]));

      // the versions are served by the new master, and a write is seen across instances again
      await a.http.patch(path).set('Authorization', owner.auth).send({ name: 'Promoted' });
      expect((await b.http.get(path).expect(200)).body.name).toBe('Promoted');
      expect(await cluster.command(promoted, (c) => c.get(key))).not.toBeNull();

      // and the limits are shared again, through the new topology
      await expectOneBudget(one, two);
      return former!;
    } finally {
      stop = true;
      await load?.catch(() => undefined);
      await two.close();
      await one.close();
    }
  }

  it("survives a stalled (SIGSTOP) master of the versions' slot, then uses its promoted replica", async () => {
    const former = await survivesFailover((port) => cluster.pause(port));
    // back as a replica of the master that replaced it, ready to take over in the next test
    cluster.resume(former);
    expect(await cluster.waitSettled()).toBe(true);
  }, 90_000);

  it("survives a killed (SIGKILL) master of the versions' slot, then uses its promoted replica", async () => {
    await survivesFailover((port) => cluster.kill(port));
  }, 90_000);
});

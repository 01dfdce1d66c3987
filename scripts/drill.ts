/**
 * `npm run drill`: the fault drill of issue 9. Starts the local topology (scripts/drill/topology.ts:
 * nginx in front of two instances of 2 workers each, a private PostgreSQL primary + streaming
 * replica, a private Redis), drives a bounded mixed load from 127.0.0.1 (public reads, jobs posted
 * and applications sent, each write marked so its row can be found), breaks one part after the
 * other, and prints per scenario what a client saw and what the database holds, then the targets.
 * Everything it started is stopped on exit, on error and on Ctrl-C. Exit code 0 when the whole
 * drill ran, whatever the targets say (they are printed as PASS/FAIL).
 *
 *   npm run drill -- [--reads 300] [--writes 12] [--replica-delay-ms 200] [--no-redis-cluster]
 */
import { randomBytes } from 'node:crypto';
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { probe, type AppInstance } from './local-topology.js';
import { pgQuery, RedisCluster, sleep, waitFor } from './drill/engines.js';
import { Load, send, type Actor } from './drill/load.js';
import { buildRow, judge, table, type ScenarioRow, type ScenarioRun } from './drill/report.js';
import {
  closeTopology,
  onClose,
  POOL_TIMEOUT_SECONDS,
  startTopology,
  workerPids,
  type Topology,
} from './drill/topology.js';

const { values } = parseArgs({
  options: {
    reads: { type: 'string', default: '300' },
    writes: { type: 'string', default: '12' },
    'replica-delay-ms': { type: 'string', default: '200' },
    'no-redis-cluster': { type: 'boolean', default: false },
  },
});
const READS = Number(values.reads);
const WRITES = Number(values.writes);
const RECOVERY_LIMIT_MS = 5000;
/** An answer slower than the pool timeout (plus a second of slack) is a hang. */
const HANG_MS = POOL_TIMEOUT_SECONDS * 1000 + 1000;
const VIEW_TARGETS_PER_SCENARIO = 4;

const startedAt = new Date();
const stamp = startedAt.toISOString().replace(/[:.]/g, '-');
const resultsDir = resolve(process.cwd(), 'bench', 'results');
mkdirSync(resultsDir, { recursive: true });
const appLogFile = join(resultsDir, `drill-${stamp}.log`);
const log = (line: string) =>
  console.log(
    `[drill ${((Date.now() - startedAt.getTime()) / 1000).toFixed(1).padStart(5)}s] ${line}`,
  );

const SCENARIOS: Array<{ name: string; description: string }> = [
  { name: 'baseline', description: 'no fault' },
  { name: 'redis-kill', description: 'redis-server SIGKILLed, restarted after 4 s' },
  { name: 'redis-stall', description: 'redis-server SIGSTOP 5 s, then SIGCONT' },
  { name: 'replica-stop', description: 'replica stopped (fast) 4 s, then started' },
  { name: 'primary-stop', description: 'primary stopped (fast) 10 s, then started' },
  { name: 'sigterm-nginx', description: 'instance a SIGTERMed behind nginx, started again' },
  { name: 'rolling', description: 'a then b: SIGTERM, start, back in rotation' },
  {
    name: 'sigterm-direct',
    description: 'a hit directly (no proxy), SIGTERMed with 20 writes in flight',
  },
  {
    name: 'sigkill-worker',
    description: "one of b's 2 workers SIGKILLed (re-forked by its primary)",
  },
  { name: 'roll-to-cluster', description: 'rolling restart onto a 3-master Redis Cluster' },
  {
    name: 'cluster-master-kill',
    description: 'a Redis Cluster master SIGKILLed (its replica takes over)',
  },
];

interface Drill {
  topo: Topology;
  load: Load;
  employers: Actor[];
  probes: number[];
  runs: ScenarioRun[];
}

const to = (i: AppInstance) => ({ name: i.opts.name, port: i.port });

/** Write through one instance directly, read through the other at once (the reader cached it first). */
async function staleCheck(d: Drill, run: ScenarioRun): Promise<void> {
  const [writer, reader] = Math.random() < 0.5 ? [d.topo.a, d.topo.b] : [d.topo.b, d.topo.a];
  if (!writer.running || !reader.running) return;
  const job = d.probes[run.stale.checks % d.probes.length];
  const path = `/api/v1/jobs/${job}`;
  const warm = await d.load.call('probe', 'GET', path, { to: to(reader) });
  if (warm.status !== 200) return;
  const title = `Probe ${run.name} ${randomBytes(4).toString('hex')}`;
  const patch = await d.load.call('probe', 'PATCH', path, {
    to: to(writer),
    token: d.employers[0].token,
    body: { title },
  });
  if (patch.status !== 200) return;
  const read = await d.load.call('probe', 'GET', path, { to: to(reader) });
  if (read.status !== 200) return;
  run.stale.checks++;
  if ((JSON.parse(read.body) as { title: string }).title !== title) run.stale.stale++;
}

/** Waits `ms`, running stale checks back to back meanwhile when asked. */
async function hold(d: Drill, run: ScenarioRun, ms: number, stale = true): Promise<void> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (stale) await staleCheck(d, run);
    await sleep(Math.min(250, Math.max(0, until - Date.now())));
  }
}

/** Until nginx has the instance back in rotation (its readiness is 200 and the watcher saw it). */
async function backInRotation(d: Drill, i: AppInstance): Promise<void> {
  await waitFor(
    () => Promise.resolve(d.topo.nginx.upstreams.some((u) => u.port === i.port && !u.down)),
    30_000,
    50,
  );
  await sleep(300); // the reload's new nginx workers
}

/** A timestamped event of the scenario (seconds since it began), printed and kept in its notes. */
function mark(run: ScenarioRun, text: string): void {
  const line = `+${((Date.now() - run.startedAt) / 1000).toFixed(1)}s ${text}`;
  run.notes.push(line);
  log(`  ${line}`);
}

async function restart(d: Drill, run: ScenarioRun, i: AppInstance): Promise<void> {
  const name = i.opts.name;
  mark(run, `SIGTERM ${name}`);
  const code = await i.stop('SIGTERM');
  mark(run, `${name} exited (${code})`);
  i.start();
  if (!(await i.ready(120_000))) throw new Error(`instance ${name} did not come back`);
  mark(run, `${name} ready`);
  await backInRotation(d, i);
  mark(run, `${name} in rotation`);
}

/**
 * The shape of most scenarios: 2 s of load, then the fault (`breakIt`), `during` ms of load
 * with it, the repair, and `after` ms more while the system recovers.
 */
async function fault(
  d: Drill,
  run: ScenarioRun,
  breakIt: () => unknown,
  during: number,
  repair: () => unknown,
  after = 3000,
): Promise<void> {
  await hold(d, run, 2000);
  run.faultStart = Date.now();
  await breakIt();
  await hold(d, run, during);
  await repair();
  run.faultEnd = Date.now();
  await hold(d, run, after);
}

async function scenario(d: Drill, name: string, run: ScenarioRun): Promise<void> {
  const { topo, load } = d;
  switch (name) {
    case 'baseline':
      await hold(d, run, 5000);
      return;
    case 'redis-kill':
      return fault(
        d,
        run,
        () => topo.redis.kill(),
        4000,
        () => topo.redis.start(),
      );
    case 'redis-stall':
      return fault(
        d,
        run,
        () => topo.redis.pause(),
        5000,
        () => topo.redis.resume(),
      );
    case 'replica-stop':
      return fault(
        d,
        run,
        () => topo.pg.stopReplica(),
        4000,
        () => topo.pg.startReplica(),
      );
    case 'primary-stop':
      run.primaryOutage = true;
      return fault(
        d,
        run,
        () => topo.pg.stopPrimary(),
        10_000,
        () => topo.pg.startPrimary(),
        5000,
      );
    case 'sigterm-nginx':
      run.graceful = true;
      return fault(
        d,
        run,
        () => restart(d, run, topo.a),
        0,
        () => undefined,
        2000,
      );
    case 'rolling':
      run.graceful = true;
      run.rolling = true;
      await hold(d, run, 2000);
      run.faultStart = Date.now();
      await restart(d, run, topo.a);
      await restart(d, run, topo.b);
      run.faultEnd = Date.now();
      await hold(d, run, 2000);
      return;
    case 'sigterm-direct': {
      run.graceful = true;
      // writes and job details straight to a (no proxy); lists stay behind nginx
      load.direct = to(topo.a);
      await hold(d, run, 2000, false);
      run.faultStart = Date.now();
      const burst = Array.from({ length: 20 }, () => load.write());
      await sleep(5);
      mark(run, 'SIGTERM a (20 writes in flight)');
      const exited = topo.a.stop('SIGTERM');
      // a client that follows readiness (as nginx does): new requests to b once a says 503
      await waitFor(
        async () => (await probe('127.0.0.1', topo.a.port, '/health/ready', 500)) !== 200,
        10_000,
        100,
      );
      load.direct = to(topo.b);
      mark(run, 'a not ready: new requests to b');
      const results = await Promise.all(burst);
      const answered = results.filter((r) => r.status > 0).length;
      mark(
        run,
        `burst: ${answered}/20 answered (${results.filter((r) => r.status === 201).length} × 201)`,
      );
      mark(run, `a exited (${await exited})`);
      topo.a.start();
      if (!(await topo.a.ready(120_000))) throw new Error('instance a did not come back');
      mark(run, 'a ready');
      await backInRotation(d, topo.a);
      mark(run, 'a in rotation');
      load.direct = undefined;
      run.faultEnd = Date.now();
      await hold(d, run, 2000);
      return;
    }
    case 'sigkill-worker': {
      await hold(d, run, 2000);
      const before = workerPids(topo.b.pid);
      if (before.length === 0) throw new Error("instance b's workers not found");
      run.faultStart = Date.now();
      process.kill(before[0], 'SIGKILL');
      mark(run, `worker ${before[0]} of b SIGKILLed`);
      await waitFor(
        () => {
          const now = workerPids(topo.b.pid);
          return Promise.resolve(now.length === before.length && !now.includes(before[0]));
        },
        30_000,
        50,
      );
      // the new worker listens once it has booted: its first answer on b's port
      await sleep(500);
      mark(run, 'a new worker forked');
      run.faultEnd = Date.now();
      await hold(d, run, 3000);
      return;
    }
    case 'roll-to-cluster': {
      run.graceful = true;
      run.rolling = true;
      const cluster = await RedisCluster.start();
      onClose(() => cluster.stop());
      (d as Drill & { cluster?: RedisCluster }).cluster = cluster;
      for (const i of [topo.a, topo.b]) i.opts.env.REDIS_CLUSTER_NODES = cluster.seeds;
      run.faultStart = Date.now();
      await restart(d, run, topo.a);
      await restart(d, run, topo.b);
      run.faultEnd = Date.now();
      await hold(d, run, 2000);
      return;
    }
    case 'cluster-master-kill': {
      const cluster = (d as Drill & { cluster?: RedisCluster }).cluster;
      if (!cluster) throw new Error('no Redis Cluster');
      await hold(d, run, 2000);
      const master = await cluster.aMaster();
      run.faultStart = Date.now();
      await cluster.kill(master);
      const failover = Date.now();
      // the cluster notices the dead master after the node timeout (1 s), then promotes its replica
      await sleep(1500);
      const settled = await waitFor(() => cluster.stateOk(), 20_000, 100);
      mark(
        run,
        `master :${master} killed; cluster ${settled ? 'ok again' : 'still not settled'} after ${Date.now() - failover} ms`,
      );
      run.faultEnd = Date.now();
      await hold(d, run, 3000);
      await cluster.restart(master);
      return;
    }
  }
}

async function register(
  port: number,
  role: 'employer' | 'job_seeker',
  i: number,
  runId: string,
): Promise<Actor> {
  const reply = await send(port, 'POST', '/api/v1/auth/register', {
    body: {
      email: `drill-${runId}-${role}-${i}@example.test`,
      password: `Drill-${randomBytes(12).toString('hex')}-pw`,
      fullName: role === 'employer' ? `Drill Employer ${i}` : `Drill Seeker ${i}`,
      role,
    },
  });
  if (reply.status !== 201) throw new Error(`register: ${reply.status} ${reply.body}`);
  const body = JSON.parse(reply.body) as { user: { id: number }; accessToken: string };
  return { id: body.user.id, token: body.accessToken };
}

async function post(
  port: number,
  path: string,
  token: string,
  body: unknown,
): Promise<{ id: number }> {
  const reply = await send(port, 'POST', path, { token, body });
  if (reply.status !== 201) throw new Error(`POST ${path}: ${reply.status} ${reply.body}`);
  return JSON.parse(reply.body) as { id: number };
}

async function main(): Promise<void> {
  const runId = randomBytes(3).toString('hex');
  let aborted = false;
  const abort = (signal: string) => {
    if (aborted) return;
    aborted = true;
    log(`${signal}: stopping everything the drill started`);
    void closeTopology(log).finally(() => process.exit(130));
  };
  process.on('SIGINT', abort);
  process.on('SIGTERM', abort);

  writeFileSync(appLogFile, '');
  const topo = await startTopology({
    entry: resolve(import.meta.dirname, '..', 'src', 'main.js'),
    replicaDelayMs: Number(values['replica-delay-ms']),
    log,
    appLog: (name, line) => appendFileSync(appLogFile, `${Date.now()} [${name}] ${line}\n`),
  });
  const port = topo.nginx.port;
  const [place] = await pgQuery<{ id: number; state_id: number }>(
    topo.primaryUrl,
    'SELECT id, state_id FROM cities ORDER BY id LIMIT 1',
  );
  const [category] = await pgQuery<{ id: number }>(
    topo.primaryUrl,
    'SELECT id FROM job_categories ORDER BY id LIMIT 1',
  );
  if (!place || !category)
    throw new Error('no reference data (cities, job categories) after migrations');

  log('users, spas and jobs of the drill (through the API)');
  const employers = await Promise.all(
    Array.from({ length: 6 }, (_, i) => register(port, 'employer', i, runId)),
  );
  const seekers = await Promise.all(
    Array.from({ length: 16 }, (_, i) => register(port, 'job_seeker', i, runId)),
  );
  const [verified] = await pgQuery<{ n: number }>(
    topo.primaryUrl,
    `SELECT count(*)::int AS n FROM information_schema.columns WHERE table_name = 'users' AND column_name = 'email_verified_at'`,
  );
  if (verified.n > 0)
    await pgQuery(
      topo.primaryUrl,
      `UPDATE users SET email_verified_at = now() WHERE email LIKE $1`,
      [`drill-${runId}-%`],
    );
  for (const [i, e] of employers.entries())
    e.spaId = (
      await post(port, '/api/v1/spas', e.token, {
        name: `Drill Spa ${runId} ${i}`,
        cityId: place.id,
      })
    ).id;
  const job = (e: Actor, title: string) =>
    post(port, '/api/v1/jobs', e.token, {
      spaId: e.spaId,
      categoryId: category.id,
      title,
      description: 'A job of the fault drill whose views or freshness are checked.',
    }).then((j) => j.id);
  const viewTargets = new Map<string, number[]>();
  for (const [s, { name }] of SCENARIOS.entries()) {
    const ids: number[] = [];
    for (let k = 0; k < VIEW_TARGETS_PER_SCENARIO; k++)
      ids.push(await job(employers[(s + k) % employers.length], `Views ${name} ${k}`));
    viewTargets.set(name, ids);
  }
  const probes = [await job(employers[0], 'Probe 0'), await job(employers[0], 'Probe 1')];

  const listPaths = [
    '/api/v1/jobs?limit=20',
    '/api/v1/jobs?limit=20&sort=popular',
    `/api/v1/jobs?cityId=${place.id}&limit=20`,
    `/api/v1/jobs?stateId=${place.state_id}&categoryId=${category.id}`,
    '/api/v1/jobs?sort=salary&limit=10',
    '/api/v1/spas?limit=20',
    `/api/v1/cities?stateId=${place.state_id}`,
  ];
  const load = new Load({
    nginxPort: port,
    readsPerSecond: READS,
    writesPerSecond: WRITES,
    employers,
    seekers,
    categoryId: category.id,
    listPaths,
    viewTargets,
    runId,
    timeoutMs: 15_000,
  });
  const d: Drill = { topo, load, employers, probes, runs: [] };
  log(`load: ${READS} reads/s + ${WRITES} writes/s from 127.0.0.1 (run ${runId})`);
  load.scenario = 'warm-up';
  load.start();
  await sleep(2000);

  const drillStart = Date.now();
  const reloads = new Map<string, number>();
  for (const { name, description } of SCENARIOS) {
    if (aborted) return;
    if (values['no-redis-cluster'] && name.includes('cluster')) continue;
    const run: ScenarioRun = {
      name,
      description,
      startedAt: Date.now(),
      stale: { checks: 0, stale: 0 },
      notes: [],
    };
    d.runs.push(run);
    load.scenario = name;
    log(`${name}: ${description}`);
    const reloadsBefore = topo.reloads();
    await scenario(d, name, run);
    reloads.set(name, topo.reloads() - reloadsBefore);
    log(
      `  done in ${((Date.now() - run.startedAt) / 1000).toFixed(1)} s; stale ${run.stale.stale}/${run.stale.checks}`,
    );
  }
  load.scenario = 'end';
  await load.stop();
  const drillMs = Date.now() - drillStart;
  // buffered views: flushed every VIEW_FLUSH_INTERVAL_MS (1 s)
  await sleep(3000);

  const found = new Map<string, number>();
  const marked = await pgQuery<{ m: string; n: number }>(
    topo.primaryUrl,
    `SELECT substring(title from 7) AS m, count(*)::int AS n FROM jobs WHERE title LIKE $1 GROUP BY 1
     UNION ALL
     SELECT substring(cover_letter from 7), count(*)::int FROM applications WHERE cover_letter LIKE $1 GROUP BY 1`,
    [`Drill ${runId}-%`],
  );
  for (const { m, n } of marked) found.set(m, (found.get(m) ?? 0) + n);
  const views = new Map(
    (
      await pgQuery<{ id: number; view_count: number }>(
        topo.primaryUrl,
        'SELECT id, view_count FROM jobs WHERE id = ANY($1)',
        [[...viewTargets.values()].flat()],
      )
    ).map((r) => [r.id, r.view_count]),
  );
  const rows: ScenarioRow[] = d.runs.map((run) =>
    buildRow(
      run,
      load.samples,
      load.writes,
      found,
      load.viewsSent.get(run.name) ?? 0,
      (viewTargets.get(run.name) ?? []).reduce((n, id) => n + (views.get(id) ?? 0), 0),
      HANG_MS,
      reloads.get(run.name) ?? 0,
    ),
  );
  appendFileSync(appLogFile, `--- nginx error.log\n${await topo.nginx.errorLog()}`);
  const targets = judge(rows, RECOVERY_LIMIT_MS, HANG_MS);

  console.log(
    `\nFault drill ${startedAt.toISOString()} — ${READS} reads/s + ${WRITES} writes/s offered, behind nginx unless noted`,
  );
  console.log(table(rows));
  for (const r of rows) {
    const extra = [
      r.outage &&
        `outage window: ${r.outage.inside} requests, ${r.outage.with503RetryAfter} × 503+Retry-After, ${r.outage.other5xx} other 5xx, ${r.outage.hangs} > ${HANG_MS} ms`,
      r.lastFailureAfterRepairMs !== undefined &&
        `last failure ${r.lastFailureAfterRepairMs} ms after the repair`,
      r.writes.refusedButCommitted > 0 &&
        `${r.writes.refusedButCommitted} writes refused (4xx) but committed`,
      `max ${r.maxMs} ms`,
      `${r.nginxReloads} nginx reloads`,
      ...Object.entries(r.failureBreakdown).map(([k, v]) => `${k} ×${v.n} (+${v.from}..${v.to}s)`),
      ...r.notes,
    ].filter(Boolean);
    console.log(`  ${r.scenario}: ${extra.join('; ')}`);
  }
  if (load.skipped > 0)
    console.log(`  the client skipped ${load.skipped} requests (over its in-flight limit)`);
  console.log('\nTargets:');
  for (const t of targets) console.log(`  ${t.pass ? 'PASS' : 'FAIL'}  ${t.target}: ${t.detail}`);
  const file = join(resultsDir, `drill-${stamp}.json`);
  writeFileSync(
    file,
    JSON.stringify(
      {
        startedAt: startedAt.toISOString(),
        drillSeconds: Math.round(drillMs / 1000),
        machine: {
          cpus: cpus().length,
          cpu: cpus()[0]?.model,
          loadavg: loadavg(),
          node: process.version,
        },
        load: { readsPerSecond: READS, writesPerSecond: WRITES, skipped: load.skipped },
        rows,
        targets,
      },
      null,
      2,
    ),
  );
  console.log(
    `\ndrill: ${Math.round(drillMs / 1000)} s of scenarios; results ${file}; instance logs ${appLogFile}`,
  );
}

const started = Date.now();
main()
  .then(async () => {
    await closeTopology(log);
    log(`stopped everything (${Math.round((Date.now() - started) / 1000)} s in all)`);
    process.exit(0);
  })
  .catch(async (err: unknown) => {
    console.error('drill failed:', err instanceof Error ? (err.stack ?? err.message) : err);
    await closeTopology(log);
    process.exit(1);
  });

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createClient } from '@redis/client';
import autocannon from 'autocannon';
import * as hdr from 'hdr-histogram-js';
import pg from 'pg';
import { CACHE_TAGS, cacheVersionKey } from '../src/cache/cache-tags.js';
import { buildWorkload, clientAddresses, type Workload } from './workload.js';

/**
 * `npm run bench`: builds (or reuses) the 200k-job PostgreSQL dataset, starts the built server
 * with Redis, TRUST_PROXY and WEB_CONCURRENCY, and drives two phases, each cache-cold (every
 * cache version bumped) then warm (every distinct request of the workload loaded once before):
 *   capacity: CONNECTIONS connections sending back to back;
 *   users:    CONNECTIONS connections each sending one request per second.
 * Prints requests/s, latency percentiles, non-2xx, errors and peak memory per process, and
 * writes them to bench/results/. Targets 127.0.0.1 only.
 * The compare phase comes first: one cached read per core against its two floors (see compare());
 * the queue phase last: the durable queue's throughput and what a send costs a write (queue()).
 */

const { values: args } = parseArgs({
  options: {
    jobs: { type: 'string', default: '200000' },
    duration: { type: 'string', default: '30' },
    connections: { type: 'string', default: '1000' },
    workers: { type: 'string', default: process.env.WEB_CONCURRENCY ?? '2' },
    phases: { type: 'string', default: 'compare,latency,capacity,users,queue' },
    /** The runtimes the compare phase measures, comma-separated (the first is the headline). */
    node: { type: 'string', default: process.execPath },
    /** Seconds each server is measured, in `compare-rounds` turns taken in rotation. */
    'compare-duration': { type: 'string', default: '15' },
    'compare-rounds': { type: 'string', default: '3' },
    'compare-connections': { type: 'string', default: '100' },
    caches: { type: 'string', default: 'cold,warm' },
    'database-url': {
      type: 'string',
      default: process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/spajobs_bench',
    },
    'redis-url': {
      type: 'string',
      default: process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379',
    },
  },
});

/** Independent starts of the users phase (connections are split evenly between them). */
const USER_GROUPS = 50;
/** The build this file is part of (dist/ for `npm run bench`), and the repository it runs in. */
const DIST = join(dirname(fileURLToPath(import.meta.url)), '..');
const ROOT = process.cwd();
const RESULTS = join(ROOT, 'bench', 'results');
const duration = Number(args.duration);
const connections = Number(args.connections);
const webConcurrency = Number(args.workers);
const databaseUrl = args['database-url'];
const redisUrl = args['redis-url'];

interface PhaseResult {
  phase: string;
  cache: 'cold' | 'warm';
  requests: number;
  rps: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  non2xx: number;
  /** Responses by HTTP status. */
  statuses: Record<string, number>;
  errors: number;
  timeouts: number;
  peakRssMb: Record<string, number>;
  /** Share of one core used during the phase, by process (the machine has cpus().length cores). */
  cpuCores: Record<string, number>;
  /** Per route, "requests over 1 s / requests" as the server measured them (routes with any). */
  slowOnServer: Record<string, string>;
}

function log(msg: string): void {
  console.log(`[bench] ${msg}`);
}

async function ensureDatabase(): Promise<void> {
  const url = new URL(databaseUrl);
  const name = url.pathname.slice(1);
  url.pathname = '/postgres';
  const admin = new pg.Client({ connectionString: url.toString() });
  await admin.connect();
  const exists = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
  if (exists.rowCount === 0) await admin.query(`CREATE DATABASE "${name.replace(/"/g, '')}"`);
  await admin.end();
}

/**
 * Every run starts from the same state: earlier runs' view-count updates leave dead rows, and a
 * server without autovacuum (like this machine's) would make each run slower than the last.
 */
async function vacuum(): Promise<void> {
  const db = new pg.Client({ connectionString: databaseUrl });
  await db.connect();
  await db.query('VACUUM (ANALYZE) jobs, spas, users');
  await db.end();
}

function run(cmd: string[], env: NodeJS.ProcessEnv): void {
  const r = spawnSync(process.execPath, cmd, { env, stdio: 'inherit', cwd: ROOT });
  if (r.status !== 0) throw new Error(`${cmd.join(' ')} failed`);
}

async function freePort(): Promise<number> {
  const { createServer } = await import('node:net');
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  await new Promise((r) => server.close(r));
  return port;
}

async function waitReady(base: string, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error('the server exited during boot');
    const ok = await fetch(`${base}/health/ready`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error('the server did not become ready');
}

/** The server's processes: the primary and its workers. */
function processTree(pid: number): number[] {
  const children = spawnSync('ps', ['-o', 'pid=', '--ppid', String(pid)], { encoding: 'utf8' })
    .stdout.split('\n')
    .map((s) => Number(s.trim()))
    .filter(Boolean);
  return [pid, ...children];
}

/**
 * Server-side latency: from every worker's /metrics, the requests per route and how many took
 * over 1 s (what the server itself saw, apart from the load generator's own queueing).
 */
async function serverLatency(
  base: string,
): Promise<Record<string, { total: number; over1s: number }>> {
  const pages = new Map<string, string>();
  for (let i = 0; i < 50 && pages.size < webConcurrency; i++) {
    const text = await (await fetch(`${base}/metrics`)).text();
    const pid = /pid="(\d+)"/.exec(text)?.[1];
    if (pid) pages.set(pid, text);
  }
  const out: Record<string, { total: number; over1s: number }> = {};
  for (const text of pages.values()) {
    for (const m of text.matchAll(
      /^http_request_duration_seconds_bucket\{[^}]*route="([^"]+)"[^}]*le="([^"]+)"\} (\d+)$/gm,
    )) {
      const [, route, le, n] = m;
      out[route] ??= { total: 0, over1s: 0 };
      if (le === '+Inf') {
        out[route].total += Number(n);
        out[route].over1s += Number(n);
      }
      if (le === '1') out[route].over1s -= Number(n);
    }
  }
  return out;
}

/**
 * CPU seconds used so far: by the server's processes, by this load generator, and by the whole
 * machine (the rest being PostgreSQL, Redis and the kernel's share of loopback networking).
 */
function cpuSeconds(serverPid: number): Record<string, number> {
  const ticks = (pid: number): number => {
    try {
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
      return Number(fields[11]) + Number(fields[12]); // utime + stime, in 1/100 s
    } catch {
      return 0;
    }
  };
  const out: Record<string, number> = {};
  processTree(serverPid).forEach(
    (pid, i) => (out[i === 0 ? 'primary' : `worker${i}`] = ticks(pid) / 100),
  );
  const own = process.cpuUsage();
  out['load generator'] = (own.user + own.system) / 1e6;
  // /proc/stat "cpu" line: user nice system idle iowait irq softirq steal ...
  const [user, nice, system, , , irq, softirq, steal] = readFileSync('/proc/stat', 'utf8')
    .split('\n')[0]
    .split(/\s+/)
    .slice(1)
    .map(Number);
  out.machine = (user + nice + system + irq + softirq + steal) / 100;
  return out;
}

/** Cores used during a phase by each process, and by everything else on the machine. */
function cpuShares(
  before: Record<string, number>,
  after: Record<string, number>,
): Record<string, number> {
  const cores = (k: string) => Math.round(((after[k] - (before[k] ?? 0)) / duration) * 100) / 100;
  const out: Record<string, number> = {};
  let known = 0;
  for (const k of Object.keys(after).filter((k) => k !== 'machine')) {
    out[k] = cores(k);
    known += out[k];
  }
  out['postgres, redis, kernel'] = Math.round((cores('machine') - known) * 100) / 100;
  return out;
}

function rssMb(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Math.round(Number(m[1]) / 1024) : 0;
  } catch {
    return 0;
  }
}

async function makeCold(prefix: string): Promise<void> {
  const client = createClient({ url: redisUrl });
  await client.connect();
  for (const tag of CACHE_TAGS) await client.incr(`${prefix}${cacheVersionKey(tag)}`);
  client.destroy();
}

/** Loads every distinct request of the workload once, so that the "warm" phases start warm. */
async function warmUp(base: string, workload: Workload): Promise<void> {
  const paths = [...new Set(workload.paths)];
  let next = 0;
  const worker = async (w: number) => {
    while (next < paths.length) {
      const path = paths[next++];
      const res = await fetch(`${base}${path}`, {
        headers: { 'x-forwarded-for': workload.clients[(next * 7 + w) % workload.clients.length] },
      });
      await res.arrayBuffer();
    }
  };
  await Promise.all(Array.from({ length: 32 }, (_, w) => worker(w)));
}

/**
 * One client, one request at a time, with nothing else running: what a filtered job list and a
 * full-text search cost from the database (cold: every request distinct and uncached) and from
 * the cache (warm: the same requests again).
 */
async function singleClientLatency(
  base: string,
  prefix: string,
): Promise<Record<string, Record<string, number>>> {
  await makeCold(prefix);
  const words = [
    'massage',
    'reflexology',
    'shiatsu',
    'esthetician',
    'hydrafacial',
    'manager',
    'yoga',
    'sauna',
  ];
  const sorts = ['newest', 'popular', 'salary'];
  const kinds: Record<string, string[]> = {
    'filtered job list': Array.from(
      { length: 150 },
      (_, i) =>
        `/api/v1/jobs?stateId=${1 + (i % 50)}&categoryId=${1 + (i % 14)}&sort=${sorts[i % 3]}`,
    ),
    search: Array.from(
      { length: 150 },
      (_, i) =>
        `/api/v1/jobs?q=${words[i % words.length]}&stateId=${1 + (i % 50)}${i % 2 ? '&sort=salary' : ''}`,
    ),
  };
  const out: Record<string, Record<string, number>> = {};
  for (const [kind, paths] of Object.entries(kinds)) {
    for (const cache of ['cold', 'warm']) {
      const ms: number[] = [];
      for (const [i, path] of paths.entries()) {
        const started = performance.now();
        const res = await fetch(`${base}${path}`, {
          headers: { 'x-forwarded-for': `10.250.0.${i % 250}` },
        });
        await res.arrayBuffer();
        if (!res.ok) throw new Error(`${path} answered ${res.status}`);
        ms.push(performance.now() - started);
      }
      ms.sort((a, b) => a - b);
      const at = (q: number) => Math.round(ms[Math.floor(q * (ms.length - 1))] * 10) / 10;
      out[`${kind} (${cache})`] = { p50: at(0.5), p95: at(0.95), max: at(1) };
      log(
        `single client, ${kind}, ${cache}: p50 ${at(0.5)} ms, p95 ${at(0.95)} ms, max ${at(1)} ms`,
      );
    }
  }
  return out;
}

async function drive(
  base: string,
  workload: Workload,
  phase: 'capacity' | 'users',
  cache: 'cold' | 'warm',
  serverPid: number,
): Promise<PhaseResult> {
  const histogram = hdr.build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: 120_000,
    numberOfSignificantValueDigits: 3,
  });
  const peak: Record<string, number> = {};
  const sampler = setInterval(() => {
    processTree(serverPid).forEach((pid, i) => {
      const label = i === 0 ? (webConcurrency > 1 ? 'primary' : 'server') : `worker${i}`;
      peak[label] = Math.max(peak[label] ?? 0, rssMb(pid));
    });
  }, 500);
  let n = 0;
  const options = (conns: number): autocannon.Options => ({
    url: base,
    connections: conns,
    duration,
    timeout: 10,
    ...(phase === 'users' ? { connectionRate: 1 } : {}),
    requests: [
      {
        method: 'GET',
        setupRequest: (req) => {
          n++;
          const i = (n * 2654435761) >>> 0;
          return {
            ...req,
            path: workload.paths[i % workload.paths.length],
            headers: {
              'x-forwarded-for': workload.clients[(i >>> 5) % workload.clients.length],
              'accept-encoding': 'gzip',
            },
          };
        },
      },
    ],
  });
  const start = (opts: autocannon.Options) =>
    new Promise<autocannon.Result>((resolve, reject) => {
      const instance = autocannon(opts, (err, res) => (err ? reject(err as Error) : resolve(res)));
      instance.on('response', (_client, _status, _bytes, responseTime) =>
        histogram.recordValue(Math.max(1, responseTime)),
      );
    });
  // Users think independently: autocannon's paced connections all fire on the same tick, so the
  // users phase runs USER_GROUPS instances started evenly across one second.
  const runs =
    phase === 'capacity'
      ? [start(options(connections))]
      : Array.from({ length: USER_GROUPS }, (_, g) =>
          new Promise<void>((r) => setTimeout(r, (g * 1000) / USER_GROUPS)).then(() =>
            start(options(connections / USER_GROUPS)),
          ),
        );
  const cpuBefore = cpuSeconds(serverPid);
  const latencyBefore = await serverLatency(base);
  const all = await Promise.all(runs);
  const cpuAfter = cpuSeconds(serverPid);
  const latencyAfter = await serverLatency(base);
  const slowOnServer = Object.fromEntries(
    Object.entries(latencyAfter)
      .map(([route, l]): [string, string] => {
        const total = l.total - (latencyBefore[route]?.total ?? 0);
        return [route, `${l.over1s - (latencyBefore[route]?.over1s ?? 0)}/${total}`];
      })
      .filter(([, v]) => !v.startsWith('0/')),
  );
  const result = {
    requests: { total: all.reduce((sum, r) => sum + r.requests.total, 0) },
    non2xx: all.reduce((sum, r) => sum + r.non2xx, 0),
    errors: all.reduce((sum, r) => sum + r.errors, 0),
    timeouts: all.reduce((sum, r) => sum + r.timeouts, 0),
    statusCodeStats: all.reduce<Record<string, { count: number }>>((acc, r) => {
      for (const [code, st] of Object.entries(r.statusCodeStats ?? {})) {
        acc[code] = { count: (acc[code]?.count ?? 0) + (st?.count ?? 0) };
      }
      return acc;
    }, {}),
  };
  clearInterval(sampler);
  const total = result.requests.total;
  return {
    phase,
    cache,
    requests: total,
    rps: Math.round(total / duration),
    p50: histogram.getValueAtPercentile(50),
    p95: histogram.getValueAtPercentile(95),
    p99: histogram.getValueAtPercentile(99),
    max: histogram.maxValue,
    non2xx: result.non2xx,
    statuses: Object.fromEntries(
      Object.entries(result.statusCodeStats).map(([code, st]): [string, number] => [
        code,
        st.count,
      ]),
    ),
    errors: result.errors,
    timeouts: result.timeouts,
    peakRssMb: peak,
    slowOnServer,
    cpuCores: cpuShares(cpuBefore, cpuAfter),
  };
}

interface CompareRow {
  node: string;
  server: string;
  rps: number;
  /** Requests per second of the server's own CPU time: per core, whatever else ran meanwhile. */
  rpsPerCpu: number;
  p99: string;
  non2xx: number;
  errors: number;
}

/** CPU seconds (user + system) a process has used so far. */
function cpuOf(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** Runs `cmd` pinned to `cpu` when the machine has a core to spare for the load generator. */
function pinned(cpu: number, cmd: string[]): [string, string[]] {
  return cpus().length >= 2 ? ['taskset', ['-c', String(cpu), ...cmd]] : [cmd[0], cmd.slice(1)];
}

/** The raw bytes (still gzipped) a GET answers with, and its Content-Encoding. */
async function rawBody(url: string): Promise<{ body: Buffer; encoding?: string }> {
  const { get } = await import('node:http');
  return new Promise((resolve, reject) => {
    get(url, { headers: { 'accept-encoding': 'gzip', 'x-forwarded-for': '10.255.0.1' } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({
          body: Buffer.concat(chunks),
          encoding: res.headers['content-encoding'],
        }),
      );
    }).on('error', reject);
  });
}

/**
 * BENCH_SERVER_NODE_ARGS, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof": profiles the servers (after
 * the default flags, so it can also override them).
 */
function serverNodeArgs(): string[] {
  return process.env.BENCH_SERVER_NODE_ARGS?.split(' ').filter(Boolean) ?? [];
}

/** wrk with a script sending `paths` round robin from `clients`, pinned to the second core. */
function wrk(base: string, paths: string[], clients: string[], seconds: number, conns: number) {
  const script = join(RESULTS, 'compare.lua');
  writeFileSync(
    script,
    `local paths = {${paths.map((p) => JSON.stringify(p)).join(',')}}
local clients = {${clients.map((c) => JSON.stringify(c)).join(',')}}
-- built once (in init: wrk.format needs the Host): formatting each request in Lua would make
-- wrk the bottleneck
local requests = {}
init = function()
  for i = 1, #clients do
    requests[i] = wrk.format('GET', paths[(i % #paths) + 1], {
      ['X-Forwarded-For'] = clients[((i * 7919) % #clients) + 1],
      ['Accept-Encoding'] = 'gzip',
    })
  end
end
local i = 0
request = function()
  i = (i % #requests) + 1
  return requests[i]
end
`,
  );
  const [cmd, argv] = pinned(1, [
    'wrk',
    '-t1',
    `-c${conns}`,
    `-d${seconds}s`,
    '--latency',
    '-s',
    script,
    base,
  ]);
  const out = spawnSync(cmd, argv, { encoding: 'utf8' });
  if (out.status !== 0) throw new Error(`wrk failed: ${out.stderr}`);
  const text = out.stdout;
  const requests = Number(/(\d+) requests in/.exec(text)?.[1] ?? 0);
  const errors = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(text);
  return {
    requests,
    p99: /\s99%\s+(\S+)/.exec(text)?.[1] ?? '?',
    non2xx: Number(/Non-2xx or 3xx responses: (\d+)/.exec(text)?.[1] ?? 0),
    errors: errors ? errors.slice(1).reduce((sum, n) => sum + Number(n), 0) : 0,
  };
}

/** wrk's latency figure (e.g. `950.00us`, `11.70ms`, `1.02s`) in ms. */
function latencyMs(text: string): number {
  const m = /^([\d.]+)(us|ms|s)$/.exec(text);
  if (!m) return Number.NaN;
  return Number(m[1]) * (m[2] === 'us' ? 0.001 : m[2] === 's' ? 1000 : 1);
}

/**
 * The cached read against its floors, per core, side by side on each runtime: spajobs (one
 * process, Redis on, warm cache, `GET /api/v1/jobs?cityId=N&limit=20` over every city from
 * 20,000 client addresses), bare NestJS on Express and raw `node:http` sending the bytes spajobs
 * sends for one of those lists. All three run at once, pinned to core 0 (wrk to core 1), and are
 * measured in turns (`compare-rounds` rounds of spajobs, Nest, raw, each turn after a second of
 * unmeasured load), so that the VM's drift over a minute falls on all three alike; each one's CPU
 * time is read around its own turns only.
 */
async function compare(dbEnv: NodeJS.ProcessEnv): Promise<CompareRow[]> {
  const db = new pg.Client({ connectionString: databaseUrl });
  await db.connect();
  const cities = (await db.query<{ id: number }>('SELECT DISTINCT city_id AS id FROM jobs')).rows;
  await db.end();
  const paths = cities.map((c) => `/api/v1/jobs?cityId=${c.id}&limit=20`);
  const clients = clientAddresses();
  const rounds = Number(args['compare-rounds']);
  const seconds = Number(args['compare-duration']) / rounds;
  const conns = Number(args['compare-connections']);
  const rows: CompareRow[] = [];
  for (const node of args.node.split(',')) {
    const version = spawnSync(node, ['--version'], { encoding: 'utf8' }).stdout.trim();
    const start = async (script: string, env: NodeJS.ProcessEnv) => {
      const port = await freePort();
      const [cmd, argv] = pinned(0, [
        node,
        '--max-semi-space-size=16',
        ...serverNodeArgs(),
        script,
      ]);
      const child = spawn(cmd, argv, {
        cwd: ROOT,
        // request log lines are written (to /dev/null), not shown
        stdio: ['ignore', 'ignore', 'inherit'],
        env: { ...env, PORT: String(port) },
      });
      return { child, base: `http://127.0.0.1:${port}` };
    };
    const started: ChildProcess[] = [];
    try {
      const prefix = `benchcmp${Date.now()}:`;
      const startSpajobs = async (main: string, keyPrefix: string) => {
        const server = await start(main, {
          ...dbEnv,
          // a hit is logged like any request, at production's level
          LOG_LEVEL: 'INFO',
          NODE_ENV: 'production',
          SECRET_KEY: randomBytes(32).toString('hex'),
          HOST: '127.0.0.1',
          REDIS_URL: redisUrl,
          REDIS_KEY_PREFIX: keyPrefix,
          TRUST_PROXY: 'loopback',
          WEB_CONCURRENCY: '1',
          UPLOAD_DIR: join(RESULTS, 'uploads'),
          RESUME_DIR: join(RESULTS, 'resumes'),
        });
        started.push(server.child);
        await waitReady(server.base, server.child);
        await warmUp(server.base, { paths, clients });
        return server;
      };
      const app = await startSpajobs(join(DIST, 'src/main.js'), prefix);
      const body = await rawBody(`${app.base}${paths[0]}`);
      const bodyFile = join(RESULTS, 'compare-body.bin');
      writeFileSync(bodyFile, body.body);
      const floorEnv = {
        ...baseEnv(),
        BENCH_BODY_FILE: bodyFile,
        ...(body.encoding ? { BENCH_BODY_ENCODING: body.encoding } : {}),
      };
      const servers = [{ name: 'spajobs cached read', ...app }];
      // A/B of a change: another build's server measured in raw node:http's place, side by side
      const variant = process.env.BENCH_COMPARE_VARIANT;
      if (variant)
        servers.push({ name: 'variant', ...(await startSpajobs(variant, `${prefix}v:`)) });
      for (const [name, script] of [
        ['bare NestJS (Express)', join(DIST, 'bench/bare-nest.js')],
        ...(variant ? [] : [['raw node:http', join(DIST, 'bench/bare-http.js')]]),
      ]) {
        const floor = await start(script, floorEnv);
        started.push(floor.child);
        await waitListening(floor.base, floor.child);
        servers.push({ name, ...floor });
      }
      // one short pass each first: the JIT warms up on the code it is measured on
      for (const s of servers) wrk(s.base, paths, clients, 3, conns);
      const totals = servers.map(() => ({
        requests: 0,
        cpu: 0,
        non2xx: 0,
        errors: 0,
        p99: [] as number[],
      }));
      for (let round = 0; round < rounds; round++) {
        for (const [i, s] of servers.entries()) {
          // a second of load first: a server idle through the others' turns has shrunk its heap
          wrk(s.base, paths, clients, 1, conns);
          const cpuBefore = cpuOf(s.child.pid!);
          const r = wrk(s.base, paths, clients, seconds, conns);
          const t = totals[i];
          t.cpu += cpuOf(s.child.pid!) - cpuBefore;
          t.requests += r.requests;
          t.non2xx += r.non2xx;
          t.errors += r.errors;
          t.p99.push(latencyMs(r.p99));
        }
      }
      for (const [i, s] of servers.entries()) {
        const t = totals[i];
        const p99 = [...t.p99].sort((a, b) => a - b)[Math.floor(t.p99.length / 2)];
        const row: CompareRow = {
          node: version,
          server: s.name,
          rps: Math.round(t.requests / (seconds * rounds)),
          rpsPerCpu: Math.round(t.requests / t.cpu),
          p99: `${p99.toFixed(2)}ms`,
          non2xx: t.non2xx,
          errors: t.errors,
        };
        rows.push(row);
        log(
          `compare ${version} ${s.name}: ${row.rps} req/s, ${row.rpsPerCpu} per CPU second, ` +
            `p99 ${row.p99} (median of ${rounds} turns), non-2xx ${row.non2xx}, errors ${row.errors}`,
        );
      }
      const row = (server: string) => rows.find((r) => r.node === version && r.server === server)!;
      const [ours, nest] = [row('spajobs cached read'), row('bare NestJS (Express)')];
      log(
        `compare ${version}: spajobs / bare Nest = ${(ours.rps / nest.rps).toFixed(2)} by req/s, ` +
          `${(ours.rpsPerCpu / nest.rpsPerCpu).toFixed(2)} per CPU second ` +
          `(body ${body.body.length} bytes, ${body.encoding ?? 'identity'})`,
      );
      if (variant) {
        const other = row('variant');
        log(
          `compare ${version}: variant / spajobs = ${(other.rpsPerCpu / ours.rpsPerCpu).toFixed(3)} ` +
            `per CPU second; variant / bare Nest = ${(other.rpsPerCpu / nest.rpsPerCpu).toFixed(2)}`,
        );
      }
    } finally {
      for (const child of started) {
        child.kill('SIGTERM');
        if (child.exitCode === null) await new Promise((r) => child.once('exit', r));
      }
    }
  }
  console.table(rows);
  return rows;
}

interface QueueResult {
  database: string;
  jobs: number;
  enqueuedPerSecond: number;
  completed: number;
  completedPerSecond: number;
  writes: Record<'without' | 'with', { p50: number; p99: number }>;
  p99Ratio: number;
  /** POST /jobs/:id/applications over HTTP, with and without the notice's enqueue. */
  route: Record<'without' | 'with', { p50: number; p99: number }>;
  routeP99Ratio: number;
  /** The same with WORKERS_ENABLED=false (the handlers in other processes): the enqueue alone. */
  routeWorkersApart: Record<'without' | 'with', { p50: number; p99: number }>;
  routeWorkersApartP99Ratio: number;
}

/**
 * The durable queue on PostgreSQL and on the embedded database (bench/queue.ts, a process of its
 * own with the app's modules): jobs enqueued and completed per second, the p50/p99 of a one-row
 * write transaction and of the application route without and with a `send` in it; then the route
 * again in a process with WORKERS_ENABLED=false (handlers elsewhere): what the enqueue alone costs.
 */
function queue(dbEnv: NodeJS.ProcessEnv): QueueResult[] {
  const out: QueueResult[] = [];
  const runs: Array<[string, NodeJS.ProcessEnv]> = [
    ['postgresql', dbEnv],
    [
      'embedded',
      {
        ...baseEnv(),
        DATABASE_TYPE: 'pglite',
        DATA_DIR: join(RESULTS, `queue-embedded-${Date.now()}`),
        SEED_DEMO_DATA: 'false',
        BENCH_QUEUE_JOBS: '500',
        BENCH_QUEUE_WRITES: '600',
      },
    ],
  ];
  const run = <T>(env: NodeJS.ProcessEnv): T => {
    const r = spawnSync(process.execPath, [join(DIST, 'bench/queue.js')], {
      cwd: ROOT,
      encoding: 'utf8',
      env: {
        LOG_LEVEL: 'WARNING',
        WORKERS_ENABLED: 'true',
        QUEUE_POLL_INTERVAL_MS: '500',
        RATE_LIMIT_ENABLED: 'false',
        SECRET_KEY: randomBytes(32).toString('hex'),
        UPLOAD_DIR: join(RESULTS, 'uploads'),
        RESUME_DIR: join(RESULTS, 'resumes'),
        ...env,
      },
    });
    const line = r.stdout.trim().split('\n').pop() ?? '';
    if (r.status !== 0 || !line.startsWith('{')) throw new Error(`queue bench failed: ${r.stderr}`);
    return JSON.parse(line) as T;
  };
  for (const [database, env] of runs) {
    const all =
      run<Omit<QueueResult, 'database' | 'routeWorkersApart' | 'routeWorkersApartP99Ratio'>>(env);
    const apart = run<Pick<QueueResult, 'route' | 'routeP99Ratio'>>({
      ...env,
      WORKERS_ENABLED: 'false',
      BENCH_QUEUE_ROUTE_ONLY: 'true',
    });
    const result: QueueResult = {
      database,
      ...all,
      routeWorkersApart: apart.route,
      routeWorkersApartP99Ratio: apart.routeP99Ratio,
    };
    out.push(result);
    log(
      `queue on ${database}: ${result.enqueuedPerSecond} jobs/s enqueued, ${result.completedPerSecond}/s completed ` +
        `(${result.completed}/${result.jobs}); one-row write p50/p99 ${result.writes.without.p50}/${result.writes.without.p99} ms ` +
        `without a send, ${result.writes.with.p50}/${result.writes.with.p99} ms with (p99 × ${result.p99Ratio}); ` +
        `POST /jobs/:id/applications p50/p99 ${result.route.without.p50}/${result.route.without.p99} ms without ` +
        `the enqueue, ${result.route.with.p50}/${result.route.with.p99} ms with (p99 × ${result.routeP99Ratio}); ` +
        `with the workers apart ${result.routeWorkersApart.without.p50}/${result.routeWorkersApart.without.p99} → ` +
        `${result.routeWorkersApart.with.p50}/${result.routeWorkersApart.with.p99} ms (p99 × ${result.routeWorkersApartP99Ratio})`,
    );
  }
  return out;
}

async function waitListening(base: string, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error('the floor server exited during boot');
    if (
      await fetch(base).then(
        () => true,
        () => false,
      )
    )
      return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('the floor server did not start');
}

function baseEnv(): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' };
}

function writeResults(parts: object): void {
  const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
  const file = join(RESULTS, `${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, JSON.stringify({ machine, args, ...parts }, null, 2));
  log(`machine: ${machine}; results in ${file}`);
}

async function main(): Promise<void> {
  mkdirSync(RESULTS, { recursive: true });
  const dbEnv = {
    ...baseEnv(),
    DATABASE_TYPE: 'postgresql',
    DATABASE_URL: databaseUrl,
    SEED_DEMO_DATA: 'false',
    LOG_LEVEL: 'WARNING',
  };

  await ensureDatabase();
  log(`dataset: ${args.jobs} jobs in ${databaseUrl}`);
  const seedStart = Date.now();
  run([join(DIST, 'src/cli/seed.js'), '--jobs', args.jobs], dbEnv);
  log(`dataset ready in ${((Date.now() - seedStart) / 1000).toFixed(1)} s`);
  await vacuum();
  const phases = args.phases.split(',');
  const compared = phases.includes('compare') ? await compare(dbEnv) : undefined;
  const queued = phases.includes('queue') ? queue(dbEnv) : undefined;
  if (phases.every((p) => p === 'compare' || p === 'queue')) {
    writeResults({ compared, queued });
    return;
  }

  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const prefix = `bench${Date.now()}:`;
  // the flags of `npm run start:prod` (a larger young generation: ~10% less CPU in GC)
  const server = spawn(
    process.execPath,
    ['--max-semi-space-size=16', ...serverNodeArgs(), join(DIST, 'src/main.js')],
    {
      cwd: ROOT,
      stdio: ['ignore', 'inherit', 'inherit'],
      env: {
        ...dbEnv,
        NODE_ENV: 'production',
        SECRET_KEY: randomBytes(32).toString('hex'),
        HOST: '127.0.0.1',
        PORT: String(port),
        REDIS_URL: redisUrl,
        REDIS_KEY_PREFIX: prefix,
        TRUST_PROXY: 'loopback',
        WEB_CONCURRENCY: String(webConcurrency),
        // per worker: WEB_CONCURRENCY × (10 + 10) stays well under PostgreSQL's max_connections (100)
        DB_POOL_SIZE: '10',
        DB_MAX_OVERFLOW: '10',
        UPLOAD_DIR: join(RESULTS, 'uploads'),
        RESUME_DIR: join(RESULTS, 'resumes'),
      },
    },
  );
  try {
    await waitReady(base, server);
    log(`server ready: WEB_CONCURRENCY=${webConcurrency}, Redis on, TRUST_PROXY=loopback`);
    const workload = await buildWorkload(databaseUrl, base, clientAddresses());
    log(
      `workload: ${workload.paths.length} requests (${new Set(workload.paths).size} distinct) ` +
        `over ${workload.clients.length} clients`,
    );

    const results: PhaseResult[] = [];
    const singleClient = phases.includes('latency')
      ? await singleClientLatency(base, prefix)
      : undefined;
    for (const phase of phases.filter((p) => !['latency', 'compare', 'queue'].includes(p)) as Array<
      'capacity' | 'users'
    >) {
      for (const cache of args.caches.split(',') as Array<'cold' | 'warm'>) {
        if (cache === 'cold') await makeCold(prefix);
        else await warmUp(base, workload);
        log(`${phase} (${cache} cache): ${connections} connections for ${duration} s…`);
        const r = await drive(base, workload, phase, cache, server.pid!);
        results.push(r);
        log(
          `${phase}/${cache}: ${r.rps} req/s, p50 ${r.p50} ms, p95 ${r.p95} ms, p99 ${r.p99} ms, ` +
            `non-2xx ${r.non2xx} ${JSON.stringify(r.statuses)}, errors ${r.errors}, timeouts ${r.timeouts}, ` +
            `peak RSS ${JSON.stringify(r.peakRssMb)}, CPU (cores) ${JSON.stringify(r.cpuCores)}, ` +
            `server-side > 1 s ${JSON.stringify(r.slowOnServer)}`,
        );
      }
    }
    writeResults({ compared, queued, singleClient, results });
    console.table(
      results.map((r) => ({
        phase: `${r.phase}/${r.cache}`,
        'req/s': r.rps,
        'p50 ms': r.p50,
        'p95 ms': r.p95,
        'p99 ms': r.p99,
        'non-2xx': r.non2xx,
        'errors (timeouts)': `${r.errors} (${r.timeouts})`,
        'peak RSS MB': Object.entries(r.peakRssMb)
          .map(([k, v]) => `${k} ${v}`)
          .join(', '),
      })),
    );
  } finally {
    server.kill('SIGTERM');
    await new Promise((r) => server.once('exit', r));
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});

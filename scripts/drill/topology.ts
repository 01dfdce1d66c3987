/**
 * The drill's topology, all private and on free loopback ports: a PostgreSQL primary with a
 * streaming replica, a redis-server, Debian's nginx (deploy/nginx.conf, in a temporary prefix)
 * in front of two instances of the built server, each a cluster of WEB_CONCURRENCY=2 workers.
 * `close` undoes everything `startTopology` did, in reverse order, whatever failed.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppInstance, findNginx, LocalNginx, probe } from '../local-topology.js';
import { freePort, PgPair, pgQuery, RedisServer } from './engines.js';

export const DRILL_DATABASE = 'spajobs_drill';
/** The pool timeout the instances run with: no answer may take (much) longer during an outage. */
export const POOL_TIMEOUT_SECONDS = 5;

export interface Topology {
  dir: string;
  pg: PgPair;
  primaryUrl: string;
  redis: RedisServer;
  nginx: LocalNginx;
  a: AppInstance;
  b: AppInstance;
  /** nginx reloads so far (each change of the instances in rotation is one). */
  reloads(): number;
  close(): Promise<void>;
}

export interface TopologyOptions {
  entry: string;
  replicaDelayMs: number;
  log: (line: string) => void;
  /** Every line the instances print goes here (a log file kept next to the results). */
  appLog: (name: string, line: string) => void;
}

/** The worker processes of an instance (its cluster primary's children). */
export function workerPids(pid: number | undefined): number[] {
  if (!pid) return [];
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8')
      .trim()
      .split(/\s+/)
      .filter(Boolean)
      .map(Number);
  } catch {
    return [];
  }
}

/** What was started so far, undone in reverse order (also on Ctrl-C while starting). */
const undo: Array<() => Promise<unknown>> = [];
let closing: Promise<void> | undefined;

/** Stops everything the topology started and removes its files; safe to call twice. */
export function closeTopology(log: (line: string) => void = console.error): Promise<void> {
  closing ??= (async () => {
    while (undo.length > 0) {
      const step = undo.pop()!;
      await step().catch((err: unknown) => log(`cleanup: ${String(err)}`));
    }
  })();
  return closing;
}

export async function startTopology(opts: TopologyOptions): Promise<Topology> {
  if (!findNginx()) throw new Error("the drill needs Debian's nginx: apt-get install -y nginx");
  const close = () => closeTopology(opts.log);
  try {
    const dir = await mkdtemp(join(tmpdir(), 'spajobs-drill-'));
    undo.push(() => rm(dir, { recursive: true, force: true }));
    const uploadDir = join(dir, 'uploads');
    await mkdir(uploadDir, { recursive: true });

    opts.log(`PostgreSQL primary + streaming replica (apply delay ${opts.replicaDelayMs} ms)`);
    const pg = await PgPair.start(opts.replicaDelayMs);
    undo.push(() => Promise.resolve(pg.destroySync()));
    await pgQuery(pg.url(pg.primaryPort, 'postgres'), `CREATE DATABASE ${DRILL_DATABASE}`);
    const primaryUrl = pg.url(pg.primaryPort, DRILL_DATABASE);

    const redis = await RedisServer.start();
    undo.push(() => redis.kill());
    opts.log(
      `primary :${pg.primaryPort}, replica :${pg.replicaPort}, redis :${redis.port} (all private)`,
    );

    const env: Record<string, string | undefined> = {
      PATH: process.env.PATH,
      NODE_ENV: 'production',
      SECRET_KEY: randomBytes(32).toString('base64'),
      DATABASE_TYPE: 'postgresql',
      DATABASE_URL: primaryUrl,
      DATABASE_REPLICA_URLS: pg.url(pg.replicaPort, DRILL_DATABASE),
      REDIS_URL: redis.url,
      WEB_CONCURRENCY: '2',
      TRUST_PROXY: '127.0.0.1',
      // one client address sends everything: the limiter runs (and uses Redis) but never refuses
      RATE_LIMIT_PER_MINUTE: '1000000',
      RATE_LIMIT_PER_HOUR: '10000000',
      DB_POOL_SIZE: '4',
      DB_MAX_OVERFLOW: '6',
      DB_REPLICA_POOL_SIZE: '4',
      DB_POOL_TIMEOUT_SECONDS: String(POOL_TIMEOUT_SECONDS),
      ACCESS_TOKEN_EXPIRE_MINUTES: '120',
      UPLOAD_DIR: uploadDir,
      RESUME_DIR: join(dir, 'resumes'),
      MAIL_OUTBOX_DIR: join(dir, 'outbox'),
      SEED_DEMO_DATA: 'false',
      LOG_LEVEL: 'WARNING',
    };
    const [portA, portB, nginxPort] = [await freePort(), await freePort(), await freePort()];
    const instance = (name: string, port: number) =>
      new AppInstance({
        name,
        port,
        env: { ...env },
        entry: opts.entry,
        onLine: (line) => opts.appLog(name, line),
      });
    const a = instance('a', portA);
    const b = instance('b', portB);
    undo.push(async () => {
      await Promise.all([a.stop('SIGTERM', 15_000), b.stop('SIGTERM', 15_000)]);
    });
    const nginx = await LocalNginx.start({
      dir: join(dir, 'nginx'),
      port: nginxPort,
      upstreams: [a, b].map((i) => ({ host: '127.0.0.1', port: i.port, down: true })),
      uploadDir,
      maxUploadMb: 10,
      workerProcesses: 2,
    });
    undo.push(() => nginx.stop());
    // migrations take an advisory lock: one instance first, then the other
    a.start();
    if (!(await a.ready(120_000))) throw new Error(`instance a did not start:\n${a.output()}`);
    b.start();
    if (!(await b.ready(120_000))) throw new Error(`instance b did not start:\n${b.output()}`);
    const watcher = watchReadiness(nginx, (line) => opts.appLog('nginx', line));
    undo.push(() => Promise.resolve(watcher.stop()));
    opts.log(`nginx :${nginxPort} in front of a :${portA} and b :${portB} (2 workers each)`);
    return { dir, pg, primaryUrl, redis, nginx, a, b, reloads: () => watcher.reloads, close };
  } catch (err) {
    await close();
    throw err;
  }
}

/**
 * A load balancer's readiness probe for nginx OSS (which has none): every 200 ms each instance's
 * /health/ready; an instance that answers anything but 200 (503 while draining) leaves the
 * rotation at once, one that does not answer within 1 s twice in a row too (a single slow
 * answer on a starved machine is not a failure: each change is an nginx reload, and a reload
 * closes the clients' idle keep-alive connections). Back in at its first 200.
 */
function watchReadiness(
  nginx: LocalNginx,
  log: (line: string) => void,
): { stop(): void; reloads: number } {
  const silent = new Map<number, number>();
  let busy = false;
  const state = { reloads: 0, stop: () => clearInterval(timer) };
  const timer = setInterval(() => {
    if (busy) return;
    busy = true;
    void (async () => {
      try {
        const current = nginx.upstreams;
        const ready = await Promise.all(
          current.map(async (u) => {
            const status = await probe(u.host, u.port, '/health/ready', 1000);
            if (status > 0) silent.set(u.port, 0);
            if (status === 200) return true;
            if (status > 0) return false;
            const misses = (silent.get(u.port) ?? 0) + 1;
            silent.set(u.port, misses);
            return misses < 2 ? !u.down : false;
          }),
        );
        if (!current.some((u, i) => Boolean(u.down) === ready[i])) return;
        const next = current.map((u, i) => ({ ...u, down: !ready[i] }));
        await nginx.setUpstreams(next);
        state.reloads++;
        log(
          `in rotation: ${
            next
              .filter((u) => !u.down)
              .map((u) => u.port)
              .join(', ') || 'none'
          }`,
        );
      } finally {
        busy = false;
      }
    })();
  }, 200);
  return state;
}

/** Something else to undo when the topology closes (pushed last: undone first). */
export function onClose(step: () => Promise<unknown>): void {
  undo.push(step);
}

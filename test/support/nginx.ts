import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { request, type IncomingHttpHeaders } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/app-config.js';
import { openDataSource, type AppDataSource } from '../../src/database/data-source.js';
import {
  AppInstance,
  findNginx,
  LocalNginx,
  type NginxOptions,
  type Upstream,
} from '../../scripts/local-topology.js';
import { freePort } from './process.js';
import { TestRedisServer } from './redis-server.js';
import { createTestDatabase } from './test-database.js';

export { AppInstance, LocalNginx, type Upstream };

/** The built server the topology runs (the shared build, as the other process tests use). */
export const SERVER_ENTRY = join(process.cwd(), 'dist', 'src', 'main.js');

/**
 * Tests that need nginx run where Debian's nginx is installed; in CI (CI=true) a missing nginx is
 * a failure, never a silent skip (.ci/run installs it).
 */
export function requireNginx(): boolean {
  if (findNginx()) return true;
  if (process.env.CI) throw new Error('nginx is not installed, but CI must run the nginx tests');
  console.warn('nginx is not installed (apt-get install -y nginx): these tests are skipped');
  return false;
}

/**
 * One database for several instances: a fresh PostgreSQL database with DATABASE_URL, else an
 * embedded one served by this test process (as the cluster primary serves its workers).
 */
export interface SharedDatabase {
  env: Record<string, string>;
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
  drop(): Promise<void>;
}

export async function sharedDatabase(): Promise<SharedDatabase> {
  const test = await createTestDatabase();
  if (test.env.DATABASE_TYPE === 'postgresql') {
    const db = await openDataSource(loadConfig(test.env).database, { migrate: true });
    return {
      env: test.env,
      query: (sql, params) => db.query(sql, params),
      drop: async () => {
        await db.destroy();
        await test.drop();
      },
    };
  }
  const config = loadConfig({ DATABASE_TYPE: 'pglite', DATA_DIR: 'memory://' });
  const db: AppDataSource = await openDataSource(
    { ...config.database, poolSize: 1, maxOverflow: 0 },
    { migrate: true, embeddedMaxConnections: 60 },
  );
  return {
    env: {
      DATABASE_TYPE: 'pglite',
      EMBEDDED_DATABASE_URL: (db.options as { url: string }).url,
    },
    query: (sql, params) => db.query(sql, params),
    drop: () => db.destroy(),
  };
}

export interface Topology {
  nginx: LocalNginx;
  instances: AppInstance[];
  db: SharedDatabase;
  redis: TestRedisServer;
  uploadDir: string;
  dir: string;
  stop(): Promise<void>;
}

/**
 * `npm run cluster:local`'s topology for a test: nginx (deploy/nginx.conf) in front of
 * `count` instances of the built server, trusting exactly nginx (TRUST_PROXY=127.0.0.1), on one
 * shared database and a private Redis (shared rate limits and cache versions), nginx following
 * the instances' readiness. `stop` stops everything, also after a failed test.
 */
export async function startTopology(
  count: number,
  env: Record<string, string> = {},
  nginxOptions: Partial<NginxOptions> = {},
): Promise<Topology> {
  const dir = await mkdtemp(join(tmpdir(), 'spajobs-topology-'));
  const uploadDir = join(dir, 'uploads');
  await mkdir(uploadDir, { recursive: true });
  const started: Array<() => Promise<unknown>> = [];
  const stop = async () => {
    for (const undo of started.reverse()) await undo().catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  };
  try {
    const db = await sharedDatabase();
    started.push(() => db.drop());
    const redis = await TestRedisServer.start();
    started.push(() => redis.stop());
    const ports = await Promise.all(Array.from({ length: count }, () => freePort()));
    const instances = ports.map(
      (port, i) =>
        new AppInstance({
          name: `app${i + 1}`,
          port,
          entry: SERVER_ENTRY,
          env: {
            PATH: process.env.PATH,
            TRUST_PROXY: '127.0.0.1',
            UPLOAD_DIR: uploadDir,
            RESUME_DIR: join(dir, 'resumes'),
            MAIL_OUTBOX_DIR: join(dir, 'outbox'),
            SEED_DEMO_DATA: 'false',
            REDIS_URL: redis.url,
            DB_POOL_SIZE: '2',
            DB_MAX_OVERFLOW: '8',
            LOG_LEVEL: 'WARNING',
            ...db.env,
            ...env,
          },
        }),
    );
    started.push(async () => {
      await Promise.all(instances.map((a) => a.stop('SIGKILL')));
    });
    const nginx = await LocalNginx.start({
      dir: join(dir, 'nginx'),
      port: await freePort(),
      upstreams: instances.map((a) => ({ host: '127.0.0.1', port: a.port })),
      uploadDir,
      maxUploadMb: Number(env.MAX_UPLOAD_MB ?? 10),
      ...nginxOptions,
    });
    started.push(() => nginx.stop());
    for (const a of instances) a.start();
    const ready = await Promise.all(instances.map((a) => a.ready()));
    if (ready.some((r) => !r))
      throw new Error(
        `an instance did not start:\n${instances.map((a) => a.output()).join('\n---\n')}`,
      );
    nginx.watchReadiness(200);
    return { nginx, instances, db, redis, uploadDir, dir, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

export interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface CallOptions {
  method?: string;
  body?: unknown;
  token?: string;
  headers?: Record<string, string>;
  /** The client's own address (127.0.0.x: any loopback address is this machine). */
  from?: string;
  /** Rejects when the whole answer has not arrived by then (default 30 s). */
  timeoutMs?: number;
}

/**
 * One request on a fresh connection; rejects on a socket error (reset, refused, hang-up) or when
 * no whole answer came within `timeoutMs`.
 */
export function call(port: number, path: string, opts: CallOptions = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const payload =
      opts.body === undefined
        ? undefined
        : Buffer.isBuffer(opts.body)
          ? opts.body
          : Buffer.from(JSON.stringify(opts.body));
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path,
        method: opts.method ?? 'GET',
        agent: false,
        localAddress: opts.from,
        headers: {
          ...(payload && !Buffer.isBuffer(opts.body) ? { 'content-type': 'application/json' } : {}),
          ...(opts.token ? { authorization: `Bearer ${opts.token}` } : {}),
          ...opts.headers,
        },
      },
      (res) => {
        let text = '';
        res.on('data', (d: Buffer) => (text += d.toString()));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }),
        );
        res.on('error', reject);
      },
    );
    const timeoutMs = opts.timeoutMs ?? 30_000;
    const timer = setTimeout(
      () => req.destroy(new Error(`no answer to ${path} on :${port} in ${timeoutMs} ms`)),
      timeoutMs,
    );
    req.on('close', () => clearTimeout(timer));
    req.on('error', reject);
    req.end(payload);
  });
}

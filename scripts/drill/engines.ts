/**
 * The engines the fault drill runs privately and breaks on purpose: a PostgreSQL primary with a
 * streaming replica (initdb + `pg_basebackup -R` into a temporary directory, on free loopback
 * ports, never the shared cluster on 5432), a redis-server, and a Redis Cluster (three masters
 * with a replica each). Each can be stopped, stalled and started again; `destroy`/`stop` removes
 * every file. Adapted from test/support/pg-replica.ts, redis-server.ts and redis-cluster.ts
 * (which the build does not include): the drill also stops its own primary.
 */
import { execFile, execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { appendFileSync, chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createClient } from '@redis/client';
import pg from 'pg';

/** A TCP port that was free a moment ago. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function waitFor(
  check: () => Promise<boolean>,
  timeoutMs: number,
  everyMs = 100,
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check().catch(() => false)) return true;
    if (Date.now() > deadline) return false;
    await sleep(everyMs);
  }
}

/** The newest installed PostgreSQL server binaries (Debian layout), if any. */
export function pgBinDir(): string | undefined {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root)
    .filter((v) => existsSync(join(root, v, 'bin', 'pg_ctl')))
    .sort((a, b) => Number(a) - Number(b));
  return versions.length ? join(root, versions[versions.length - 1], 'bin') : undefined;
}

/** PostgreSQL refuses to run as root: the clusters then belong to `postgres`. */
const asRoot = userInfo().uid === 0;
const shellQuote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

function runAsPostgres(bin: string, args: string[]): string {
  const command = asRoot ? 'su' : bin;
  const argv = asRoot
    ? ['postgres', '-s', '/bin/sh', '-c', [bin, ...args].map(shellQuote).join(' ')]
    : args;
  return execFileSync(command, argv, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** The same without blocking the event loop (the drill's load keeps running meanwhile). */
async function runAsPostgresAsync(bin: string, args: string[]): Promise<void> {
  const command = asRoot ? 'su' : bin;
  const argv = asRoot
    ? ['postgres', '-s', '/bin/sh', '-c', [bin, ...args].map(shellQuote).join(' ')]
    : args;
  await promisify(execFile)(command, argv, { encoding: 'utf8' });
}

function appendConf(file: string, settings: Record<string, string>): void {
  const lines = Object.entries(settings).map(([k, v]) => `${k} = ${v}`);
  appendFileSync(file, `${lines.join('\n')}\n`);
}

/** Every pair still present when this process ends is stopped and removed (crash, Ctrl-C). */
const livePairs = new Set<PgPair>();
const liveChildren = new Set<ChildProcess>();
process.once('exit', () => {
  for (const pair of livePairs) pair.destroySync();
  for (const child of liveChildren) if (child.exitCode === null) child.kill('SIGKILL');
});

/** A private PostgreSQL primary and its streaming replica, trust auth, in a temporary directory. */
export class PgPair {
  private destroyed = false;

  private constructor(
    private readonly bin: string,
    readonly dir: string,
    readonly primaryPort: number,
    readonly replicaPort: number,
  ) {
    livePairs.add(this);
  }

  static async start(applyDelayMs: number): Promise<PgPair> {
    const bin = pgBinDir();
    if (!bin) throw new Error('PostgreSQL server binaries not found under /usr/lib/postgresql');
    const dir = mkdtempSync(join(tmpdir(), 'spajobs-drill-pg-'));
    if (asRoot) {
      const id = (flag: string) =>
        Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim());
      chownSync(dir, id('-u'), id('-g'));
    }
    const pair = new PgPair(bin, dir, await freePort(), await freePort());
    try {
      await pair.init(applyDelayMs);
      return pair;
    } catch (err) {
      pair.destroySync();
      throw err;
    }
  }

  url(port: number, database: string): string {
    return `postgres://postgres@127.0.0.1:${port}/${database}`;
  }

  private get primaryDir(): string {
    return join(this.dir, 'primary');
  }

  private get replicaDir(): string {
    return join(this.dir, 'replica');
  }

  private pgCtl(args: string[]): Promise<void> {
    return runAsPostgresAsync(join(this.bin, 'pg_ctl'), args);
  }

  /** Fast shutdown (sessions terminated), as an outage. */
  stopPrimary(): Promise<void> {
    return this.pgCtl(['-D', this.primaryDir, '-m', 'fast', '-w', 'stop']);
  }

  startPrimary(): Promise<void> {
    return this.pgCtl(['-D', this.primaryDir, '-l', join(this.dir, 'primary.log'), '-w', 'start']);
  }

  stopReplica(): Promise<void> {
    return this.pgCtl(['-D', this.replicaDir, '-m', 'fast', '-w', 'stop']);
  }

  startReplica(): Promise<void> {
    return this.pgCtl(['-D', this.replicaDir, '-l', join(this.dir, 'replica.log'), '-w', 'start']);
  }

  private async init(applyDelayMs: number): Promise<void> {
    runAsPostgres(join(this.bin, 'initdb'), [
      '-D',
      this.primaryDir,
      '-U',
      'postgres',
      '--auth=trust',
      '--no-sync',
      '-E',
      'UTF8',
      '--locale=C',
    ]);
    appendConf(join(this.primaryDir, 'postgresql.conf'), {
      port: String(this.primaryPort),
      listen_addresses: "'127.0.0.1'",
      unix_socket_directories: `'${this.dir}'`,
      wal_level: 'replica',
      max_wal_senders: '5',
      max_connections: '300',
      shared_buffers: "'64MB'",
      // a drill cluster: its durability is not what is measured (the app's acknowledgements are)
      fsync: 'off',
      full_page_writes: 'off',
    });
    await this.startPrimary();
    runAsPostgres(join(this.bin, 'pg_basebackup'), [
      '-h',
      '127.0.0.1',
      '-p',
      String(this.primaryPort),
      '-U',
      'postgres',
      '-D',
      this.replicaDir,
      '-R',
      '-X',
      'stream',
      '-c',
      'fast',
    ]);
    appendConf(join(this.replicaDir, 'postgresql.auto.conf'), {
      port: String(this.replicaPort),
      hot_standby: 'on',
      recovery_min_apply_delay: `'${applyDelayMs}ms'`,
      max_standby_streaming_delay: '-1',
    });
    await this.startReplica();
  }

  /** Both servers stopped (immediate) and every file removed. */
  destroySync(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    livePairs.delete(this);
    for (const data of [this.replicaDir, this.primaryDir]) {
      if (!existsSync(join(data, 'postmaster.pid'))) continue;
      const args = [join(this.bin, 'pg_ctl'), '-D', data, '-m', 'immediate', '-w', 'stop'];
      if (asRoot)
        spawnSync('su', ['postgres', '-s', '/bin/sh', '-c', args.map(shellQuote).join(' ')]);
      else spawnSync(args[0], args.slice(1));
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** One query on a fresh connection. */
export async function pgQuery<T = Record<string, unknown>>(
  url: string,
  sql: string,
  params: unknown[] = [],
): Promise<T[]> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  await client.connect();
  try {
    return (await client.query(sql, params)).rows as T[];
  } finally {
    await client.end();
  }
}

const redisArgs = (port: number) => [
  '--port',
  String(port),
  '--bind',
  '127.0.0.1',
  '--save',
  '',
  '--appendonly',
  'no',
];

async function redisPing(port: number): Promise<boolean> {
  const client = createClient({ socket: { host: '127.0.0.1', port, reconnectStrategy: false } });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return (await client.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    client.destroy();
  }
}

function spawnTracked(command: string, args: string[]): ChildProcess {
  const child = spawn(command, args, { stdio: 'ignore' });
  liveChildren.add(child);
  child.once('exit', () => liveChildren.delete(child));
  return child;
}

async function killAndWait(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGCONT');
  child.kill('SIGKILL');
  await exited;
}

/** A private redis-server, killed (SIGKILL), stalled (SIGSTOP) and started again on its port. */
export class RedisServer {
  private child?: ChildProcess;

  private constructor(readonly port: number) {}

  static async start(): Promise<RedisServer> {
    const server = new RedisServer(await freePort());
    await server.start();
    return server;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    this.child = spawnTracked('redis-server', redisArgs(this.port));
    if (!(await waitFor(() => redisPing(this.port), 10_000, 50)))
      throw new Error(`redis-server did not start on port ${this.port}`);
  }

  async kill(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    await killAndWait(child);
  }

  pause(): void {
    this.child?.kill('SIGSTOP');
  }

  resume(): void {
    this.child?.kill('SIGCONT');
  }
}

/** A Redis Cluster: six nodes, three masters with a replica each, node timeout 1 s. */
export class RedisCluster {
  private readonly nodes: Array<{ port: number; child: ChildProcess }> = [];

  private constructor(private readonly dir: string) {}

  static async start(): Promise<RedisCluster> {
    const cluster = new RedisCluster(mkdtempSync(join(tmpdir(), 'spajobs-drill-redis-cluster-')));
    try {
      for (let i = 0; i < 6; i++) {
        const port = await freePort();
        const child = spawnTracked('redis-server', [
          ...redisArgs(port),
          '--dir',
          cluster.dir,
          '--cluster-enabled',
          'yes',
          '--cluster-config-file',
          join(cluster.dir, `nodes-${port}.conf`),
          '--cluster-node-timeout',
          '1000',
          '--cluster-replica-validity-factor',
          '0',
        ]);
        cluster.nodes.push({ port, child });
      }
      for (const n of cluster.nodes)
        if (!(await waitFor(() => redisPing(n.port), 10_000, 50)))
          throw new Error(`redis-server did not start on ${n.port}`);
      const create = spawnSync(
        'redis-cli',
        [
          '--cluster',
          'create',
          ...cluster.nodes.map((n) => `127.0.0.1:${n.port}`),
          '--cluster-replicas',
          '1',
          '--cluster-yes',
        ],
        { encoding: 'utf8' },
      );
      if (create.status !== 0) throw new Error(`redis-cli --cluster create: ${create.stdout}`);
      if (!(await waitFor(() => cluster.settled(), 30_000, 200)))
        throw new Error('the Redis Cluster did not settle');
      return cluster;
    } catch (err) {
      await cluster.stop();
      throw err;
    }
  }

  get seeds(): string {
    return this.nodes.map((n) => `127.0.0.1:${n.port}`).join(',');
  }

  private async info(port: number, what: 'cluster' | 'replication'): Promise<string> {
    const client = createClient({ socket: { host: '127.0.0.1', port, reconnectStrategy: false } });
    client.on('error', () => undefined);
    await client.connect();
    try {
      return what === 'cluster' ? await client.clusterInfo() : await client.info('replication');
    } finally {
      client.destroy();
    }
  }

  private alive(): number[] {
    return this.nodes
      .filter((n) => n.child.exitCode === null && n.child.signalCode === null)
      .map((n) => n.port);
  }

  /** Every live node says cluster_state:ok and every live replica's link is up. */
  async settled(): Promise<boolean> {
    const states = await Promise.all(
      this.alive().map(async (p) => {
        const cluster = await this.info(p, 'cluster').catch(() => '');
        const repl = await this.info(p, 'replication').catch(() => '');
        return (
          cluster.includes('cluster_state:ok') &&
          (repl.includes('role:master') || repl.includes('master_link_status:up'))
        );
      }),
    );
    return states.every(Boolean);
  }

  /** Every live node says cluster_state:ok (every slot served: after a failover, by the promoted replica). */
  async stateOk(): Promise<boolean> {
    const states = await Promise.all(
      this.alive().map((p) => this.info(p, 'cluster').catch(() => '')),
    );
    return states.every((s) => s.includes('cluster_state:ok'));
  }

  /** A live master's port. */
  async aMaster(): Promise<number> {
    for (const p of this.alive())
      if ((await this.info(p, 'replication').catch(() => '')).includes('role:master')) return p;
    throw new Error('no live master');
  }

  async kill(port: number): Promise<void> {
    await killAndWait(this.nodes.find((n) => n.port === port)?.child);
  }

  /** The killed node back (it rejoins as a replica of its promoted replica). */
  async restart(port: number): Promise<void> {
    const node = this.nodes.find((n) => n.port === port);
    if (!node || (node.child.exitCode === null && node.child.signalCode === null)) return;
    node.child = spawnTracked('redis-server', [
      ...redisArgs(port),
      '--dir',
      this.dir,
      '--cluster-enabled',
      'yes',
      '--cluster-config-file',
      join(this.dir, `nodes-${port}.conf`),
      '--cluster-node-timeout',
      '1000',
      '--cluster-replica-validity-factor',
      '0',
    ]);
    await waitFor(() => redisPing(port), 10_000, 50);
  }

  async stop(): Promise<void> {
    await Promise.all(this.nodes.map((n) => killAndWait(n.child)));
    rmSync(this.dir, { recursive: true, force: true });
  }
}

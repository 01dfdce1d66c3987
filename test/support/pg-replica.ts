import { execFileSync, spawnSync } from 'node:child_process';
import {
  appendFileSync,
  chownSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
} from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { freePorts } from './process.js';

/** The newest installed PostgreSQL server binaries (Debian layout), if any. */
function binDir(): string | undefined {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root)
    .filter((v) => existsSync(join(root, v, 'bin', 'pg_ctl')))
    .sort((a, b) => Number(a) - Number(b));
  return versions.length ? join(root, versions[versions.length - 1], 'bin') : undefined;
}

/**
 * Tests on a streaming replica need PostgreSQL's server binaries (initdb, pg_ctl, pg_basebackup).
 * In CI a missing one is a failure, never a silent skip.
 */
export function requirePgServerBinaries(): boolean {
  if (binDir()) return true;
  if (process.env.CI)
    throw new Error(
      'PostgreSQL server binaries are not installed, but CI must run the replica tests',
    );
  console.warn(
    'PostgreSQL server binaries not found: the replica tests are skipped (CI runs them)',
  );
  return false;
}

/** PostgreSQL refuses to run as root: the clusters belong to `postgres`. */
const asRoot = userInfo().uid === 0;

function run(bin: string, args: string[]): string {
  const command = asRoot ? 'su' : bin;
  const argv = asRoot
    ? ['postgres', '-s', '/bin/sh', '-c', [bin, ...args].map(shellQuote).join(' ')]
    : args;
  return execFileSync(command, argv, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

const shellQuote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

export interface PgPairOptions {
  /** The replica replays each commit this long after the primary made it (deterministic lag). */
  applyDelayMs: number;
}

/**
 * A private PostgreSQL primary and a streaming replica of it (`pg_basebackup -R`, with
 * `recovery_min_apply_delay`), on free loopback ports under a temporary directory, trust auth.
 * The shared 5432 cluster refuses physical replication connections (its pg_hba.conf has no
 * `replication` entry) and must not be reconfigured, so the pair is built from scratch: a few
 * seconds. `destroy()` stops both and removes every file, also when the test failed (and at exit).
 */
export class TestPgPair {
  private replicaRunning = false;
  private destroyed = false;
  private readonly onExit = () => this.destroySync();

  private constructor(
    private readonly bin: string,
    private readonly dir: string,
    readonly primaryPort: number,
    readonly replicaPort: number,
  ) {
    process.once('exit', this.onExit);
  }

  static async start(options: PgPairOptions): Promise<TestPgPair> {
    const bin = binDir();
    if (!bin) throw new Error('PostgreSQL server binaries not found under /usr/lib/postgresql');
    const dir = mkdtempSync(join(tmpdir(), 'spajobs-pg-'));
    if (asRoot) chownSync(dir, uid('postgres'), gid('postgres'));
    const [primaryPort, replicaPort] = await freePorts(2);
    const pair = new TestPgPair(bin, dir, primaryPort, replicaPort);
    try {
      pair.init(options);
      return pair;
    } catch (err) {
      pair.destroySync();
      throw err;
    }
  }

  /** A URL of `database` on the primary. */
  primaryUrl(database = 'postgres'): string {
    return `postgres://postgres@127.0.0.1:${this.primaryPort}/${database}`;
  }

  replicaUrl(database = 'postgres'): string {
    return `postgres://postgres@127.0.0.1:${this.replicaPort}/${database}`;
  }

  /** Stops the replica (fast shutdown: its sessions are terminated), as an outage. */
  stopReplica(): void {
    run(join(this.bin, 'pg_ctl'), ['-D', this.replicaDir, '-m', 'fast', '-w', 'stop']);
    this.replicaRunning = false;
  }

  startReplica(): void {
    this.startCluster(this.replicaDir, 'replica.log');
    this.replicaRunning = true;
  }

  /** pg_ctl start; a failure carries the end of the server's log (the directory is removed after). */
  private startCluster(data: string, logName: string): void {
    const log = join(this.dir, logName);
    try {
      run(join(this.bin, 'pg_ctl'), ['-D', data, '-l', log, '-w', 'start']);
    } catch (err) {
      const tail = existsSync(log)
        ? readFileSync(log, 'utf8').split('\n').slice(-15).join('\n')
        : '';
      throw new Error(`${(err as Error).message}\n${logName}:\n${tail}`);
    }
  }

  /** One query on the replica (a fresh connection). */
  async replicaQuery<T>(database: string, sql: string, params: unknown[] = []): Promise<T[]> {
    const client = new pg.Client({ connectionString: this.replicaUrl(database) });
    await client.connect();
    try {
      return (await client.query(sql, params)).rows as T[];
    } finally {
      await client.end();
    }
  }

  async destroy(): Promise<void> {
    this.destroySync();
    return Promise.resolve();
  }

  private get primaryDir(): string {
    return join(this.dir, 'primary');
  }

  private get replicaDir(): string {
    return join(this.dir, 'replica');
  }

  private init({ applyDelayMs }: PgPairOptions): void {
    run(join(this.bin, 'initdb'), [
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
      max_connections: '200',
      shared_buffers: "'32MB'",
      // a test cluster: durability is not what is tested
      fsync: 'off',
      full_page_writes: 'off',
    });
    this.startCluster(this.primaryDir, 'primary.log');
    run(join(this.bin, 'pg_basebackup'), [
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
    // later lines win: postgresql.auto.conf (which -R wrote) is read after postgresql.conf
    appendConf(join(this.replicaDir, 'postgresql.auto.conf'), {
      port: String(this.replicaPort),
      hot_standby: 'on',
      recovery_min_apply_delay: `'${applyDelayMs}ms'`,
      // long queries are not what is tested: never cancel one for a replay conflict
      max_standby_streaming_delay: '-1',
    });
    this.startReplica();
  }

  private destroySync(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    process.removeListener('exit', this.onExit);
    for (const data of [this.replicaDir, this.primaryDir]) {
      if (!existsSync(join(data, 'postmaster.pid'))) continue;
      const args = ['-D', data, '-m', 'immediate', '-w', 'stop'];
      if (asRoot) {
        spawnSync('su', [
          'postgres',
          '-s',
          '/bin/sh',
          '-c',
          [join(this.bin, 'pg_ctl'), ...args].map(shellQuote).join(' '),
        ]);
      } else spawnSync(join(this.bin, 'pg_ctl'), args);
    }
    this.replicaRunning = false;
    rmSync(this.dir, { recursive: true, force: true });
  }

  get replicaIsRunning(): boolean {
    return this.replicaRunning;
  }
}

function appendConf(file: string, settings: Record<string, string>): void {
  // root may append to the postgres-owned file; it stays postgres's
  const lines = Object.entries(settings).map(([k, v]) => `${k} = ${v}`);
  appendFileSync(file, `${lines.join('\n')}\n`);
}

function uid(user: string): number {
  return Number(execFileSync('id', ['-u', user], { encoding: 'utf8' }).trim());
}

function gid(user: string): number {
  return Number(execFileSync('id', ['-g', user], { encoding: 'utf8' }).trim());
}

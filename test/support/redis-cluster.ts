import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from '@redis/client';
import { freePort } from './process.js';
import { waitFor } from './wait.js';

const connect = (port: number) =>
  createClient({ socket: { host: '127.0.0.1', port, reconnectStrategy: false } });
type Client = ReturnType<typeof connect>;

/** Low, so that a dead master's replica is promoted within seconds. */
export const CLUSTER_NODE_TIMEOUT_MS = 1000;
const NODES = 6;
const START_TIMEOUT_MS = 30_000;

interface Node {
  port: number;
  child: ChildProcess;
  exited: Promise<unknown>;
  output: () => string;
}

/** Every cluster still running when the test process ends is killed (a crashed or aborted run). */
const running = new Set<TestRedisCluster>();
process.once('exit', () => {
  for (const cluster of running) cluster.killAll();
});

/**
 * A real Redis Cluster of its own: six `redis-server --cluster-enabled yes` on free ports (three
 * masters with a replica each, joined by `redis-cli --cluster create`), in a temp dir. `start`
 * throws when the cluster does not come up (tests fail, never skip); `stop` kills every node.
 */
export class TestRedisCluster {
  private readonly nodes: Node[] = [];
  /** Killed or paused: not asked about the topology. */
  private readonly down = new Set<number>();

  private constructor(private readonly dir: string) {}

  static async start(): Promise<TestRedisCluster> {
    const cluster = new TestRedisCluster(await mkdtemp(join(tmpdir(), 'spajobs-redis-cluster-')));
    running.add(cluster);
    try {
      await cluster.boot();
    } catch (err) {
      await cluster.stop();
      throw err;
    }
    return cluster;
  }

  /** REDIS_CLUSTER_NODES for the app: every node as a seed. */
  get seeds(): string {
    return this.nodes.map((n) => `127.0.0.1:${n.port}`).join(',');
  }

  get ports(): number[] {
    return this.nodes.map((n) => n.port);
  }

  private async boot(): Promise<void> {
    for (let i = 0; i < NODES; i++) this.nodes.push(this.spawnNode(await freePort()));
    for (const node of this.nodes) {
      const up = await waitFor(() => this.answers(node.port), 10_000, 50);
      if (!up) throw new Error(`redis-server did not start on ${node.port}:\n${node.output()}`);
    }
    const create = await run('redis-cli', [
      '--cluster',
      'create',
      ...this.nodes.map((n) => `127.0.0.1:${n.port}`),
      '--cluster-replicas',
      '1',
      '--cluster-yes',
    ]);
    if (create.code !== 0) throw new Error(`redis-cli --cluster create failed:\n${create.output}`);
    if (!(await this.waitSettled()))
      throw new Error(`the Redis Cluster did not reach cluster_state:ok:\n${create.output}`);
  }

  /** Every live node sees cluster_state:ok, and every live replica is in sync with its master. */
  waitSettled(timeoutMs = START_TIMEOUT_MS): Promise<boolean> {
    return waitFor(
      async () => (await Promise.all(this.alive.map((p) => this.settled(p)))).every(Boolean),
      timeoutMs,
      100,
    );
  }

  private spawnNode(port: number): Node {
    const child = spawn(
      'redis-server',
      [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--dir',
        this.dir,
        '--cluster-enabled',
        'yes',
        '--cluster-config-file',
        join(this.dir, `nodes-${port}.conf`),
        '--cluster-node-timeout',
        String(CLUSTER_NODE_TIMEOUT_MS),
        // a replica may always take over, however long its link was down
        '--cluster-replica-validity-factor',
        '0',
        '--save',
        '',
        '--appendonly',
        'no',
        '--daemonize',
        'no',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-4000)));
    child.stderr.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-4000)));
    const exited = new Promise((resolve) => {
      child.once('exit', resolve);
      child.once('error', (err) => {
        out += String(err);
        resolve(err);
      });
    });
    return { port, child, exited, output: () => out };
  }

  /** cluster_state:ok, and a replica's link to its master up (so it can take over). */
  private async settled(port: number): Promise<boolean> {
    try {
      return await this.command(port, async (c) => {
        if (!(await c.clusterInfo()).includes('cluster_state:ok')) return false;
        const info = await c.info('replication');
        return info.includes('role:master') || info.includes('master_link_status:up');
      });
    } catch {
      return false;
    }
  }

  private async answers(port: number): Promise<boolean> {
    try {
      return (await this.command(port, (c) => c.ping())) === 'PONG';
    } catch {
      return false;
    }
  }

  /** Runs commands against one node. */
  async command<T>(port: number, fn: (client: Client) => Promise<T>): Promise<T> {
    const client = connect(port);
    client.on('error', () => undefined);
    await client.connect();
    try {
      return await fn(client);
    } finally {
      client.destroy();
    }
  }

  /** The ports of live nodes. */
  get alive(): number[] {
    return this.nodes
      .filter((n) => n.child.exitCode === null && !this.down.has(n.port))
      .map((n) => n.port);
  }

  /** The port of the master serving `key`'s slot, as a live node sees it (undefined: none yet). */
  async masterOf(key: string): Promise<number | undefined> {
    for (const port of this.alive) {
      try {
        return await this.command(port, async (c) => {
          const slot = await c.clusterKeySlot(key);
          const ranges = await c.clusterSlots();
          const range = ranges.find((r) => r.from <= slot && slot <= r.to);
          return range?.master.port;
        });
      } catch {
        // ask the next one
      }
    }
    return undefined;
  }

  /** Runs a command on the master of `key`'s slot. */
  async onMasterOf<T>(key: string, fn: (client: Client) => Promise<T>): Promise<T> {
    const port = await this.masterOf(key);
    if (port === undefined) throw new Error(`no master serves ${key}`);
    return this.command(port, fn);
  }

  /**
   * Waits until the live nodes agree that `key` is served by a master other than `formerPort`,
   * with the whole cluster ok again: the replica's promotion.
   */
  async waitForFailover(key: string, formerPort: number, timeoutMs = 20_000): Promise<number> {
    let promoted: number | undefined;
    const done = await waitFor(
      async () => {
        promoted = await this.masterOf(key);
        if (promoted === undefined || promoted === formerPort) return false;
        const states = await Promise.all(
          this.alive.map((p) =>
            this.command(p, (c) => c.clusterInfo()).catch(() => 'cluster_state:fail'),
          ),
        );
        return states.every((s) => s.includes('cluster_state:ok'));
      },
      timeoutMs,
      100,
    );
    if (!done || promoted === undefined)
      throw new Error(`no replica took over from ${formerPort} within ${timeoutMs} ms`);
    return promoted;
  }

  /** Kills one node at once (SIGKILL: no goodbye to the cluster or its clients). */
  async kill(port: number): Promise<void> {
    const node = this.nodes.find((n) => n.port === port);
    if (!node || node.child.exitCode !== null) return;
    this.down.add(port);
    node.child.kill('SIGKILL');
    await node.exited;
  }

  /**
   * Freezes one node (SIGSTOP): its sockets stay open and nothing is answered, so the cluster
   * fails it over as if it had died. `resume` lets it run again (it rejoins as a replica).
   */
  pause(port: number): void {
    this.down.add(port);
    this.nodes.find((n) => n.port === port)?.child.kill('SIGSTOP');
  }

  resume(port: number): void {
    this.down.delete(port);
    this.nodes.find((n) => n.port === port)?.child.kill('SIGCONT');
  }

  /** Synchronous, for the exit hook (a stopped process dies of SIGKILL too). */
  killAll(): void {
    for (const node of this.nodes) if (node.child.exitCode === null) node.child.kill('SIGKILL');
  }

  async stop(): Promise<void> {
    running.delete(this);
    this.killAll();
    await Promise.all(this.nodes.map((n) => n.exited));
    await rm(this.dir, { recursive: true, force: true });
  }
}

function run(command: string, args: string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code, output }));
  });
}

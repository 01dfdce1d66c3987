import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createClient } from '@redis/client';

const connect = (url: string) => createClient({ url });
type Client = ReturnType<typeof connect>;
import { freePort } from './process.js';
import { waitFor } from './wait.js';

/** True when a redis-server binary can be started by the tests. */
export function redisServerAvailable(): boolean {
  return spawnSync('redis-server', ['--version']).status === 0;
}

/**
 * Tests that need a Redis of their own (to stop and restart it) run only where redis-server is
 * installed. In CI (CI=true) a missing redis-server is a failure, never a silent skip.
 */
export function requireRedisServer(): boolean {
  if (redisServerAvailable()) return true;
  if (process.env.CI)
    throw new Error('redis-server is not installed, but CI must run the Redis tests');
  console.warn(
    'redis-server is not installed: the Redis tests of this file are skipped (CI runs them)',
  );
  return false;
}

/** A private redis-server on a free port, which a test can stop (an outage) and start again. */
export class TestRedisServer {
  private child?: ChildProcess;

  private constructor(readonly port: number) {}

  static async start(): Promise<TestRedisServer> {
    const server = new TestRedisServer(await freePort());
    await server.start();
    return server;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    this.child = spawn(
      'redis-server',
      ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      { stdio: 'ignore' },
    );
    const up = await waitFor(() => this.ping(), 10_000, 50);
    if (!up) throw new Error(`redis-server did not start on port ${this.port}`);
  }

  async stop(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  }

  /** Freezes the server (SIGSTOP): connections stay open, nothing is answered — a stall. */
  pause(): void {
    this.child?.kill('SIGSTOP');
  }

  resume(): void {
    this.child?.kill('SIGCONT');
  }

  /** Runs one command against this server (for assertions on its keys). */
  async command<T>(fn: (client: Client) => Promise<T>): Promise<T> {
    const client = connect(this.url);
    await client.connect();
    try {
      return await fn(client);
    } finally {
      client.destroy();
    }
  }

  private async ping(): Promise<boolean> {
    try {
      return (await this.command((c) => c.ping())) === 'PONG';
    } catch {
      return false;
    }
  }
}

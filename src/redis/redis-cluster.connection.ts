import { createCluster } from '@redis/client';
import type { RedisNode } from '../config/app-config.js';

/** How often a cluster that is not fully up (or was seen stalling) is looked at again. */
const CHECK_EVERY_MS = 500;
/**
 * Every master is pinged this often even when no command timed out: a stopped master keeps its
 * sockets open, and an idle process would otherwise learn of it only from its next request.
 */
const PING_EVERY_MS = 2000;
/** A new connection that has not reached every master by then is dropped (and tried again). */
const ATTEMPT_TIMEOUT_MS = 1500;

/** `reconnect`: false while a new connection is being tried, which then fails at the first refusal. */
export function buildCluster(
  seeds: RedisNode[],
  connectTimeoutMs: number,
  reconnect: () => boolean,
) {
  return createCluster({
    rootNodes: seeds.map((s) => ({ socket: { host: s.host, port: s.port } })),
    defaults: {
      disableOfflineQueue: true,
      socket: {
        connectTimeout: connectTimeoutMs,
        reconnectStrategy: (retries: number) =>
          reconnect() && Math.min(50 * 2 ** Math.min(retries, 6), 2000),
      },
    },
  });
}

export type RedisClusterClient = ReturnType<typeof buildCluster>;

export interface ClusterEvents {
  /** The connection in use reported a failure. */
  error(reason: string): void;
  /** A connection reaching every master is in use (the first one, or one replacing another). */
  ready(): void;
}

/**
 * A Redis Cluster connection that survives a master's failover. node-redis follows MOVED/ASK
 * redirections itself, but it rediscovers the topology only on a redirection: a master that
 * dies answers nothing, so its slots would stay pinned to a dead address (every command for
 * them refused at once, the offline queue being off). So while any master is unreachable, or
 * after a stall, a fresh connection is tried every CHECK_EVERY_MS; it succeeds only once the
 * cluster names reachable masters for every slot (after the replica's promotion), and then
 * replaces the old one. Meanwhile callers see `ready` false and serve from memory.
 */
export class ClusterConnection {
  current?: RedisClusterClient;
  private attempting = false;
  /** A command timed out: is a master stalled, or was this process just slow? */
  private suspect = false;
  /** A master of the connection in use did not answer a ping: the cluster is not used. */
  private unanswered = false;
  private lastPingAt = 0;
  private closed = false;
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly seeds: RedisNode[],
    private readonly timeouts: { connectMs: number; answerMs: number },
    private readonly events: ClusterEvents,
  ) {}

  /** Connected to every master the cluster named, each of which answered when last asked. */
  get ready(): boolean {
    const cluster = this.current;
    return (
      !this.unanswered &&
      cluster !== undefined &&
      cluster.isOpen &&
      cluster.masters.length > 0 &&
      cluster.masters.every((m) => m.client?.isReady === true)
    );
  }

  /** host:port of each master, and whether this process is connected to it. */
  get masters(): Array<{ address: string; ready: boolean }> {
    return (this.current?.masters ?? []).map((m) => ({
      address: m.address,
      ready: m.client?.isReady === true,
    }));
  }

  /** The first connection (awaited up to ATTEMPT_TIMEOUT_MS), then the watch. */
  async start(): Promise<void> {
    this.timer = setInterval(() => void this.check(), CHECK_EVERY_MS).unref();
    await this.attempt();
  }

  /**
   * A command went unanswered. A stopped master keeps its sockets open (so looks connected)
   * while the cluster fails it over, and answers nothing: the next check pings every master.
   */
  stalled(): void {
    this.suspect = true;
  }

  /** Pings every master of the connection in use; true when all answer within `timeoutMs`. */
  async ping(timeoutMs: number): Promise<boolean> {
    const cluster = this.current;
    if (!cluster) return false;
    const replies = await Promise.all(
      cluster.masters.map((m) =>
        within(
          cluster.nodeClient(m).then((c) => c.ping()),
          timeoutMs,
        ).catch(() => undefined),
      ),
    );
    return replies.length > 0 && replies.every((r) => r === 'PONG');
  }

  /** A new connection when the one in use is not fully up, or has a master that stopped answering. */
  private async check(): Promise<void> {
    if (this.attempting || this.closed) return;
    if (Date.now() - this.lastPingAt >= PING_EVERY_MS) this.suspect = true;
    if (this.suspect && !this.unanswered && this.ready) {
      this.suspect = false;
      this.lastPingAt = Date.now();
      if (await this.ping(this.timeouts.answerMs)) return; // this process was slow, not Redis
      this.unanswered = true;
      this.events.error('stalled (a master does not answer)');
    }
    if (!this.ready) await this.attempt();
  }

  private async attempt(): Promise<void> {
    if (this.attempting || this.closed) return;
    this.attempting = true;
    let inUse = false;
    const next = buildCluster(this.seeds, this.timeouts.connectMs, () => inUse);
    next.on('error', () => undefined); // a failed discovery: the attempt fails and is retried
    next.on('node-error', (err: Error) => {
      if (next === this.current) this.events.error(`unavailable (${err.message})`);
    });
    try {
      await within(next.connect(), ATTEMPT_TIMEOUT_MS);
      if (this.closed || !next.masters.every((m) => m.client?.isReady === true))
        throw new Error('not ready');
      const previous = this.current;
      inUse = true;
      this.current = next;
      this.suspect = false;
      this.unanswered = false;
      if (previous) destroy(previous);
      this.events.ready();
    } catch {
      destroy(next);
    } finally {
      this.attempting = false;
    }
  }

  close(): void {
    this.closed = true;
    clearInterval(this.timer);
    if (this.current) destroy(this.current);
    this.current = undefined;
  }
}

/** `call`, or a rejection after `ms` (a late rejection of `call` is then ignored). */
function within<T>(call: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  call.catch(() => undefined);
  return Promise.race([
    call,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer in ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

/**
 * Closes every connection of a cluster client. Its own destroy() stops at the first node client
 * already closed (one that gave up connecting), leaving the others open.
 */
function destroy(cluster: RedisClusterClient): void {
  for (const node of cluster.nodeByAddress.values()) {
    if (node.client?.isOpen) node.client.destroy();
  }
  try {
    cluster.destroy();
  } catch {
    // some node client was closed already: all are now
  }
}

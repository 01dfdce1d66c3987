import { AsyncLocalStorage } from 'node:async_hooks';
import { Logger } from '@nestjs/common';
import { DataSource, QueryFailedError, TypeORMError, type DataSourceOptions } from 'typeorm';
import { isConnectionError } from '../common/db-errors.js';
import { LSN_UNKNOWN, parseLsn, type Lsn } from './lsn.js';

/** How often each replica's replayed WAL position (and the primary's) is read. */
export const REPLICA_POLL_MS = 150;
/** A replica that has not answered a poll for this long is not read from. */
export const REPLICA_STALE_MS = 1000;
/** Opening (or waiting for) a replica connection gives up after this; the read goes to the primary. */
export const REPLICA_CONNECT_TIMEOUT_MS = 1000;
/** A replica that could not be initialized (down at boot, database not replicated yet) is retried this often. */
const REPLICA_RETRY_MS = 1000;

/** What an operator (and /metrics) sees of one replica. */
export interface ReplicaStatus {
  /** The replica's host:port/database (no credentials). */
  name: string;
  /** Answering polls, not failed since, and within DB_REPLICA_MAX_LAG_MS. */
  usable: boolean;
  /** Time behind the primary (from WAL positions), undefined while unknown. */
  lagMs?: number;
  replayLsn?: string;
}

interface Sample {
  at: number;
  lsn: Lsn;
}

/** One replica: its own DataSource (pool sized DB_REPLICA_POOL_SIZE) and what its polls saw. */
class Replica {
  replay: Lsn = -1n;
  replayText?: string;
  lastAnswerAt = 0;
  failedAt = 0;
  lagMs?: number;
  private polling = false;
  private nextInitAt = 0;
  private reported: 'up' | 'down' | undefined;

  constructor(
    readonly name: string,
    readonly dataSource: DataSource,
    private readonly logger: Logger,
  ) {}

  usable(now: number, maxLagMs: number): boolean {
    return (
      this.dataSource.isInitialized &&
      this.lastAnswerAt > this.failedAt &&
      now - this.lastAnswerAt <= REPLICA_STALE_MS &&
      (this.lagMs === undefined || this.lagMs <= maxLagMs)
    );
  }

  fail(err: unknown): void {
    this.failedAt = Date.now();
    this.report('down', (err as Error)?.message ?? String(err));
  }

  /** Reads the replayed position; a replica that does not answer (in time) is marked failed. */
  async poll(): Promise<void> {
    if (this.polling) return;
    this.polling = true;
    const started = Date.now();
    try {
      if (!this.dataSource.isInitialized) {
        if (started < this.nextInitAt) return;
        this.nextInitAt = started + REPLICA_RETRY_MS;
        await this.dataSource.initialize();
      }
      const rows = await withTimeout(
        this.dataSource.query<Array<{ lsn: string | null }>>(
          'SELECT pg_last_wal_replay_lsn()::text AS lsn',
        ),
        REPLICA_STALE_MS,
      );
      const text = rows[0]?.lsn;
      // null: not in recovery (a promoted replica, or a primary named by mistake)
      if (!text) throw new Error('not a streaming replica (pg_last_wal_replay_lsn() is null)');
      const lsn = parseLsn(text);
      // a restarted replica can report less than before: take what it says now
      this.replay = lsn;
      this.replayText = text;
      this.lastAnswerAt = Date.now();
      if (this.lastAnswerAt > this.failedAt) this.report('up');
    } catch (err) {
      this.fail(err);
    } finally {
      this.polling = false;
    }
  }

  private report(state: 'up' | 'down', reason?: string): void {
    if (this.reported === state) return;
    const first = this.reported === undefined;
    this.reported = state;
    if (state === 'down')
      this.logger.warn(`Replica ${this.name} not used (${reason}); reading from the primary`);
    else if (!first) this.logger.log(`Replica ${this.name} used again`);
  }
}

function withTimeout<T>(call: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([call, timeout]).finally(() => clearTimeout(timer));
}

/** A database error a replica gave that the primary may not: try the read there instead. */
function isReplicaFailure(err: unknown): boolean {
  return isConnectionError(err) || err instanceof QueryFailedError || err instanceof TypeORMError;
}

function nameOf(url: string): string {
  const u = new URL(url);
  return `${u.hostname}:${u.port || 5432}${u.pathname}`;
}

/** The replica a read was routed to, for the primary's DataSource to hand out its connections. */
export const readScope = new AsyncLocalStorage<{ owner: object; dataSource: DataSource }>();

/**
 * The read replicas of one process. Every REPLICA_POLL_MS it reads each replica's replayed WAL
 * position (`pg_last_wal_replay_lsn()`) and the primary's (`pg_current_wal_lsn()`, for the lag),
 * so choosing a replica for a read is a comparison in memory. `route(fence, read)` runs `read` on a
 * replica that has replayed at least `fence`, answered within REPLICA_STALE_MS, has not failed
 * since, and lags at most DB_REPLICA_MAX_LAG_MS; else, or when the replica fails the read, on the
 * primary.
 */
export class ReadReplicas {
  private readonly logger = new Logger('Replicas');
  private readonly replicas: Replica[];
  /** The primary's position over the last DB_REPLICA_MAX_LAG_MS (oldest first). */
  private samples: Sample[] = [];
  private timer?: NodeJS.Timeout;
  private next = 0;
  private sampling = false;
  private readonly lsnListeners: Array<(lsn: Lsn, readAt: number) => void> = [];

  constructor(
    private readonly primary: DataSource,
    urls: string[],
    replicaOptions: (url: string) => DataSourceOptions,
    private readonly maxLagMs: number,
  ) {
    this.replicas = urls.map(
      (url) => new Replica(nameOf(url), new DataSource(replicaOptions(url)), this.logger),
    );
  }

  get size(): number {
    return this.replicas.length;
  }

  start(): void {
    if (this.timer || this.replicas.length === 0) return;
    const tick = () => {
      void this.samplePrimary();
      for (const r of this.replicas) void r.poll();
    };
    tick();
    this.timer = setInterval(tick, REPLICA_POLL_MS);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await Promise.all(
      this.replicas
        .filter((r) => r.dataSource.isInitialized)
        .map((r) => r.dataSource.destroy().catch(() => undefined)),
    );
  }

  /** Called with each position read from the primary (and when it was read). */
  onPrimaryLsn(listener: (lsn: Lsn, readAt: number) => void): void {
    this.lsnListeners.push(listener);
  }

  /** Runs `read` on a replica that has replayed `fence`, else (or if the replica fails it) on the primary. */
  async route<T>(fence: Lsn, read: () => Promise<T>): Promise<T> {
    // outside any scope: a fill nested in another one's (a @CacheResult call) has its own fence
    const onPrimary = () => readScope.exit(read);
    const replica = fence === LSN_UNKNOWN ? undefined : this.pick(fence);
    if (!replica) return onPrimary();
    try {
      return await readScope.run({ owner: this.primary, dataSource: replica.dataSource }, read);
    } catch (err) {
      if (!isReplicaFailure(err)) throw err;
      if (isConnectionError(err)) replica.fail(err);
      return onPrimary();
    }
  }

  /** The pg pools of the replicas connected so far, by name (for /metrics). */
  pools(): Array<[string, unknown]> {
    return this.replicas
      .filter((r) => r.dataSource.isInitialized)
      .map((r) => [r.name, (r.dataSource.driver as { master?: unknown }).master]);
  }

  status(): ReplicaStatus[] {
    const now = Date.now();
    return this.replicas.map((r) => ({
      name: r.name,
      usable: r.usable(now, this.maxLagMs),
      lagMs: r.lagMs,
      replayLsn: r.replayText,
    }));
  }

  /** Round robin over the replicas that may serve a read behind `fence`. */
  private pick(fence: Lsn): Replica | undefined {
    const now = Date.now();
    for (let i = 0; i < this.replicas.length; i++) {
      const r = this.replicas[(this.next + i) % this.replicas.length];
      if (r.replay >= fence && r.usable(now, this.maxLagMs)) {
        this.next = (this.next + i + 1) % this.replicas.length;
        return r;
      }
    }
    return undefined;
  }

  /**
   * The primary's position now, and each replica's lag: the age of the newest primary sample it
   * has replayed past (an idle primary's replica lags ~0; one that stopped receiving WAL grows).
   */
  private async samplePrimary(): Promise<void> {
    if (this.sampling || !this.primary.isInitialized) return;
    this.sampling = true;
    const readAt = Date.now();
    try {
      const rows = await withTimeout(
        this.primary.query<Array<{ lsn: string }>>('SELECT pg_current_wal_lsn()::text AS lsn'),
        REPLICA_STALE_MS,
      );
      const lsn = parseLsn(rows[0].lsn);
      this.samples.push({ at: readAt, lsn });
      const keepFrom = readAt - this.maxLagMs - REPLICA_STALE_MS;
      while (this.samples.length > 1 && this.samples[0].at < keepFrom) this.samples.shift();
      for (const listener of this.lsnListeners) listener(lsn, readAt);
    } catch {
      // the primary's own trouble shows elsewhere; lags stay as last computed
    } finally {
      this.sampling = false;
    }
    const now = Date.now();
    for (const r of this.replicas) {
      let caughtUp: Sample | undefined;
      for (let i = this.samples.length - 1; i >= 0; i--) {
        if (this.samples[i].lsn <= r.replay) {
          caughtUp = this.samples[i];
          break;
        }
      }
      r.lagMs = caughtUp
        ? now - caughtUp.at
        : this.samples.length > 0
          ? now - this.samples[0].at
          : undefined;
    }
  }
}

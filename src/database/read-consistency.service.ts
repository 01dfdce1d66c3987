import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationShutdown,
  type OnModuleInit,
} from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { AppConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/config.module.js';
import { AppDataSource } from './data-source.js';
import { InvalidationChannel, type Invalidation } from './invalidation-channel.js';
import { LSN_UNKNOWN, maxLsn, parseLsn, type Lsn } from './lsn.js';
import type { ReadReplicas, ReplicaStatus } from './read-replicas.js';

/** Boot waits this long for the first LISTEN before serving (then it is retried in background). */
const LISTEN_BOOT_WAIT_MS = 2000;

/**
 * What the cache needs from the database to stay exact (PostgreSQL servers; on the embedded
 * database everything here is off and cluster workers relay invalidations over IPC):
 * - fences: per cache tag, the primary's WAL position after its latest invalidation, from this
 *   process's writes, the other processes' (NOTIFY, IPC) and Redis; a replica serves a read only
 *   once it has replayed past the fence of what it reads;
 * - the invalidation channel (LISTEN/NOTIFY) that keeps versions coherent across processes and
 *   servers while Redis is down.
 */
@Injectable()
export class ReadConsistencyService implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('ReadConsistency');
  private readonly fences = new Map<string, Lsn>();
  /** Applies to every tag: set from the primary's position whenever invalidations may have been missed. */
  private baseFence: Lsn = 0n;
  /** A fence could not be read (primary unreachable after a write): primary reads until resolved. */
  private unknownSince?: number;
  private readonly replicas?: ReadReplicas;
  private readonly channel?: InvalidationChannel;
  private readonly invalidationListeners: Array<(inv: Invalidation) => void> = [];
  private readonly resyncListeners: Array<() => void> = [];

  constructor(
    @Inject(DataSource) private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    if (config.database.type !== 'postgresql' || !config.database.url) return;
    this.replicas = dataSource instanceof AppDataSource ? dataSource.replicas : undefined;
    this.channel = new InvalidationChannel(
      config.database.url,
      dataSource,
      (inv) => this.received(inv),
      () => this.resync(),
    );
    this.replicas?.onPrimaryLsn((lsn, readAt) => {
      if (this.unknownSince !== undefined && readAt > this.unknownSince) {
        this.baseFence = maxLsn(this.baseFence, lsn);
        this.unknownSince = undefined;
      }
    });
  }

  async onModuleInit(): Promise<void> {
    this.replicas?.start();
    if (!this.channel) return;
    await Promise.race([
      this.channel.start(),
      new Promise((r) => setTimeout(r, LISTEN_BOOT_WAIT_MS).unref()),
    ]);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.channel?.stop();
  }

  /** On a PostgreSQL server: invalidations also travel over LISTEN/NOTIFY. */
  get enabled(): boolean {
    return this.channel !== undefined;
  }

  /** Hearing other processes' invalidations right now (LISTEN is up). */
  get listening(): boolean {
    return this.channel?.isListening ?? false;
  }

  get hasReplicas(): boolean {
    return (this.replicas?.size ?? 0) > 0;
  }

  /** For /metrics and /health: each replica's state and lag. */
  replicaStatus(): ReplicaStatus[] {
    return this.replicas?.status() ?? [];
  }

  /** Other processes' invalidations, as they arrive (never this process's own). */
  onInvalidation(listener: (inv: Invalidation) => void): void {
    this.invalidationListeners.push(listener);
  }

  /** After the channel (re)connects: what was sent while it was away is lost; start over. */
  onResync(listener: () => void): void {
    this.resyncListeners.push(listener);
  }

  /**
   * Tells the other processes (NOTIFY) that `tags` changed, right after the write committed, and
   * raises the tags' fences to the primary's position. The position (undefined when it could not
   * be read: then replica reads wait until the primary answers again).
   */
  async published(tags: string[], bumpShared = false): Promise<Lsn | undefined> {
    if (!this.channel) return undefined;
    try {
      const lsn = await this.channel.publish(tags, bumpShared);
      this.noteFence(tags, lsn);
      return lsn;
    } catch (err) {
      this.unknownSince = Date.now();
      this.logger.warn(
        `Could not announce the invalidation of ${tags.join(', ')}: ${(err as Error).message}`,
      );
      return undefined;
    }
  }

  /** Raises fences from what another process reported (IPC, Redis). */
  noteFence(tags: string[], lsn: Lsn): void {
    for (const t of tags) this.fences.set(t, maxLsn(this.fences.get(t) ?? 0n, lsn));
  }

  fenceOf(tags: string[], also: Lsn = 0n): Lsn {
    if (this.unknownSince !== undefined) return LSN_UNKNOWN;
    return maxLsn(this.baseFence, also, ...tags.map((t) => this.fences.get(t) ?? 0n));
  }

  /** Runs a public read on a replica that has replayed `fence`, else on the primary. */
  readBehind<T>(fence: Lsn, read: () => Promise<T>): Promise<T> {
    return this.replicas ? this.replicas.route(fence, read) : read();
  }

  /**
   * True once every invalidation committed before the call has reached this process; false when
   * that cannot be known (not listening). Always true off PostgreSQL (IPC is synchronous enough
   * for one machine's workers).
   */
  async caughtUp(): Promise<boolean> {
    return this.channel ? this.channel.barrier() : true;
  }

  private received(inv: Invalidation): void {
    this.noteFence(inv.tags, inv.lsn);
    for (const listener of this.invalidationListeners) listener(inv);
  }

  /** Listening (again): what was missed is unknown, so every tag's fence moves to now. */
  private async resync(): Promise<void> {
    const rows = await this.dataSource.query<Array<{ lsn: string }>>(
      'SELECT pg_current_wal_lsn()::text AS lsn',
    );
    this.baseFence = maxLsn(this.baseFence, parseLsn(rows[0].lsn));
    for (const listener of this.resyncListeners) listener();
  }
}

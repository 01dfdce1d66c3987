import cluster from 'node:cluster';
import { randomInt } from 'node:crypto';
import { Inject, Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { CACHE_MANAGER } from '@nestjs/cache-manager';
import type { Cache } from 'cache-manager';
import type { AppConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/config.module.js';
import { RedisService } from '../redis/redis.service.js';
import { CACHE_TAGS, cacheVersionKey, type CacheTag } from './cache-tags.js';

/**
 * While a configured Redis is unreachable, entries live this long at most: other processes
 * cannot see our writes. Without Redis at all, versions are this process's own (and its cluster
 * siblings', over IPC), so entries live their full TTL.
 */
const OUTAGE_TTL_MS = 10_000;
const IPC_INVALIDATE = 'spajobs:cache-invalidate';

interface IpcInvalidate {
  type: typeof IPC_INVALIDATE;
  tags: CacheTag[];
}

export interface Cached<T> {
  value: T;
  hit: boolean;
}

/**
 * The app's cache facade over cache-manager (memory L1, Redis L2 when enabled).
 *
 * Keys carry the current version of their tags: with Redis, versions live in Redis (one MGET
 * per read), so a write in any process or server is seen by the very next read anywhere.
 * Without Redis, versions are per process; cluster workers relay invalidations to each other
 * over IPC. Concurrent misses for one key load it once per process (cache-manager's wrap
 * coalesces them).
 */
@Injectable()
export class CacheService implements OnModuleInit {
  private readonly logger = new Logger('Cache');
  private readonly localVersions = new Map<CacheTag, number>();
  readonly defaultTtlMs: number;

  constructor(
    @Inject(CACHE_MANAGER) private readonly cache: Cache,
    private readonly redis: RedisService,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.defaultTtlMs = config.cache.ttlSeconds * 1000;
  }

  onModuleInit(): void {
    // Writes made during an outage could not bump the shared versions: drop everything cached before.
    this.redis.onReconnect(() => void this.bumpShared([...CACHE_TAGS]));
    this.redis.onReady(() => void this.seedVersions());
    if (cluster.isWorker && !this.redis.enabled) {
      process.on('message', (msg: IpcInvalidate) => {
        if (msg?.type === IPC_INVALIDATE) this.bumpLocal(msg.tags);
      });
    }
  }

  /**
   * The cached value for `key` under `tags`, loading (once per process) on a miss. `prefetched`:
   * the tags' versions as this request already read them from Redis (see prefetchedVersions).
   */
  async wrap<T>(
    key: string,
    tags: CacheTag[],
    load: () => Promise<T>,
    ttlMs = this.defaultTtlMs,
    prefetched?: Array<string | null>,
  ): Promise<Cached<T>> {
    const { version, shared } = await this.versions(tags, prefetched);
    let hit = true;
    const value = await this.cache.wrap<T>(
      `${version}|${key}`,
      () => {
        hit = false;
        return load();
      },
      shared || !this.redis.enabled ? ttlMs : Math.min(ttlMs, OUTAGE_TTL_MS),
    );
    return { value, hit };
  }

  /**
   * The entry for `key` under the tags' current versions if this process holds it (the local
   * layer only: no load, no Redis read beyond the versions, unless `prefetched` has them).
   */
  async peek<T>(
    key: string,
    tags: CacheTag[],
    prefetched?: Array<string | null>,
  ): Promise<T | undefined> {
    const { version } = await this.versions(tags, prefetched);
    return (await this.cache.stores[0].get<T>(`${version}|${key}`)) ?? undefined;
  }

  /** Makes every entry under these tags stale, here and (with Redis or IPC) everywhere. */
  async invalidate(...tags: CacheTag[]): Promise<void> {
    this.bumpLocal(tags);
    if (this.redis.enabled) {
      await this.bumpShared(tags);
    } else if (cluster.isWorker && process.send) {
      process.send({ type: IPC_INVALIDATE, tags } satisfies IpcInvalidate);
    }
  }

  private async versions(
    tags: CacheTag[],
    prefetched?: Array<string | null>,
  ): Promise<{ version: string; shared: boolean }> {
    if (prefetched || this.redis.ready) {
      try {
        const values =
          prefetched ??
          (await this.redis.bounded(this.redis.client!.mGet(tags.map((t) => this.versionKey(t)))));
        if (values.every((v) => v !== null))
          return { version: `r${values.join('.')}`, shared: true };
        void this.seedVersions(); // a restarted (empty) Redis, or evicted keys
      } catch {
        // fall through to this process's own versions
      }
    }
    return {
      version: `m${tags.map((t) => this.localVersions.get(t) ?? 0).join('.')}`,
      shared: false,
    };
  }

  /**
   * Gives missing version keys a random start, never 0: after Redis restarts empty, versions
   * must not repeat numbers that entries cached before the restart still carry.
   */
  private async seedVersions(): Promise<void> {
    if (!this.redis.ready) return;
    try {
      const multi = this.redis.client!.multi();
      for (const t of CACHE_TAGS)
        multi.set(this.versionKey(t), randomInt(1, 2 ** 47), { NX: true });
      await this.redis.bounded(multi.exec());
    } catch {
      // retried on the next read that finds a key missing
    }
  }

  private bumpLocal(tags: CacheTag[]): void {
    for (const t of tags) this.localVersions.set(t, (this.localVersions.get(t) ?? 0) + 1);
  }

  private async bumpShared(tags: CacheTag[]): Promise<void> {
    if (!this.redis.ready) return; // the reconnect handler bumps every tag once Redis is back
    try {
      const multi = this.redis.client!.multi();
      for (const t of tags) multi.incr(this.versionKey(t));
      await this.redis.bounded(multi.exec());
    } catch (err) {
      this.logger.warn(
        `Could not invalidate ${tags.join(', ')} in Redis: ${(err as Error).message}`,
      );
    }
  }

  private versionKey(tag: CacheTag): string {
    return this.redis.key(cacheVersionKey(tag));
  }
}

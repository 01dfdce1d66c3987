import cluster from 'node:cluster';
import { randomInt } from 'node:crypto';
import { Inject, Injectable, Logger, Optional, type OnModuleInit } from '@nestjs/common';
import { CACHE_MANAGER } from '@nestjs/cache-manager';
import type { Cache } from 'cache-manager';
import type { KeyvCacheableMemory } from 'cacheable';
import type { AppConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/config.module.js';
import { LSN_UNKNOWN, lsnKey, parseLsnKey, type Lsn } from '../database/lsn.js';
import { ReadConsistencyService } from '../database/read-consistency.service.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { RedisService } from '../redis/redis.service.js';
import { CACHE_TAGS, CACHE_VERSIONS_SLOT, cacheVersionKey, type CacheTag } from './cache-tags.js';

/**
 * While a configured Redis is unreachable, entries live this long at most: other processes
 * cannot see our writes. Without Redis at all, versions are this process's own (and its cluster
 * siblings', over IPC), so entries live their full TTL.
 */
const OUTAGE_TTL_MS = 10_000;
const IPC_INVALIDATE = 'spajobs:cache-invalidate';

/** The version of an entry under shared tag versions read from Redis; undefined if one is missing. */
function sharedVersion(values: Array<string | null>): string | undefined {
  return values.every((v) => v !== null) ? `r${values.join('.')}` : undefined;
}

interface IpcInvalidate {
  type: typeof IPC_INVALIDATE;
  tags: CacheTag[];
  /** The fence (lsnKey), when known. */
  lsn?: string;
}

/**
 * Bumps each version and raises its fence (the primary's WAL position after the write, fixed
 * width hex, so text order is numeric order) to at least ARGV[1]: several writers may finish out
 * of order, and a fence must never go back. KEYS: version1, fence1, version2, fence2, ...
 */
const BUMP_SCRIPT = `
for i = 1, #KEYS, 2 do
  redis.call('INCR', KEYS[i])
  if ARGV[1] ~= '' then
    local cur = redis.call('GET', KEYS[i + 1])
    if not cur or cur < ARGV[1] then redis.call('SET', KEYS[i + 1], ARGV[1]) end
  end
end
return 1`;

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
    @Optional() private readonly consistency?: ReadConsistencyService,
    @Optional() private readonly metrics?: MetricsService,
  ) {
    this.defaultTtlMs = config.cache.ttlSeconds * 1000;
  }

  onModuleInit(): void {
    // Writes made during an outage could not bump the shared versions: drop everything cached before.
    this.redis.onReconnect(() => void this.bumpShared([...CACHE_TAGS]));
    this.redis.onReady(() => void this.seedVersions());
    if (cluster.isWorker && !this.redis.enabled) {
      process.on('message', (msg: IpcInvalidate) => {
        if (msg?.type !== IPC_INVALIDATE) return;
        this.bumpLocal(msg.tags);
        if (msg.lsn) this.consistency?.noteFence(msg.tags, parseLsnKey(msg.lsn));
      });
    }
    // Another process's write (LISTEN/NOTIFY): seen here even while Redis is down.
    this.consistency?.onInvalidation((inv) => {
      const tags = inv.tags.filter((t): t is CacheTag => CACHE_TAGS.includes(t as CacheTag));
      this.bumpLocal(tags);
      if (inv.bumpShared) void this.bumpShared(tags, inv.lsn);
    });
    this.consistency?.onResync(() => this.bumpLocal([...CACHE_TAGS]));
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
    const known = await this.versions(tags, prefetched);
    const shared = known.shared;
    let version = known.version;
    if (!shared) {
      if (!(await this.othersKnown())) {
        // what other processes wrote is unknown: the primary, cached nowhere
        return { value: await this.consistency!.readBehind(LSN_UNKNOWN, load), hit: false };
      }
      version = this.localVersion(tags); // with what arrived while waiting
    }
    let hit = true;
    const value = await this.cache.wrap<T>(
      `${version}|${key}`,
      () => {
        hit = false;
        return this.fill(tags, load, shared);
      },
      shared || !this.redis.enabled ? ttlMs : Math.min(ttlMs, OUTAGE_TTL_MS),
    );
    this.metrics?.cacheLookup(tags, hit);
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
    // the limiter read the shared versions (a hit's usual case): no wait here
    let version =
      (prefetched && sharedVersion(prefetched)) || (await this.versions(tags, prefetched)).version;
    if (!version.startsWith('r')) {
      if (!(await this.othersKnown())) return undefined;
      version = this.localVersion(tags); // with what arrived while waiting
    }
    // the local layer's own map, read synchronously: Keyv's async get (hooks, stats, promises)
    // cost a hit more than the lookup itself. Keyv keeps `{ value, expires }` there.
    const local = (this.cache.stores[0].store as KeyvCacheableMemory).store;
    const item = local.get<{ value: T; expires?: number }>(`${version}|${key}`);
    if (!item || (item.expires !== undefined && Date.now() > item.expires)) return undefined;
    return item.value;
  }

  /** Makes every entry under these tags stale, here and (with Redis or IPC) everywhere. */
  async invalidate(...tags: CacheTag[]): Promise<void> {
    this.bumpLocal(tags);
    // NOTIFY to every process (with Redis down too), and the fence: the primary's WAL position
    // now that the write has committed
    const lsn = await this.consistency?.published(tags);
    if (this.redis.enabled) {
      // a process whose Redis works bumps the shared versions for us (see onInvalidation)
      if (!(await this.bumpShared(tags, lsn))) await this.consistency?.published(tags, true);
    } else if (cluster.isWorker && process.send) {
      const msg: IpcInvalidate = { type: IPC_INVALIDATE, tags };
      if (lsn !== undefined) msg.lsn = lsnKey(lsn);
      process.send(msg);
    }
  }

  /**
   * Without Redis's versions (down, or off), may this process serve what it cached? Only when it
   * has heard of every write committed before now: with Redis configured (several processes or
   * servers share the data), that takes one round trip on the invalidation channel (shared by
   * concurrent reads); when the channel is lost too, nothing cached is served.
   */
  private async othersKnown(): Promise<boolean> {
    if (!this.consistency?.enabled) return true;
    return this.redis.enabled ? this.consistency.caughtUp() : this.consistency.listening;
  }

  /**
   * Loads a missing entry, from a replica that has replayed past the latest invalidation of its
   * tags (this process's knowledge, and Redis's when the versions came from there), else from the
   * primary.
   */
  private async fill<T>(tags: CacheTag[], load: () => Promise<T>, shared: boolean): Promise<T> {
    const consistency = this.consistency;
    if (!consistency?.hasReplicas) return load();
    let fromRedis: Lsn = 0n;
    if (shared) {
      try {
        const values = await this.redis.bounded(
          this.redis.client!.mGet(tags.map((t) => this.fenceKey(t))),
        );
        for (const v of values) if (v && parseLsnKey(v) > fromRedis) fromRedis = parseLsnKey(v);
      } catch {
        return consistency.readBehind(LSN_UNKNOWN, load); // the fence is unknown: the primary
      }
    }
    return consistency.readBehind(consistency.fenceOf(tags, fromRedis), load);
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
        const version = sharedVersion(values);
        if (version) return { version, shared: true };
        void this.seedVersions(); // a restarted (empty) Redis, or evicted keys
      } catch {
        // fall through to this process's own versions
      }
    }
    return { version: this.localVersion(tags), shared: false };
  }

  private localVersion(tags: CacheTag[]): string {
    return `m${tags.map((t) => this.localVersions.get(t) ?? 0).join('.')}`;
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

  /** False when Redis could not be told (the reconnect handler bumps every tag once it is back). */
  private async bumpShared(tags: CacheTag[], lsn?: Lsn): Promise<boolean> {
    if (!this.redis.ready) return false;
    try {
      await this.redis.bounded(
        this.redis.client!.eval(BUMP_SCRIPT, {
          keys: tags.flatMap((t) => [this.versionKey(t), this.fenceKey(t)]),
          arguments: [lsn === undefined ? '' : lsnKey(lsn)],
        }),
      );
      return true;
    } catch (err) {
      this.logger.warn(
        `Could not invalidate ${tags.join(', ')} in Redis: ${(err as Error).message}`,
      );
      return false;
    }
  }

  /** The tag's fence, next to (and in the cluster slot of) its version. */
  private fenceKey(tag: CacheTag): string {
    return `${this.versionKey(tag)}:fence`;
  }

  private versionKey(tag: CacheTag): string {
    return this.redis.key(cacheVersionKey(tag), CACHE_VERSIONS_SLOT);
  }
}

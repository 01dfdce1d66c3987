import { createHash } from 'node:crypto';
import { Inject, Injectable, Optional, type OnApplicationShutdown } from '@nestjs/common';
import type { ThrottlerStorage } from '@nestjs/throttler';
import type { ThrottlerStorageRecord } from '@nestjs/throttler/dist/throttler-storage-record.interface.js';
import type { AppConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/config.module.js';
import { CACHE_VERSIONS_SLOT, cacheVersionKey, type CacheTag } from '../cache/cache-tags.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { RedisService } from '../redis/redis.service.js';
import { MemoryThrottlerStorage, toRecord } from './memory-throttler.storage.js';

/** The named limits (minute, hour, login): a client holds at most one window of each. */
export const LIMITS_PER_CLIENT = 3;

/** One counted hit: a window key, its client, its length (ms) and its limit. */
export interface Hit {
  key: string;
  /** The client's windows share a cluster slot (one script counts them all). */
  client: string;
  ttl: number;
  limit: number;
}

/**
 * For each of the first ARGV[1] keys (window keys): INCR, and start the window on the first
 * hit, atomically; returns, per key, the hits so far and the ms left in the window. Then the
 * values of the keys after them (cache tag versions: the request's other round trip), false
 * (nil) for a missing one.
 */
const INCREMENT_SCRIPT = `
local n = tonumber(ARGV[1])
local out = {}
for i = 1, n do
  local key = KEYS[i]
  local hits = redis.call('INCR', key)
  local ttl = redis.call('PTTL', key)
  if ttl < 0 then
    redis.call('PEXPIRE', key, ARGV[i + 1])
    ttl = tonumber(ARGV[i + 1])
  end
  out[2 * i - 1] = hits
  out[2 * i] = ttl
end
for j = n + 1, #KEYS do
  out[n + j] = redis.call('GET', KEYS[j]) or false
end
return out`;
const INCREMENT_SHA = createHash('sha1').update(INCREMENT_SCRIPT).digest('hex');

/**
 * Rate-limit counters shared by every process and server through Redis (one atomic script per
 * request, all limits at once), falling back to this process's memory whenever Redis is off,
 * down or slow (every call is bounded in time): limits keep applying and requests keep flowing
 * ("fail open" to memory, never to no limit at all).
 *
 * On a single server the script also reads the cache tag versions. On a cluster a client's
 * windows share a slot (hash tag `rl:<client>`: clients spread over the masters) and the versions
 * another one (`cache-versions`, see CacheService), so the versions come from an MGET sent in the
 * same tick as the script: two commands, one round trip of waiting.
 */
@Injectable()
export class ResilientThrottlerStorage implements ThrottlerStorage, OnApplicationShutdown {
  readonly memory: MemoryThrottlerStorage;

  constructor(
    private readonly redis: RedisService,
    @Inject(APP_CONFIG) config: AppConfig,
    @Optional() private readonly metrics?: MetricsService,
  ) {
    this.memory = new MemoryThrottlerStorage(config.throttle.memoryMaxClients * LIMITS_PER_CLIENT);
  }

  /**
   * Counts the hits and, in the same Redis round trip, reads the current versions of `tags`
   * (undefined when they were not read from Redis: the cache then reads them itself).
   */
  async incrementAll(
    hits: Hit[],
    tags: readonly CacheTag[] = [],
  ): Promise<{ records: ThrottlerStorageRecord[]; versions?: Array<string | null> }> {
    if (!this.redis.ready) return { records: await this.countInMemory(hits) };
    const versionKeys = tags.map((t) => this.redis.key(cacheVersionKey(t), CACHE_VERSIONS_SLOT));
    const windows = hits.map((h) => this.redis.key(`rl:${h.key}`, `rl:${h.client}`));
    const args = [String(hits.length), ...hits.map((h) => String(h.ttl))];
    let out: Array<number | string | null>;
    let versions: Array<string | null> | undefined;
    if (!this.redis.clustered) {
      try {
        out = await this.run([...windows, ...versionKeys], args);
      } catch {
        return { records: await this.countInMemory(hits) };
      }
      if (tags.length > 0) versions = out.slice(2 * hits.length) as Array<string | null>;
    } else {
      const [counted, read] = await Promise.allSettled([
        this.run(windows, args),
        tags.length > 0 ? this.redis.bounded(this.redis.client!.mGet(versionKeys)) : undefined,
      ]);
      if (read.status === 'fulfilled') versions = read.value;
      if (counted.status === 'rejected')
        return { records: await this.countInMemory(hits), versions };
      out = counted.value;
    }
    const records = hits.map((h, i) =>
      toRecord(Number(out[2 * i]), Number(out[2 * i + 1]), h.limit),
    );
    this.report(records, 'redis');
    return { records, versions };
  }

  /** Metrics: the decision, where it was counted, and whether memory stood in for Redis. */
  private report(records: ThrottlerStorageRecord[], store: 'redis' | 'memory'): void {
    const denied = records.some((r) => r.isBlocked);
    this.metrics?.rateLimited(denied, store, store === 'memory' && this.redis.enabled);
  }

  /** The library's single-limit interface, for completeness. */
  async increment(key: string, ttl: number, limit: number): Promise<ThrottlerStorageRecord> {
    return (await this.incrementAll([{ key, client: key, ttl, limit }])).records[0];
  }

  private async countInMemory(hits: Hit[]): Promise<ThrottlerStorageRecord[]> {
    const records = await Promise.all(
      hits.map((h) => this.memory.increment(h.key, h.ttl, h.limit)),
    );
    this.report(records, 'memory');
    return records;
  }

  /**
   * The script by its digest; a server (or cluster master) that does not know it yet (started
   * empty, or a replica just promoted) gets it in full, which also caches it there.
   */
  private async run(keys: string[], args: string[]): Promise<Array<number | string | null>> {
    const client = this.redis.client!;
    const call = { keys, arguments: args };
    try {
      return (await this.redis.bounded(client.evalSha(INCREMENT_SHA, call))) as Array<
        number | string | null
      >;
    } catch (err) {
      if (!(err as Error).message?.includes('NOSCRIPT')) throw err;
      return (await this.redis.bounded(client.eval(INCREMENT_SCRIPT, call))) as Array<
        number | string | null
      >;
    }
  }

  onApplicationShutdown(): void {
    this.memory.close();
  }
}

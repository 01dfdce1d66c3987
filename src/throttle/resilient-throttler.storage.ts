import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import type { ThrottlerStorage } from '@nestjs/throttler';
import type { ThrottlerStorageRecord } from '@nestjs/throttler/dist/throttler-storage-record.interface.js';
import type { AppConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/config.module.js';
import { cacheVersionKey, type CacheTag } from '../cache/cache-tags.js';
import { RedisService } from '../redis/redis.service.js';
import { MemoryThrottlerStorage, toRecord } from './memory-throttler.storage.js';

/** The named limits (minute, hour, login): a client holds at most one window of each. */
export const LIMITS_PER_CLIENT = 3;

/** One counted hit: a window key, its length (ms) and its limit. */
export interface Hit {
  key: string;
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

/**
 * Rate-limit counters shared by every process and server through Redis (one atomic script per
 * request, all limits at once), falling back to this process's memory whenever Redis is off,
 * down or slow (every call is bounded in time): limits keep applying and requests keep flowing
 * ("fail open" to memory, never to no limit at all).
 */
@Injectable()
export class ResilientThrottlerStorage implements ThrottlerStorage, OnApplicationShutdown {
  readonly memory: MemoryThrottlerStorage;
  private scriptSha?: string;

  constructor(
    private readonly redis: RedisService,
    @Inject(APP_CONFIG) config: AppConfig,
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
    if (this.redis.ready) {
      try {
        const out = await this.run(
          [
            ...hits.map((h) => this.redis.key(`rl:${h.key}`)),
            ...tags.map((t) => this.redis.key(cacheVersionKey(t))),
          ],
          [String(hits.length), ...hits.map((h) => String(h.ttl))],
        );
        return {
          records: hits.map((h, i) =>
            toRecord(Number(out[2 * i]), Number(out[2 * i + 1]), h.limit),
          ),
          versions:
            tags.length > 0 ? (out.slice(2 * hits.length) as Array<string | null>) : undefined,
        };
      } catch {
        // counted in memory below
      }
    }
    return {
      records: await Promise.all(hits.map((h) => this.memory.increment(h.key, h.ttl, h.limit))),
    };
  }

  /** The library's single-limit interface, for completeness. */
  async increment(key: string, ttl: number, limit: number): Promise<ThrottlerStorageRecord> {
    return (await this.incrementAll([{ key, ttl, limit }])).records[0];
  }

  private async run(keys: string[], ttls: string[]): Promise<Array<number | string | null>> {
    const client = this.redis.client!;
    this.scriptSha ??= await this.redis.bounded(client.scriptLoad(INCREMENT_SCRIPT));
    try {
      return (await this.redis.bounded(
        client.evalSha(this.scriptSha, { keys, arguments: ttls }),
      )) as Array<number | string | null>;
    } catch (err) {
      if (!(err as Error).message?.includes('NOSCRIPT')) throw err;
      this.scriptSha = undefined; // Redis restarted empty: load the script again
      return this.run(keys, ttls);
    }
  }

  onApplicationShutdown(): void {
    this.memory.close();
  }
}

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
 * Counts the requests of one batch (see BatchedCounts), atomically: ARGV[1] is how many requests,
 * then per request its number of window keys, its number of tag-version keys and each window's
 * length (ms); KEYS are the requests' keys in the same order. Per window: INCR, and start the
 * window on its first hit. Returns, per request, an array: per window the hits so far and the
 * ms left, then the versions (false (nil) for a missing one).
 */
const INCREMENT_SCRIPT = `
local requests = tonumber(ARGV[1])
local a = 2
local k = 1
local out = {}
for r = 1, requests do
  local windows = tonumber(ARGV[a])
  local versions = tonumber(ARGV[a + 1])
  a = a + 2
  local one = {}
  for i = 1, windows do
    local key = KEYS[k]
    local hits = redis.call('INCR', key)
    local ttl = redis.call('PTTL', key)
    if ttl < 0 then
      redis.call('PEXPIRE', key, ARGV[a])
      ttl = tonumber(ARGV[a])
    end
    one[2 * i - 1] = hits
    one[2 * i] = ttl
    a = a + 1
    k = k + 1
  end
  for j = 1, versions do
    one[2 * windows + j] = redis.call('GET', KEYS[k]) or false
    k = k + 1
  end
  out[r] = one
end
return out`;
const INCREMENT_SHA = createHash('sha1').update(INCREMENT_SCRIPT).digest('hex');

type Reply = Array<number | string | null>;

/** A request's counts, and the tag versions read with them (when they were read from Redis). */
interface Counted {
  records: ThrottlerStorageRecord[];
  versions?: Array<string | null>;
}

/** One request's counts waiting for the next batch. */
interface Pending {
  keys: string[];
  hits: Hit[];
  versions: number;
  done: (reply: Reply | undefined) => void;
}

/** A batch never grows past this many requests (the script's keys stay few thousand). */
const MAX_BATCH = 256;

/**
 * Rate-limit counters shared by every process and server through Redis (one atomic script for
 * all limits of a request), falling back to this process's memory whenever Redis is off, down
 * or slow (every call is bounded in time): limits keep applying and requests keep flowing
 * ("fail open" to memory, never to no limit at all).
 *
 * On a single server the script also reads the cache tag versions, and the requests that arrive
 * in one turn of the event loop are counted by ONE script call (sent when the turn's I/O has been
 * read): one command, one reply and one timeout for all of them instead of one each, which was
 * most of what a cache hit cost. On a cluster a client's windows share a slot (hash tag
 * `rl:<client>`: clients spread over the masters) and the versions another one
 * (`cache-versions`, see CacheService), so each request sends its own script and an MGET in the
 * same tick: two commands, one round trip of waiting.
 */
@Injectable()
export class ResilientThrottlerStorage implements ThrottlerStorage, OnApplicationShutdown {
  readonly memory: MemoryThrottlerStorage;
  private batch: Pending[] = [];
  /** The Redis keys of a tag list (tag lists are per route: constant arrays). */
  private readonly versionKeys = new WeakMap<readonly CacheTag[], string[]>();

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
  incrementAll(hits: Hit[], tags: readonly CacheTag[] = []): Promise<Counted> {
    if (!this.redis.ready) return this.countInMemory(hits).then((records) => ({ records }));
    const versionKeys = this.keysOf(tags);
    const keys: string[] = [];
    for (const h of hits) keys.push(this.redis.key(`rl:${h.key}`, `rl:${h.client}`));
    if (this.redis.clustered) return this.incrementOnCluster(hits, keys, versionKeys);
    for (const k of versionKeys) keys.push(k);
    // one promise per request, settled by the batch's reply (a cache hit's whole wait)
    return new Promise((resolve) =>
      this.enqueue({
        keys,
        hits,
        versions: versionKeys.length,
        done: (reply) => {
          if (!reply) return resolve(this.countInMemory(hits).then((records) => ({ records })));
          const versions =
            tags.length > 0 ? (reply.slice(2 * hits.length) as Array<string | null>) : undefined;
          resolve({ records: this.recordsOf(hits, reply), versions });
        },
      }),
    );
  }

  private async incrementOnCluster(
    hits: Hit[],
    keys: string[],
    versionKeys: string[],
  ): Promise<Counted> {
    const [counted, read] = await Promise.allSettled([
      this.run(keys, this.argsOf([{ hits, versions: 0 }])),
      versionKeys.length > 0 ? this.redis.bounded(this.redis.client!.mGet(versionKeys)) : undefined,
    ]);
    const versions = read.status === 'fulfilled' ? read.value : undefined;
    if (counted.status === 'rejected') return { records: await this.countInMemory(hits), versions };
    return { records: this.recordsOf(hits, (counted.value as Reply[])[0]), versions };
  }

  /** The script's counts for one request as the library's records (and reported). */
  private recordsOf(hits: Hit[], reply: Reply): ThrottlerStorageRecord[] {
    const records = hits.map((h, i) =>
      toRecord(Number(reply[2 * i]), Number(reply[2 * i + 1]), h.limit),
    );
    this.report(records, 'redis');
    return records;
  }

  private keysOf(tags: readonly CacheTag[]): string[] {
    let keys = this.versionKeys.get(tags);
    if (!keys) {
      keys = tags.map((t) => this.redis.key(cacheVersionKey(t), CACHE_VERSIONS_SLOT));
      this.versionKeys.set(tags, keys);
    }
    return keys;
  }

  /** Joins the batch sent once this turn of the event loop has read its I/O. */
  private enqueue(pending: Pending): void {
    this.batch.push(pending);
    if (this.batch.length === 1) setImmediate(() => this.flush());
    else if (this.batch.length >= MAX_BATCH) this.flush();
  }

  private flush(): void {
    const batch = this.batch;
    if (batch.length === 0) return;
    this.batch = [];
    const keys = batch.length === 1 ? batch[0].keys : batch.flatMap((p) => p.keys);
    this.run(keys, this.argsOf(batch)).then(
      (replies) => {
        for (let i = 0; i < batch.length; i++) batch[i].done((replies as Reply[])[i]);
      },
      // each request counts in memory instead
      () => {
        for (const p of batch) p.done(undefined);
      },
    );
  }

  /** The script's ARGV for a batch: how many requests, then per request its sizes and ttls. */
  private argsOf(batch: Array<Pick<Pending, 'hits' | 'versions'>>): string[] {
    const args = [String(batch.length)];
    for (const p of batch) {
      args.push(String(p.hits.length), String(p.versions));
      for (const h of p.hits) args.push(String(h.ttl));
    }
    return args;
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
  private async run(keys: string[], args: string[]): Promise<unknown> {
    const client = this.redis.client!;
    const call = { keys, arguments: args };
    try {
      return await this.redis.bounded(client.evalSha(INCREMENT_SHA, call));
    } catch (err) {
      if (!(err as Error).message?.includes('NOSCRIPT')) throw err;
      return await this.redis.bounded(client.eval(INCREMENT_SCRIPT, call));
    }
  }

  onApplicationShutdown(): void {
    this.flush();
    this.memory.close();
  }
}

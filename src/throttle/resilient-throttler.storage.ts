import { Injectable, type OnApplicationShutdown } from '@nestjs/common';
import type { ThrottlerStorage } from '@nestjs/throttler';
import type { ThrottlerStorageRecord } from '@nestjs/throttler/dist/throttler-storage-record.interface.js';
import { RedisService } from '../redis/redis.service.js';
import { MemoryThrottlerStorage, toRecord } from './memory-throttler.storage.js';

/** INCR and start the window on the first hit, in one atomic step; returns hits and ms left. */
const INCREMENT_SCRIPT = `
local hits = redis.call('INCR', KEYS[1])
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return {hits, ttl}`;

/**
 * Rate-limit counters shared by every process and server through Redis (one atomic script per
 * hit), falling back to this process's memory whenever Redis is off, down or slow (each Redis
 * call is bounded by the client's command timeout): limits keep applying and requests keep
 * flowing ("fail open" to memory, never to no limit at all).
 */
@Injectable()
export class ResilientThrottlerStorage implements ThrottlerStorage, OnApplicationShutdown {
  readonly memory = new MemoryThrottlerStorage();
  private scriptSha?: string;

  constructor(private readonly redis: RedisService) {}

  async increment(key: string, ttl: number, limit: number): Promise<ThrottlerStorageRecord> {
    if (this.redis.ready) {
      try {
        const [hits, msLeft] = await this.run(this.redis.key(`rl:${key}`), ttl);
        return toRecord(hits, msLeft, limit);
      } catch {
        // counted in memory below
      }
    }
    return this.memory.increment(key, ttl, limit);
  }

  private async run(key: string, ttl: number): Promise<[number, number]> {
    const client = this.redis.client!;
    this.scriptSha ??= await client.scriptLoad(INCREMENT_SCRIPT);
    try {
      return (await client.evalSha(this.scriptSha, { keys: [key], arguments: [String(ttl)] })) as [
        number,
        number,
      ];
    } catch (err) {
      if (!(err as Error).message?.includes('NOSCRIPT')) throw err;
      this.scriptSha = undefined; // Redis restarted empty: load the script again
      return this.run(key, ttl);
    }
  }

  onApplicationShutdown(): void {
    this.memory.close();
  }
}

import { EventEmitter } from 'node:events';
import { Global, Module } from '@nestjs/common';
import { CacheModule } from '@nestjs/cache-manager';
import { DiscoveryModule } from '@nestjs/core';
import { KeyvCacheableMemory } from 'cacheable';
import { defaultDeserialize } from '@keyv/serialize';
import { Keyv, type DeserializedData, type KeyvStoreAdapter } from 'keyv';
import type { AppConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/config.module.js';
import { RedisService } from '../redis/redis.service.js';
import { CacheResultExplorer } from './cache-result.decorator.js';
import { CACHE_NAMESPACE } from './cache-tags.js';
import { CacheService } from './cache.service.js';
import { LearnedRoutes } from './http-cache.fast-path.js';
import { ownBytes } from './cached-response.js';
import { HttpCacheInterceptor } from './http-cache.interceptor.js';

/**
 * In-process layer, bounded by entry count. It may keep entries as long as Redis does: keys carry
 * the tag versions, so an invalidation anywhere makes the old entries unreachable.
 */
const L1_MAX_ENTRIES = 10_000;

/**
 * The Redis layer over the shared connection (a single server or a cluster: entries are single
 * keys, spread over the slots), every call bounded in time: a miss or a skipped write when Redis
 * is slow or down. Keys read `<namespace>::<key>`, as @keyv/redis wrote them. Never clears:
 * entries are orphaned by version bumps and expire (no KEYS, no FLUSHDB).
 */
class SharedRedisStore extends EventEmitter implements KeyvStoreAdapter {
  opts = {};
  namespace?: string;

  constructor(private readonly redis: RedisService) {
    super();
  }

  async get<U>(key: string): Promise<U | undefined> {
    if (!this.redis.ready) return undefined;
    const value = await this.redis
      .bounded(this.redis.client!.get(this.fullKey(key)))
      .catch(() => null);
    return (value ?? undefined) as U | undefined;
  }

  async set(key: string, value: string, ttl?: number): Promise<void> {
    if (!this.redis.ready) return;
    await this.redis
      .bounded(this.redis.client!.set(this.fullKey(key), value, ttl ? { PX: ttl } : undefined))
      .catch(() => undefined);
  }

  async delete(key: string): Promise<boolean> {
    if (!this.redis.ready) return false;
    const removed = await this.redis
      .bounded(this.redis.client!.del(this.fullKey(key)))
      .catch(() => 0);
    return removed > 0;
  }

  async clear(): Promise<void> {}

  private fullKey(key: string): string {
    return this.namespace ? `${this.namespace}::${key}` : key;
  }
}

function quiet<T extends Keyv>(keyv: T): T {
  keyv.on('error', () => undefined); // outages are reported once by RedisService
  return keyv;
}

@Global()
@Module({
  imports: [
    DiscoveryModule,
    CacheModule.registerAsync({
      inject: [APP_CONFIG, RedisService],
      useFactory: (config: AppConfig, redis: RedisService) => {
        const memory = quiet(
          new Keyv({
            // one Map (the default shards keys over 16, hashing every key on every read)
            store: new KeyvCacheableMemory({
              lruSize: L1_MAX_ENTRIES,
              useClone: false,
              storeHashSize: 1,
            }),
            // kept by reference: cached values are never mutated (see CacheResult)
            serialize: undefined,
            deserialize: undefined,
            // keys as given (CacheService.peek reads this store's map directly)
            useKeyPrefix: false,
          }),
        );
        const shared = redis.enabled
          ? quiet(
              new Keyv({
                store: new SharedRedisStore(redis),
                namespace: redis.key(CACHE_NAMESPACE),
                useKeyPrefix: false,
                deserialize: <Value>(text: string) => {
                  const entry = defaultDeserialize<DeserializedData<Value> | undefined>(text);
                  return entry && { ...entry, value: ownBytes(entry.value) };
                },
              }),
            )
          : undefined;
        return {
          stores: shared ? [memory, shared] : [memory],
          ttl: config.cache.ttlSeconds * 1000,
        };
      },
    }),
  ],
  providers: [CacheService, CacheResultExplorer, HttpCacheInterceptor, LearnedRoutes],
  exports: [CacheService, HttpCacheInterceptor, LearnedRoutes],
})
export class AppCacheModule {}

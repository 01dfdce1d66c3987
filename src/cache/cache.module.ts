import { Global, Module } from '@nestjs/common';
import { CacheModule } from '@nestjs/cache-manager';
import { DiscoveryModule } from '@nestjs/core';
import KeyvRedis from '@keyv/redis';
import { KeyvCacheableMemory } from 'cacheable';
import { Keyv } from 'keyv';
import type { AppConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/config.module.js';
import { RedisService } from '../redis/redis.service.js';
import { CacheResultExplorer } from './cache-result.decorator.js';
import { CacheService } from './cache.service.js';
import { LearnedRoutes } from './http-cache.fast-path.js';
import { HttpCacheInterceptor } from './http-cache.interceptor.js';

/**
 * In-process layer, bounded by entry count. It may keep entries as long as Redis does: keys carry
 * the tag versions, so an invalidation anywhere makes the old entries unreachable.
 */
const L1_MAX_ENTRIES = 10_000;

/**
 * The Redis layer over the shared connection: every call bounded in time (a miss or a skipped
 * write when Redis is slow), and never closed by cache-manager (RedisService owns the connection).
 */
class SharedKeyvRedis<T> extends KeyvRedis<T> {
  constructor(private readonly redis: RedisService) {
    super(redis.client, { throwOnConnectError: false, throwOnErrors: false });
  }

  override async get<U = T>(key: string): Promise<U | undefined> {
    if (!this.redis.ready) return undefined;
    return this.redis.bounded(super.get<U>(key)).catch(() => undefined);
  }

  override async set(key: string, value: string, ttl?: number): Promise<void> {
    if (!this.redis.ready) return;
    await this.redis.bounded(super.set(key, value, ttl)).catch(() => undefined);
  }

  override async disconnect(): Promise<void> {}
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
            store: new KeyvCacheableMemory({ lruSize: L1_MAX_ENTRIES, useClone: false }),
            // kept by reference: cached values are never mutated (see CacheResult)
            serialize: undefined,
            deserialize: undefined,
          }),
        );
        const shared = redis.client
          ? quiet(
              new Keyv({
                store: new SharedKeyvRedis(redis),
                namespace: redis.key('cache'),
                useKeyPrefix: false,
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

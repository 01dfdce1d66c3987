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
import { HttpCacheInterceptor } from './http-cache.interceptor.js';

/** In-process layer: bounded, and short-lived so that it never outlives Redis by much. */
const L1_MAX_ENTRIES = 5000;
const L1_MAX_TTL_MS = 30_000;

/** RedisService owns the connection; cache-manager must not close it on shutdown. */
class SharedKeyvRedis<T> extends KeyvRedis<T> {
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
            store: new KeyvCacheableMemory({
              lruSize: L1_MAX_ENTRIES,
              maxTtl: L1_MAX_TTL_MS,
              useClone: false,
            }),
            // kept by reference: cached values are never mutated (see CacheResult)
            serialize: undefined,
            deserialize: undefined,
          }),
        );
        const shared = redis.client
          ? quiet(
              new Keyv({
                store: new SharedKeyvRedis(redis.client, {
                  throwOnConnectError: false,
                  throwOnErrors: false,
                }),
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
  providers: [CacheService, CacheResultExplorer, HttpCacheInterceptor],
  exports: [CacheService, HttpCacheInterceptor],
})
export class AppCacheModule {}

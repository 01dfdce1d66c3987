import { Injectable, SetMetadata, type OnModuleInit } from '@nestjs/common';
import { DiscoveryService, MetadataScanner } from '@nestjs/core';
import type { CacheTag } from './cache-tags.js';
import { CacheService } from './cache.service.js';

const CACHE_RESULT = 'cache:result';

export interface CacheResultOptions {
  /** Invalidated by writes to these tags. */
  tags: CacheTag[];
  /** Default CACHE_TTL_SECONDS. */
  ttlSeconds?: number;
}

/**
 * Caches a service method's result by its arguments (the seed's @cache_result). The result goes
 * through JSON in Redis: return plain data (dates come back as strings), never entities with
 * behaviour, and nothing that depends on the caller unless the caller is an argument.
 */
export const CacheResult = (options: CacheResultOptions) => SetMetadata(CACHE_RESULT, options);

/** Wraps every @CacheResult method of every provider at startup, with this app's cache. */
@Injectable()
export class CacheResultExplorer implements OnModuleInit {
  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly cache: CacheService,
  ) {}

  onModuleInit(): void {
    for (const wrapper of this.discovery.getProviders()) {
      const instance = wrapper.instance as Record<string, unknown> | undefined;
      if (!instance || typeof instance !== 'object' || !wrapper.isDependencyTreeStatic()) continue;
      const prototype = Object.getPrototypeOf(instance) as object;
      for (const name of this.scanner.getAllMethodNames(prototype)) {
        const original = instance[name] as (...args: unknown[]) => Promise<unknown>;
        const options = Reflect.getMetadata(CACHE_RESULT, original) as
          CacheResultOptions | undefined;
        if (!options) continue;
        const owner = instance.constructor.name;
        const ttlMs = options.ttlSeconds !== undefined ? options.ttlSeconds * 1000 : undefined;
        instance[name] = async (...args: unknown[]) =>
          (
            await this.cache.wrap(
              `fn:${owner}.${name}:${JSON.stringify(args)}`,
              options.tags,
              () => original.apply(instance, args),
              ttlMs,
            )
          ).value;
      }
    }
  }
}

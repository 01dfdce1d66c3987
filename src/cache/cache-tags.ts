import { requestSlot } from '../common/request-slot.js';

/**
 * What a cached entry depends on. A write bumps the version of the tags it changes, which
 * orphans every entry built on the old version (no KEYS, no FLUSHDB).
 * - jobs: job lists and details (also bumped by spa writes: job payloads embed their spa)
 * - spas: spa lists and details
 * - locations: states, cities, categories (reference data)
 */
export const CACHE_TAGS = ['jobs', 'spas', 'locations'] as const;
export type CacheTag = (typeof CACHE_TAGS)[number];

/** The Redis key (under REDIS_KEY_PREFIX) holding a tag's current version. */
export const cacheVersionKey = (tag: CacheTag): string => `cache-version:${tag}`;

/**
 * The namespace of the Redis layer's entries (under REDIS_KEY_PREFIX), versioned by the shape of
 * what they hold (2: a response's bytes as one buffer): during a rolling upgrade, neither version
 * reads the other's entries.
 */
export const CACHE_NAMESPACE = 'cache:2';

/**
 * The one Redis Cluster slot of every tag version (see RedisService.key): a read's MGET and a
 * write's MULTI INCR touch several tags at once, which a cluster allows only within one slot.
 * Limit windows are spread by client instead, so this slot holds just these few keys.
 */
export const CACHE_VERSIONS_SLOT = 'cache-versions';

/**
 * Tag versions read from Redis for a request in the limiter's round trip (see
 * AppThrottlerGuard), so that its cache lookup needs no second one. Null for a missing key.
 */
export const prefetchedVersions = requestSlot<Array<string | null>>('prefetched cache versions');

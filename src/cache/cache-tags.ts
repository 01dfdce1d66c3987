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
 * Tag versions read from Redis for a request in the limiter's round trip (see
 * AppThrottlerGuard), so that its cache lookup needs no second one. Null for a missing key.
 */
export const prefetchedVersions = new WeakMap<object, Array<string | null>>();

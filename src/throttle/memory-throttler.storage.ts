import type { ThrottlerStorage } from '@nestjs/throttler';
import type { ThrottlerStorageRecord } from '@nestjs/throttler/dist/throttler-storage-record.interface.js';

interface Window {
  hits: number;
  expiresAt: number;
}

const SWEEP_EVERY_MS = 30_000;

/**
 * Fixed-window counters in this process's memory: the fallback when Redis is off or failing.
 * No timer per hit (the library's store keeps one per hit and never evicts keys); expired
 * windows are swept periodically. At most `maxWindows` are held: the map keeps windows in the
 * order they started, and a new one past the cap evicts the oldest (that client then starts a
 * fresh window), so a flood of new addresses costs bounded memory and O(1) per hit.
 */
export class MemoryThrottlerStorage implements ThrottlerStorage {
  private readonly windows = new Map<string, Window>();
  private readonly sweeper: NodeJS.Timeout;

  constructor(
    private readonly maxWindows: number,
    private readonly now: () => number = Date.now,
  ) {
    this.sweeper = setInterval(() => this.sweep(), SWEEP_EVERY_MS);
    this.sweeper.unref();
  }

  get size(): number {
    return this.windows.size;
  }

  increment(key: string, ttl: number, limit: number): Promise<ThrottlerStorageRecord> {
    const now = this.now();
    let w = this.windows.get(key);
    if (!w || w.expiresAt <= now) {
      if (w)
        this.windows.delete(key); // re-inserted last: the map stays in start order
      else if (this.windows.size >= this.maxWindows) this.evictOldest();
      w = { hits: 0, expiresAt: now + ttl };
      this.windows.set(key, w);
    }
    w.hits++;
    return Promise.resolve(toRecord(w.hits, w.expiresAt - now, limit));
  }

  sweep(): void {
    const now = this.now();
    for (const [key, w] of this.windows) if (w.expiresAt <= now) this.windows.delete(key);
  }

  private evictOldest(): void {
    const oldest = this.windows.keys().next();
    if (!oldest.done) this.windows.delete(oldest.value);
  }

  close(): void {
    clearInterval(this.sweeper);
  }
}

/** A blocked client waits for its window to end (never longer), so Retry-After is the window's rest. */
export function toRecord(hits: number, msLeft: number, limit: number): ThrottlerStorageRecord {
  const seconds = Math.max(1, Math.ceil(msLeft / 1000));
  const blocked = hits > limit;
  return {
    totalHits: hits,
    timeToExpire: seconds,
    isBlocked: blocked,
    timeToBlockExpire: blocked ? seconds : 0,
  };
}

import { MemoryThrottlerStorage } from './memory-throttler.storage.js';

describe('MemoryThrottlerStorage', () => {
  let now = 1_000_000;
  const storage = new MemoryThrottlerStorage(1_000_000, () => now);
  afterAll(() => storage.close());

  it('counts hits in a fixed window and blocks past the limit until the window ends', async () => {
    for (let i = 1; i <= 3; i++) {
      const r = await storage.increment('minute:1.1.1.1', 60_000, 3);
      expect(r).toMatchObject({ totalHits: i, isBlocked: false });
    }
    now += 15_000;
    const blocked = await storage.increment('minute:1.1.1.1', 60_000, 3);
    expect(blocked).toMatchObject({
      totalHits: 4,
      isBlocked: true,
      timeToBlockExpire: 45,
      timeToExpire: 45,
    });
    now += 45_000;
    expect(await storage.increment('minute:1.1.1.1', 60_000, 3)).toMatchObject({
      totalHits: 1,
      isBlocked: false,
    });
  });

  it('keeps clients apart', async () => {
    await storage.increment('minute:a', 60_000, 1);
    expect((await storage.increment('minute:b', 60_000, 1)).isBlocked).toBe(false);
  });

  it('evicts expired windows, so memory stays flat under many distinct clients', async () => {
    for (let i = 0; i < 50_000; i++)
      await storage.increment(`minute:10.0.${i >> 8}.${i & 255}`, 60_000, 60);
    expect(storage.size).toBeGreaterThanOrEqual(50_000);
    now += 61_000;
    storage.sweep();
    expect(storage.size).toBe(0);
  });

  it('never holds more windows than its cap, evicting the oldest window first', async () => {
    const cap = 10_000;
    const capped = new MemoryThrottlerStorage(cap, () => now);
    try {
      await capped.increment('minute:veteran', 60_000, 60);
      await capped.increment('minute:veteran', 60_000, 60);
      for (let i = 0; i < 200_000; i++) {
        await capped.increment(`minute:flood-${i}`, 60_000, 60);
        if (capped.size > cap) throw new Error(`${capped.size} windows after ${i + 1} clients`);
      }
      expect(capped.size).toBe(cap);
      // the evicted client starts a fresh window: its earlier hits are forgotten
      expect((await capped.increment('minute:veteran', 60_000, 60)).totalHits).toBe(1);
      // the newest clients are still counted
      expect((await capped.increment('minute:flood-199999', 60_000, 60)).totalHits).toBe(2);
    } finally {
      capped.close();
    }
  });

  it('puts a client whose window restarts at the back of the eviction order', async () => {
    const capped = new MemoryThrottlerStorage(2, () => now);
    try {
      await capped.increment('minute:a', 1_000, 60);
      await capped.increment('minute:b', 60_000, 60);
      now += 1_000; // a's window ends; its next hit starts a new one, now the newest
      await capped.increment('minute:a', 60_000, 60);
      await capped.increment('minute:c', 60_000, 60); // evicts b, the oldest window
      expect((await capped.increment('minute:a', 60_000, 60)).totalHits).toBe(2);
      expect((await capped.increment('minute:b', 60_000, 60)).totalHits).toBe(1);
    } finally {
      capped.close();
    }
  });
});

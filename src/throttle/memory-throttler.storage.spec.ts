import { MemoryThrottlerStorage } from './memory-throttler.storage.js';

describe('MemoryThrottlerStorage', () => {
  let now = 1_000_000;
  const storage = new MemoryThrottlerStorage(() => now);
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
});

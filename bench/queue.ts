import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { DataSource } from 'typeorm';
import { AppModule } from '../src/app.module.js';
import { loadConfig } from '../src/config/app-config.js';
import { QueueService } from '../src/queue/queue.service.js';

/**
 * The queue phase of `npm run bench` (run in a process of its own on the bench database, with
 * the app's modules and the real QueueService): prints one JSON line.
 * - throughput: JOBS jobs, each sent in a transaction of its own, 10 transactions at a time;
 *   then how fast this process's workers complete them (a handler that does nothing, so the
 *   figure is the queue's own cost);
 * - the write's cost: WRITES transactions inserting one row, alternately with and without a
 *   `send` in them, and their p50/p99 side by side.
 */
const JOBS = Number(process.env.BENCH_QUEUE_JOBS ?? 2000);
const WRITES = Number(process.env.BENCH_QUEUE_WRITES ?? 400);
const QUEUE = 'bench.noop';

async function main(): Promise<void> {
  const config = loadConfig();
  const app = await NestFactory.createApplicationContext(AppModule.forRoot(config), {
    logger: ['error', 'warn'],
  });
  const queue = app.get(QueueService);
  const db = app.get(DataSource);
  let completed = 0;
  let lastCompletedAt = 0;
  await queue.register<{ i: number }>(QUEUE, () => {
    completed++;
    lastCompletedAt = performance.now();
    return Promise.resolve();
  });
  await db.query('CREATE TABLE IF NOT EXISTS bench_writes (id serial PRIMARY KEY, note text)');
  try {
    // the write's cost, first (nothing else queued meanwhile)
    const ms: Record<'without' | 'with', number[]> = { without: [], with: [] };
    for (let i = 0; i < WRITES; i++) {
      const withSend = i % 2 === 1;
      const started = performance.now();
      await db.transaction(async (m) => {
        await m.query('INSERT INTO bench_writes (note) VALUES ($1)', [`w${i}`]);
        if (withSend) await queue.send(m, QUEUE, { i: -1 });
      });
      ms[withSend ? 'with' : 'without'].push(performance.now() - started);
    }
    const at = (list: number[], q: number) => {
      const sorted = [...list].sort((a, b) => a - b);
      return Math.round(sorted[Math.floor(q * (sorted.length - 1))] * 100) / 100;
    };
    const writes = Object.fromEntries(
      Object.entries(ms).map(([k, v]) => [k, { p50: at(v, 0.5), p99: at(v, 0.99) }]),
    );
    const extra = WRITES / 2;
    const deadline = Date.now() + 60_000;
    while (completed < extra && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));

    // throughput
    completed = 0;
    const started = performance.now();
    let next = 0;
    const sender = async () => {
      while (next < JOBS) {
        const i = next++;
        await db.transaction((m) => queue.send(m, QUEUE, { i }));
      }
    };
    await Promise.all(Array.from({ length: 10 }, sender));
    const enqueuedIn = (performance.now() - started) / 1000;
    const until = Date.now() + 300_000;
    while (completed < JOBS && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
    const completedIn = (lastCompletedAt - started) / 1000;
    console.log(
      JSON.stringify({
        jobs: JOBS,
        enqueuedPerSecond: Math.round(JOBS / enqueuedIn),
        completed,
        completedPerSecond: Math.round(completed / completedIn),
        writes,
        p99Ratio: Math.round((writes.with.p99 / writes.without.p99) * 100) / 100,
      }),
    );
  } finally {
    await db.query('DROP TABLE IF EXISTS bench_writes');
    await app.close();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});

import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { DataSource } from 'typeorm';
import { AppModule } from '../src/app.module.js';
import { setupApp } from '../src/app.setup.js';
import { loadConfig } from '../src/config/app-config.js';
import { selectRows } from '../src/database/sql.js';
import { QueueService } from '../src/queue/queue.service.js';

/**
 * The queue phase of `npm run bench` (run in a process of its own on the bench database, with
 * the app's modules and the real QueueService): prints one JSON line.
 * - throughput: JOBS jobs, each sent in a transaction of its own, 10 transactions at a time;
 *   then how fast this process's workers complete them (a handler that does nothing, so the
 *   figure is the queue's own cost);
 * - the write's cost: WRITES transactions inserting one row, in alternating blocks of
 *   ROUTE_BLOCK with and without a `send` in them (a send's relay then slows its own side), and
 *   their p50/p99 side by side;
 * - the write route's cost: ROUTE_WRITES applications over HTTP (`POST /jobs/:id/applications`,
 *   whose transaction enqueues the owner's notice), in alternating blocks of ROUTE_BLOCK as they
 *   are and with the queue's `send` made a no-op (the route as it was before the queue), p50/p99
 *   side by side.
 * With BENCH_QUEUE_ROUTE_ONLY=true only the route is measured (run with WORKERS_ENABLED=false:
 * the enqueue's cost alone, the handlers elsewhere).
 */
const JOBS = Number(process.env.BENCH_QUEUE_JOBS ?? 2000);
const WRITES = Number(process.env.BENCH_QUEUE_WRITES ?? 1000);
const ROUTE_WRITES = Number(process.env.BENCH_QUEUE_ROUTE_WRITES ?? 10_000);
/** Samples per block of one side (see above). */
const ROUTE_BLOCK = 25;

type Split = Record<'without' | 'with', { p50: number; p99: number }>;

function split(ms: Record<'without' | 'with', number[]>): Split {
  const at = (list: number[], q: number) => {
    const sorted = [...list].sort((a, b) => a - b);
    return Math.round(sorted[Math.floor(q * (sorted.length - 1))] * 100) / 100;
  };
  return {
    without: { p50: at(ms.without, 0.5), p99: at(ms.without, 0.99) },
    with: { p50: at(ms.with, 0.5), p99: at(ms.with, 0.99) },
  };
}

/** The p99 with the send over the p99 without. */
const ratio = (s: Split) => Math.round((s.with.p99 / s.without.p99) * 100) / 100;

/**
 * Applications over HTTP, in alternating blocks with the notice's enqueue skipped: a verified employer
 * with one spa and `count` jobs, one seeker applying to each. Removes what it made afterwards.
 */
async function applicationRoute(
  app: NestExpressApplication,
  db: DataSource,
  queue: QueueService,
  count: number,
): Promise<Split> {
  await app.listen(0, '127.0.0.1');
  const base = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  const post = async <T>(path: string, body: object, token?: string): Promise<T> => {
    const res = await fetch(`${base}/api/v1${path}`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(token ? { authorization: `Bearer ${token}` } : {}),
      },
      body: JSON.stringify(body),
    });
    if (!res.ok) throw new Error(`POST ${path}: ${res.status} ${await res.text()}`);
    return (await res.json()) as T;
  };
  type Account = { user: { id: number }; accessToken: string };
  const stamp = Date.now();
  const password = 'bench-queue-password-42';
  const employer = await post<Account>('/auth/register', {
    email: `bench-employer-${stamp}@example.test`,
    password,
    fullName: 'Bench Employer',
    role: 'employer',
  });
  const seeker = await post<Account>('/auth/register', {
    email: `bench-seeker-${stamp}@example.test`,
    password,
    fullName: 'Bench Seeker',
  });
  const users = [employer.user.id, seeker.user.id];
  try {
    await db.query('UPDATE users SET email_verified_at = now() WHERE id = $1', [employer.user.id]);
    const [{ cityId, categoryId }] = await selectRows<{ cityId: number; categoryId: number }>(
      db,
      `SELECT (SELECT min(id) FROM cities) AS "cityId", (SELECT min(id) FROM job_categories) AS "categoryId"`,
    );
    const spa = await post<{ id: number }>(
      '/spas',
      { name: `Bench Spa ${stamp}`, cityId },
      employer.accessToken,
    );
    const jobs: number[] = [];
    for (let i = 0; i < count; i++) {
      const job = await post<{ id: number }>(
        '/jobs',
        {
          spaId: spa.id,
          categoryId,
          title: `Bench Therapist ${i}`,
          description: 'A job the queue benchmark posts, and removes afterwards.',
        },
        employer.accessToken,
      );
      jobs.push(job.id);
    }
    const send = queue.send.bind(queue);
    const ms: Record<'without' | 'with', number[]> = { without: [], with: [] };
    for (const [i, jobId] of jobs.entries()) {
      // in blocks, so that the relay and the handler a send starts (in this process, as by
      // default) slow the sends' own side rather than the next request without one
      const withSend = Math.floor(i / ROUTE_BLOCK) % 2 === 1;
      queue.send = withSend ? send : () => Promise.resolve('skipped');
      const started = performance.now();
      await post(`/jobs/${jobId}/applications`, { coverLetter: 'Hello' }, seeker.accessToken);
      ms[withSend ? 'with' : 'without'].push(performance.now() - started);
    }
    queue.send = send;
    return split(ms);
  } finally {
    await db.query('DELETE FROM applications WHERE applicant_id = $1', [seeker.user.id]);
    await db.query('DELETE FROM jobs WHERE spa_id IN (SELECT id FROM spas WHERE owner_id = $1)', [
      employer.user.id,
    ]);
    await db.query('DELETE FROM spas WHERE owner_id = $1', [employer.user.id]);
    await db.query('DELETE FROM users WHERE id = ANY($1)', [users]);
  }
}
const QUEUE = 'bench.noop';

async function main(): Promise<void> {
  const config = loadConfig();
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(config), {
    logger: ['error', 'warn'],
  });
  setupApp(app, config);
  // the modules' init hooks (the queue's relay among them) run before anything is sent
  await app.init();
  const queue = app.get(QueueService);
  const db = app.get(DataSource);
  let completed = 0;
  let lastCompletedAt = 0;
  await queue.register<{ i: number }>(QUEUE, () => {
    completed++;
    lastCompletedAt = performance.now();
    return Promise.resolve();
  });
  if (process.env.BENCH_QUEUE_ROUTE_ONLY === 'true') {
    try {
      const route = await applicationRoute(app, db, queue, ROUTE_WRITES);
      console.log(JSON.stringify({ route, routeP99Ratio: ratio(route) }));
    } finally {
      await app.close();
    }
    return;
  }
  await db.query('CREATE TABLE IF NOT EXISTS bench_writes (id serial PRIMARY KEY, note text)');
  try {
    // the write's cost, first (nothing else queued meanwhile)
    const ms: Record<'without' | 'with', number[]> = { without: [], with: [] };
    for (let i = 0; i < WRITES; i++) {
      const withSend = Math.floor(i / ROUTE_BLOCK) % 2 === 1;
      const started = performance.now();
      await db.transaction(async (m) => {
        await m.query('INSERT INTO bench_writes (note) VALUES ($1)', [`w${i}`]);
        if (withSend) await queue.send(m, QUEUE, { i: -1 });
      });
      ms[withSend ? 'with' : 'without'].push(performance.now() - started);
    }
    const writes = split(ms);
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
    const route = await applicationRoute(app, db, queue, ROUTE_WRITES);
    console.log(
      JSON.stringify({
        jobs: JOBS,
        enqueuedPerSecond: Math.round(JOBS / enqueuedIn),
        completed,
        completedPerSecond: Math.round(completed / completedIn),
        writes,
        p99Ratio: ratio(writes),
        route,
        routeP99Ratio: ratio(route),
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

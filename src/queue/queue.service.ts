import { randomUUID } from 'node:crypto';
import {
  Inject,
  Injectable,
  Logger,
  type BeforeApplicationShutdown,
  type OnModuleInit,
} from '@nestjs/common';
import { PgBoss, type Job, type JobResult, type Queue } from 'pg-boss';
import { DataSource, type EntityManager, type EntitySubscriberInterface } from 'typeorm';
import type { AppConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/config.module.js';
import { selectRows } from '../database/sql.js';
import { QUEUE_POOL_SIZE } from './queue.constants.js';
import { bossDb, inTransaction } from './queue-db.js';
import { QueueMetrics } from './queue.metrics.js';

/** Where every queue's jobs go after their last failed attempt (listed and retried by admins). */
export const DEAD_LETTER_QUEUE = 'dead-letters';
export const QUEUE_SCHEMA = 'pgboss';
/** A handler running longer than this is taken for dead and its job retried. */
const JOB_EXPIRE_SECONDS = 120;
/** Dead-lettered jobs wait this long for an admin before pg-boss deletes them. */
const DEAD_LETTER_RETENTION_SECONDS = 90 * 86_400;
/** Outbox rows relayed into pg-boss per transaction. */
const RELAY_BATCH = 500;
/**
 * Every process also looks for outbox rows this often: rows whose sender stopped between its
 * commit and its relay, or that another process's relay left after a failure.
 */
const RELAY_SWEEP_MS = 1000;
/**
 * A commit that sent wakes the relay this much later, so that a burst of commits shares one
 * relay transaction (one per commit doubled the work of back-to-back small writes)...
 */
const RELAY_DELAY_MS = 10;
/**
 * ...and no sooner than this after a commit last woke it: under a steady stream of writes one
 * relay moves them all every quarter second instead of one relay per write (bench/README.md,
 * "Fifth pass": the application route's median +3.2 → +0.45 ms on the embedded database).
 */
const RELAY_MIN_GAP_MS = 250;
/** Marks a query runner whose transaction sent a job: its commit wakes the relay. */
const SENT = 'spajobs.queue.sent';

type QueueOptions = Omit<Queue, 'name' | 'policy' | 'partition'>;

/** Handles one job; throwing fails the attempt (retried with backoff, then dead-lettered). */
export type JobHandler<T> = (data: T, job: { id: string; retryCount: number }) => Promise<void>;

/**
 * The durable queue: pg-boss on the app's database (PGlite or PostgreSQL). A job is sent as a
 * plain `queue_outbox` row in the transaction of the write that causes it (pg-boss's own insert
 * cost a write ~1–2 ms more: see bench/README.md), and relayed into pg-boss as soon as that
 * transaction commits, by a transaction that deletes the rows and inserts their jobs together.
 * Every process sends and relays; with WORKERS_ENABLED it also runs the handlers and pg-boss's
 * maintenance.
 */
@Injectable()
export class QueueService implements OnModuleInit, BeforeApplicationShutdown {
  private readonly logger = new Logger(QueueService.name);
  private readonly boss: PgBoss;
  private started?: Promise<void>;
  /** The relay running now, and whether a commit asked for one more pass meanwhile. */
  private relaying?: Promise<void>;
  private relayAgain = false;
  /** When a commit last woke the relay (Date.now()). */
  private wokenAt = 0;
  /** The queues this process has declared (and pg-boss has cached). */
  private readonly declared = new Set<string>();
  private sweep?: NodeJS.Timeout;
  private wakeUp?: NodeJS.Timeout;
  /** Whether the last relay failed (logged once per outage, not once a second). */
  private relayFailing = false;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly dataSource: DataSource,
    private readonly metrics: QueueMetrics,
  ) {
    const workers = config.queue.workersEnabled;
    // the primary's URL (the embedded server's, for PGlite): jobs are never read from a replica
    const url = (dataSource.options as { url?: string }).url;
    if (!url) throw new Error('The queue needs the primary database URL of the data source');
    this.boss = new PgBoss({
      connectionString: url,
      schema: QUEUE_SCHEMA,
      max: QUEUE_POOL_SIZE,
      application_name: 'spajobs-queue',
      // web processes without workers leave maintenance and schedules to the worker processes
      supervise: workers,
      schedule: workers,
      openTelemetry: { enabled: false },
    });
    this.boss.on('error', (err: Error) => this.logger.error(`queue: ${err.message}`));
    this.boss.on('warning', (w: { message: string }) => this.logger.warn(`queue: ${w.message}`));
  }

  get workersEnabled(): boolean {
    return this.config.queue.workersEnabled;
  }

  async onModuleInit(): Promise<void> {
    await this.ready();
    this.metrics.depthReader = () => this.depth();
    this.dataSource.subscribers.push(this.relayOnCommit);
    this.sweep = setInterval(() => void this.relay(), RELAY_SWEEP_MS).unref();
    await this.relay();
  }

  /** Wakes the relay when a transaction that sent a job has committed (not at a savepoint). */
  private readonly relayOnCommit: EntitySubscriberInterface = {
    afterTransactionCommit: ({ queryRunner }) => {
      if (queryRunner.isTransactionActive || !queryRunner.data[SENT]) return;
      queryRunner.data[SENT] = false;
      this.wakeUp ??= setTimeout(
        () => {
          this.wakeUp = undefined;
          this.wokenAt = Date.now();
          void this.relay();
        },
        Math.max(RELAY_DELAY_MS, this.wokenAt + RELAY_MIN_GAP_MS - Date.now()),
      );
    },
    afterTransactionRollback: ({ queryRunner }) => {
      if (!queryRunner.isTransactionActive) queryRunner.data[SENT] = false;
    },
  };

  /** Starts pg-boss once (installing or upgrading its schema under its own advisory lock). */
  private ready(): Promise<void> {
    this.started ??= (async () => {
      await this.boss.start();
      await this.ensureQueue(DEAD_LETTER_QUEUE, {
        retryLimit: 0,
        retentionSeconds: DEAD_LETTER_RETENTION_SECONDS,
      });
    })();
    return this.started;
  }

  /**
   * Declares a queue and, with workers enabled, runs `handler` on its jobs: batches of
   * QUEUE_BATCH_SIZE, fetched again at once while batches come back full, each job settled on
   * its own (one failure retries that job only).
   */
  async register<T extends object>(name: string, handler: JobHandler<T>): Promise<void> {
    await this.ready();
    const { retryLimit, retryDelaySeconds, retryDelayMaxSeconds } = this.config.queue;
    await this.ensureQueue(name, {
      retryLimit,
      retryDelay: retryDelaySeconds,
      retryBackoff: true,
      retryDelayMax: retryDelayMaxSeconds,
      expireInSeconds: JOB_EXPIRE_SECONDS,
      deadLetter: DEAD_LETTER_QUEUE,
    });
    if (!this.workersEnabled) return;
    await this.boss.work<T>(
      name,
      {
        batchSize: this.config.queue.batchSize,
        perJobResults: true,
        burstWhenBatchFull: true,
        pollingIntervalSeconds: this.config.queue.pollIntervalSeconds,
      },
      (jobs) => Promise.all(jobs.map((job) => this.run(name, job, handler))),
    );
  }

  /**
   * Scheduled work (expiry, digests): `handler` runs on `cron` (UTC), once per occurrence across
   * every instance (pg-boss writes one job per occurrence; one worker takes it). Occurrences missed
   * while nothing ran are caught up once. Handlers scan for what is due, so a late or extra run
   * does no harm.
   */
  async schedule(name: string, cron: string, handler: JobHandler<object>): Promise<void> {
    await this.register(name, handler);
    if (this.workersEnabled)
      await this.boss.schedule(name, cron, {}, { tz: 'UTC', missed: 'once' });
  }

  /**
   * Enqueues a job in the caller's transaction: it exists only if that transaction commits.
   * Returns the id the job has in pg-boss once relayed.
   */
  async send(manager: EntityManager, name: string, data: object): Promise<string> {
    const runner = inTransaction(manager);
    const id = randomUUID();
    await runner.query('INSERT INTO queue_outbox (job_id, name, data) VALUES ($1, $2, $3)', [
      id,
      name,
      data,
    ]);
    runner.data[SENT] = true;
    return id;
  }

  /**
   * Moves committed outbox rows into pg-boss until none is left. One pass at a time per process
   * (a commit meanwhile asks for one more); several processes share the rows (SKIP LOCKED). A
   * failed pass leaves its rows in the outbox for the next one.
   */
  relay(): Promise<void> {
    if (this.relaying) {
      this.relayAgain = true;
      return this.relaying;
    }
    this.relaying = (async () => {
      try {
        await this.ready();
        do {
          this.relayAgain = false;
          while ((await this.relayBatch()) === RELAY_BATCH);
        } while (this.relayAgain);
        if (this.relayFailing) this.logger.log('queue: the relay works again');
        this.relayFailing = false;
      } catch (err) {
        if (!this.relayFailing)
          this.logger.warn(`queue: relay failed, retried every second: ${(err as Error).message}`);
        this.relayFailing = true;
      } finally {
        this.relaying = undefined;
      }
    })();
    return this.relaying;
  }

  private relayBatch(): Promise<number> {
    return this.dataSource.transaction(async (manager) => {
      // only queues declared here, which pg-boss knows without a query of its own: that query
      // would take another connection while this transaction holds the embedded database's session
      const rows = await selectRows<{ id: string; name: string; data: object }>(
        manager,
        `DELETE FROM queue_outbox
          WHERE id IN (SELECT id FROM queue_outbox WHERE name = ANY($2::text[])
                        ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED)
          RETURNING job_id AS id, name, data`,
        [RELAY_BATCH, [...this.declared]],
      );
      const byQueue = new Map<string, { id: string; data: object }[]>();
      for (const { name, id, data } of rows) {
        const jobs = byQueue.get(name) ?? byQueue.set(name, []).get(name)!;
        jobs.push({ id, data });
      }
      const db = bossDb(inTransaction(manager));
      for (const [name, jobs] of byQueue) await this.boss.insert(name, jobs, { db });
      return rows.length;
    });
  }

  /** Moves dead-lettered jobs back to the queue they failed on; returns how many moved. */
  retryDeadLetters(ids: string[]): Promise<number> {
    return this.boss.redrive(DEAD_LETTER_QUEUE, { ids });
  }

  /**
   * Jobs per queue that wait, run or are dead-lettered (the DLQ's jobs wait in `created`; so do
   * the outbox's rows not relayed yet).
   */
  async depth(): Promise<{ queue: string; state: string; count: number }[]> {
    return selectRows(
      this.dataSource,
      `SELECT queue, state, sum(n)::int AS count FROM (
         SELECT name AS queue, state::text AS state, count(*) AS n
           FROM ${QUEUE_SCHEMA}.job
          WHERE state IN ('created', 'retry', 'active')
          GROUP BY name, state
         UNION ALL
         SELECT name, 'created', count(*) FROM queue_outbox GROUP BY name
       ) AS d
       GROUP BY queue, state`,
    );
  }

  async beforeApplicationShutdown(): Promise<void> {
    clearInterval(this.sweep);
    clearTimeout(this.wakeUp);
    if (!this.started) return;
    await this.relay();
    // running handlers finish (or are retried by another worker after JOB_EXPIRE_SECONDS)
    await this.started.catch(() => undefined);
    await this.boss.stop({ graceful: true, timeout: 10_000, close: true });
  }

  private async run<T>(name: string, job: Job<T>, handler: JobHandler<T>): Promise<JobResult> {
    const end = this.metrics.duration.startTimer({ queue: name });
    try {
      await handler(job.data, { id: job.id, retryCount: job.retryCount });
      end({ result: 'completed' });
      return { id: job.id, status: 'completed' };
    } catch (err) {
      end({ result: 'failed' });
      this.metrics.failures.inc({ queue: name });
      const message = err instanceof Error ? err.message : String(err);
      const last = job.retryCount >= this.config.queue.retryLimit;
      if (last) this.metrics.deadLettered.inc({ queue: name });
      this.logger.warn(
        `queue ${name}: job ${job.id} failed (attempt ${job.retryCount + 1}${last ? ', dead-lettered' : ', will retry'}): ${message}`,
      );
      return { id: job.id, status: 'failed', output: { message } };
    }
  }

  /** createQueue does not change an existing queue: the options are applied again every boot. */
  private async ensureQueue(name: string, options: QueueOptions): Promise<void> {
    if (!(await this.boss.getQueue(name))) await this.boss.createQueue(name, options);
    else await this.boss.updateQueue(name, options);
    this.declared.add(name);
  }
}

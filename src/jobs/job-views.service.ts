import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { AppConfig } from '../config/app-config.js';
import type { IdOrSlug } from '../common/id.pipe.js';
import { APP_CONFIG } from '../config/config.module.js';

/**
 * Counts job views without a row write per view: views accumulate in memory and are added in
 * one UPDATE per flush (timer and graceful shutdown). Increments are relative, so any number of
 * processes and servers can flush independently; a failed flush keeps its counts for the next.
 * A process killed without a graceful shutdown loses at most one interval of views.
 * Views are recorded by the id or slug the client asked for (a cached response has no row to
 * look at); the flush resolves slugs.
 */
@Injectable()
export class JobViewsService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(JobViewsService.name);
  /** Views by job id (digits) or slug. */
  private pending = new Map<string, number>();
  private timer?: NodeJS.Timeout;
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  record(ref: IdOrSlug): void {
    const key = ref.id !== undefined ? String(ref.id) : ref.slug;
    this.pending.set(key, (this.pending.get(key) ?? 0) + 1);
  }

  get pendingViews(): number {
    let total = 0;
    for (const n of this.pending.values()) total += n;
    return total;
  }

  /** Writes every pending view; flushes never overlap. */
  flush(): Promise<void> {
    this.flushing = this.flushing.then(() => this.write());
    return this.flushing;
  }

  private async write(): Promise<void> {
    if (this.pending.size === 0) return;
    const batch = this.pending;
    this.pending = new Map();
    try {
      await this.dataSource.query(
        `WITH x AS (SELECT * FROM unnest($1::text[], $2::int[]) AS x(ref, n)),
              v AS (SELECT x.ref::int AS id, x.n FROM x WHERE x.ref ~ '^[0-9]+$'
                    UNION ALL
                    SELECT j.id, x.n FROM x JOIN jobs j ON j.slug = x.ref)
         UPDATE jobs SET view_count = view_count + s.n
         FROM (SELECT id, sum(n)::int AS n FROM v GROUP BY id) AS s
         WHERE jobs.id = s.id`,
        [[...batch.keys()], [...batch.values()]],
      );
    } catch (err) {
      for (const [id, n] of batch) this.pending.set(id, (this.pending.get(id) ?? 0) + n);
      this.logger.warn(
        `View flush failed, ${batch.size} jobs kept for the next one: ${(err as Error).message}`,
      );
    }
  }

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => void this.flush(), this.config.views.flushIntervalMs);
    this.timer.unref();
  }

  /** Runs after the HTTP server closed, before the database connections are closed. */
  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
    if (this.pending.size > 0)
      this.logger.error(`${this.pendingViews} views could not be saved at shutdown`);
  }
}

import { Injectable, type OnModuleInit } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { CacheService } from '../cache/cache.service.js';
import { selectRows } from '../database/sql.js';
import { QueueService } from '../queue/queue.service.js';

export const JOB_EXPIRY_SCAN = 'jobs.expiry-scan';
/** Every minute: an expired job leaves cached lists and details within a minute of expiring. */
const EVERY_MINUTE = '* * * * *';
/** Jobs dealt with per scan at most (one invalidation covers them all; the rest wait a minute). */
const SCAN_LIMIT = 5000;

/**
 * Expired jobs leave the HTTP cache when they expire, not a cache TTL later. Reads already hide
 * them (`JOB_OPEN` compares `expires_at` with now()); what they were cached in is made stale
 * here: each scan finds the jobs whose expiry passed since the last one (not yet marked in
 * `expiry_processed_at`), invalidates the `jobs` tag everywhere, then marks them. A crash in
 * between only invalidates once more on the next scan.
 */
@Injectable()
export class JobExpiryService implements OnModuleInit {
  constructor(
    private readonly dataSource: DataSource,
    private readonly cache: CacheService,
    private readonly queue: QueueService,
  ) {}

  onModuleInit(): Promise<void> {
    return this.queue.schedule(JOB_EXPIRY_SCAN, EVERY_MINUTE, async () => {
      await this.expireDue();
    });
  }

  /** Invalidates what the jobs expired since the last scan were cached in; returns their ids. */
  async expireDue(): Promise<number[]> {
    const due = await selectRows<{ id: number }>(
      this.dataSource,
      `SELECT id FROM jobs
        WHERE expiry_processed_at IS NULL AND expires_at <= now()
        ORDER BY expires_at LIMIT $1`,
      [SCAN_LIMIT],
    );
    if (due.length === 0) return [];
    const ids = due.map((r) => r.id);
    await this.cache.invalidate('jobs');
    // a job renewed meanwhile has a new expiry (and no mark): left for its own expiry
    await this.dataSource.query(
      `UPDATE jobs SET expiry_processed_at = now()
        WHERE id = ANY($1::int[]) AND expiry_processed_at IS NULL AND expires_at <= now()`,
      [ids],
    );
    return ids;
  }
}

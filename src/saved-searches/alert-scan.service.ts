import { Injectable, type OnModuleInit } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { selectRows } from '../database/sql.js';
import { JobsSearchService } from '../jobs/jobs-search.service.js';
import { QueueService } from '../queue/queue.service.js';
import {
  ALERT_SCAN,
  ALERT_SCAN_CRON,
  DIGEST_MAIL,
  DIGEST_RUN,
  DIGEST_RUN_CRON,
  INSTANT_ALERT,
  type DigestMailJob,
  type InstantAlertJob,
} from './alert-queues.js';
import { matchingJobsQuery } from './matching-jobs.js';
import type { AlertFrequency, SavedFilters } from './saved-search.entity.js';

/**
 * Jobs claimed per transaction. Each batch runs one query per distinct filter set and holds its
 * claims until it commits (on PGlite, the one session), so batches stay small; a run takes up to
 * SCAN_MAX_BATCHES of them and leaves the rest to the next minute.
 */
const SCAN_BATCH = 100;
const SCAN_MAX_BATCHES = 20;

/**
 * Whose searches are alerted: active job seekers with a verified address (an unverified one may
 * be someone else's, who never asked for these mails).
 */
const ALERTED = `ss.frequency <> 'off' AND u.is_active AND u.role = 'job_seeker'
  AND u.email_verified_at IS NOT NULL`;

interface SearchGroup {
  filters: SavedFilters;
  frequency: Exclude<AlertFrequency, 'off'>;
  ids: number[];
}

export interface ScanResult {
  /** Jobs this run claimed (saw open for the first time). */
  jobs: number;
  /** (search, job) alerts it wrote: instant ones enqueued, daily ones waiting for the digest. */
  alerts: number;
}

/**
 * Finds the new matches of saved searches and records each (search, job) once.
 *
 * Every minute the scan claims the open jobs no scan has seen yet (`saved_search_seen_jobs`),
 * matches them against each distinct set of saved filters with the `GET /jobs` query itself, and
 * in the same transaction writes the (search, job) pairs with INSERT … ON CONFLICT DO NOTHING
 * RETURNING and enqueues one mail for each pair it wrote of an instant search. A job is claimed
 * by one transaction only, and a pair can be written once only, so scans that overlap — two
 * instances, a late cron run, a test calling `scan()` — alert each pair exactly once.
 */
@Injectable()
export class AlertScanService implements OnModuleInit {
  constructor(
    private readonly dataSource: DataSource,
    private readonly search: JobsSearchService,
    private readonly queue: QueueService,
  ) {}

  async onModuleInit(): Promise<void> {
    await this.queue.schedule(ALERT_SCAN, ALERT_SCAN_CRON, async () => {
      await this.scan();
    });
    await this.queue.schedule(DIGEST_RUN, DIGEST_RUN_CRON, async () => {
      await this.digest();
    });
  }

  async scan(): Promise<ScanResult> {
    const total: ScanResult = { jobs: 0, alerts: 0 };
    for (let i = 0; i < SCAN_MAX_BATCHES; i++) {
      const batch = await this.dataSource.transaction((em) => this.scanBatch(em));
      total.jobs += batch.claimed;
      total.alerts += batch.alerts;
      if (!batch.more) break;
    }
    return total;
  }

  /**
   * Gives each daily search with waiting alerts one digest: its waiting alerts take a new digest
   * id, and the digest's mail is enqueued, in one transaction. A concurrent run's UPDATE finds
   * those alerts taken and enqueues nothing. Returns the digests enqueued.
   */
  async digest(): Promise<number> {
    const due = await selectRows<{ id: number }>(
      this.dataSource,
      `SELECT DISTINCT a.search_id AS id
         FROM saved_search_alerts a
         JOIN saved_searches ss ON ss.id = a.search_id
         JOIN users u ON u.id = ss.user_id
        WHERE a.delivery = 'daily' AND a.digest_id IS NULL AND ${ALERTED}
        ORDER BY a.search_id`,
    );
    let enqueued = 0;
    for (const { id } of due) {
      if (await this.dataSource.transaction((em) => this.digestOne(em, id))) enqueued++;
    }
    return enqueued;
  }

  private async scanBatch(
    em: EntityManager,
  ): Promise<{ claimed: number; alerts: number; more: boolean }> {
    const [sql, params] = this.search
      .listQuery({ limit: SCAN_BATCH })
      .andWhere('NOT EXISTS (SELECT 1 FROM saved_search_seen_jobs seen WHERE seen.job_id = j.id)')
      .getQueryAndParameters();
    const candidates = (await selectRows<{ id: number }>(em, sql, params)).map((r) => r.id);
    if (candidates.length === 0) return { claimed: 0, alerts: 0, more: false };
    // a job another scan claimed and has not committed yet makes this insert wait, then skip it
    const claimed = (
      await selectRows<{ job_id: number }>(
        em,
        `INSERT INTO saved_search_seen_jobs (job_id)
         SELECT id FROM unnest($1::int[]) AS id ORDER BY id
         ON CONFLICT ON CONSTRAINT pk_saved_search_seen_jobs DO NOTHING
         RETURNING job_id`,
        [candidates],
      )
    ).map((r) => r.job_id);
    const more = candidates.length > SCAN_BATCH;
    if (claimed.length === 0) return { claimed: 0, alerts: 0, more };

    const groups = await selectRows<SearchGroup>(
      em,
      `SELECT ss.filters, ss.frequency, array_agg(ss.id ORDER BY ss.id) AS ids
         FROM saved_searches ss
         JOIN users u ON u.id = ss.user_id
        WHERE ${ALERTED}
        GROUP BY ss.filters, ss.frequency`,
      [],
    );
    let alerts = 0;
    for (const group of groups) {
      const [matchSql, matchParams] = matchingJobsQuery(this.search, group.filters, claimed);
      const matched = (await selectRows<{ id: number }>(em, matchSql, matchParams)).map(
        (r) => r.id,
      );
      if (matched.length === 0) continue;
      const written = await selectRows<{ search_id: number; job_id: number }>(
        em,
        `INSERT INTO saved_search_alerts (search_id, job_id, delivery)
         SELECT s, j, $3 FROM unnest($1::int[]) AS s, unnest($2::int[]) AS j ORDER BY s, j
         ON CONFLICT ON CONSTRAINT pk_saved_search_alerts DO NOTHING
         RETURNING search_id, job_id`,
        [group.ids, matched, group.frequency],
      );
      alerts += written.length;
      if (group.frequency !== 'instant') continue;
      for (const row of written) {
        const job: InstantAlertJob = { searchId: row.search_id, jobId: row.job_id };
        await this.queue.send(em, INSTANT_ALERT, job);
      }
    }
    return { claimed: claimed.length, alerts, more };
  }

  private async digestOne(em: EntityManager, searchId: number): Promise<boolean> {
    const [{ id: digestId }] = await selectRows<{ id: string }>(
      em,
      `SELECT nextval('saved_search_digest_ids')::text AS id`,
      [],
    );
    const taken = await selectRows<{ job_id: number }>(
      em,
      `UPDATE saved_search_alerts SET digest_id = $1
        WHERE search_id = $2 AND delivery = 'daily' AND digest_id IS NULL
        RETURNING job_id`,
      [digestId, searchId],
    );
    if (taken.length === 0) return false;
    await em.query(`UPDATE saved_searches SET last_digest_at = now() WHERE id = $1`, [searchId]);
    const job: DigestMailJob = { searchId, digestId };
    await this.queue.send(em, DIGEST_MAIL, job);
    return true;
  }
}

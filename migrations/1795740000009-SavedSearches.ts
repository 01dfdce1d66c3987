import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Saved searches and their alerts.
 *
 * - `saved_searches`: a job seeker's `GET /jobs` filters (jsonb, as the jobs DTO validated them),
 *   a name, and how new matches are mailed.
 * - `saved_search_seen_jobs`: every job the alert scan has matched once, the first time it saw
 *   it open. It is the scan's watermark, kept per job rather than as one timestamp: a job can
 *   become public long after its `created_at` (reopened, its spa restored, its employer
 *   verified) and transactions commit out of `created_at` order, so "not seen yet" finds exactly
 *   the jobs no scan has dealt with. A scan claims a job by inserting its row; a concurrent scan's
 *   insert of the same row waits for the first to commit, then does nothing.
 * - `saved_search_alerts`: one row per (search, job) ever alerted, written in the transaction
 *   that enqueues the mail (its primary key makes a second alert of a pair impossible). Daily
 *   rows wait with `digest_id` NULL until a digest takes them.
 */
export class SavedSearches1795740000009 implements MigrationInterface {
  name = 'SavedSearches1795740000009';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE saved_searches (
        id             serial       NOT NULL,
        user_id        integer      NOT NULL,
        name           varchar(100) NOT NULL,
        filters        jsonb        NOT NULL DEFAULT '{}',
        frequency      varchar(8)   NOT NULL DEFAULT 'instant',
        last_digest_at timestamptz,
        created_at     timestamptz  NOT NULL DEFAULT now(),
        updated_at     timestamptz  NOT NULL DEFAULT now(),
        CONSTRAINT pk_saved_searches PRIMARY KEY (id),
        CONSTRAINT fk_saved_searches_user_id FOREIGN KEY (user_id)
          REFERENCES users (id) ON DELETE CASCADE,
        CONSTRAINT ck_saved_searches_frequency CHECK (frequency IN ('instant', 'daily', 'off')),
        CONSTRAINT ck_saved_searches_filters CHECK (jsonb_typeof(filters) = 'object')
      )`);
    // the owner's list, newest first (keyset), and the per-user count
    await q.query(
      `CREATE INDEX idx_saved_searches_user_id ON saved_searches (user_id, created_at, id)`,
    );
    await q.query(`
      CREATE TABLE saved_search_seen_jobs (
        job_id  integer     NOT NULL,
        seen_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT pk_saved_search_seen_jobs PRIMARY KEY (job_id),
        CONSTRAINT fk_saved_search_seen_jobs_job_id FOREIGN KEY (job_id)
          REFERENCES jobs (id) ON DELETE CASCADE
      )`);
    await q.query(`CREATE SEQUENCE saved_search_digest_ids AS bigint`);
    await q.query(`
      CREATE TABLE saved_search_alerts (
        search_id  integer     NOT NULL,
        job_id     integer     NOT NULL,
        delivery   varchar(8)  NOT NULL,
        digest_id  bigint,
        created_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT pk_saved_search_alerts PRIMARY KEY (search_id, job_id),
        CONSTRAINT fk_saved_search_alerts_search_id FOREIGN KEY (search_id)
          REFERENCES saved_searches (id) ON DELETE CASCADE,
        CONSTRAINT fk_saved_search_alerts_job_id FOREIGN KEY (job_id)
          REFERENCES jobs (id) ON DELETE CASCADE,
        CONSTRAINT ck_saved_search_alerts_delivery CHECK (delivery IN ('instant', 'daily'))
      )`);
    await q.query(`CREATE INDEX idx_saved_search_alerts_job_id ON saved_search_alerts (job_id)`);
    // what the next daily digests take
    await q.query(
      `CREATE INDEX idx_saved_search_alerts_pending ON saved_search_alerts (search_id)
        WHERE delivery = 'daily' AND digest_id IS NULL`,
    );
    await q.query(
      `CREATE INDEX idx_saved_search_alerts_digest_id ON saved_search_alerts (digest_id)
        WHERE digest_id IS NOT NULL`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS saved_search_alerts`);
    await q.query(`DROP SEQUENCE IF EXISTS saved_search_digest_ids`);
    await q.query(`DROP TABLE IF EXISTS saved_search_seen_jobs`);
    await q.query(`DROP TABLE IF EXISTS saved_searches`);
  }
}

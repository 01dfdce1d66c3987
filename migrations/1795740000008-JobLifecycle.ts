import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Jobs expire: every job gets an expiry (JOB_TTL_DAYS from its posting; the jobs that had none
 * get 30 days from now, so the demo and bench datasets are not expired at once), and the
 * scheduled expiry scan marks each job it has dealt with (`expiry_processed_at`) so that it
 * finds only the jobs that expired since its last run, through a partial index of the unmarked.
 *
 * `notice_preferences`: what each user wants to be mailed (no row: everything on, applications
 * one mail each). `digest_until` is where the next daily digest of applications starts.
 */
export class JobLifecycle1795740000008 implements MigrationInterface {
  name = 'JobLifecycle1795740000008';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `UPDATE jobs SET expires_at = now() + interval '30 days' WHERE expires_at IS NULL`,
    );
    await q.query(`ALTER TABLE jobs ADD COLUMN expiry_processed_at timestamptz`);
    // what already expired needs no invalidation: nothing cached it as open
    await q.query(`UPDATE jobs SET expiry_processed_at = now() WHERE expires_at <= now()`);
    await q.query(
      `CREATE INDEX idx_jobs_expiry_due ON jobs (expires_at) WHERE expiry_processed_at IS NULL`,
    );

    await q.query(`
      CREATE TABLE notice_preferences (
        user_id        integer     NOT NULL,
        applications   varchar(8)  NOT NULL DEFAULT 'instant',
        status_changes boolean     NOT NULL DEFAULT true,
        withdrawals    boolean     NOT NULL DEFAULT true,
        job_expiring   boolean     NOT NULL DEFAULT true,
        digest_until   timestamptz,
        updated_at     timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT pk_notice_preferences PRIMARY KEY (user_id),
        CONSTRAINT fk_notice_preferences_user_id FOREIGN KEY (user_id)
          REFERENCES users (id) ON DELETE CASCADE,
        CONSTRAINT ck_notice_preferences_applications
          CHECK (applications IN ('instant', 'daily', 'off'))
      )`);
    await q.query(
      `CREATE INDEX idx_notice_preferences_daily ON notice_preferences (user_id)
        WHERE applications = 'daily'`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS notice_preferences`);
    await q.query(`DROP INDEX IF EXISTS idx_jobs_expiry_due`);
    await q.query(`ALTER TABLE jobs DROP COLUMN IF EXISTS expiry_processed_at`);
  }
}

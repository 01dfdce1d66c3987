import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Reference data can be retired (kept for the spas and jobs that point at it, gone from the
 * public lists and from new spas and jobs), and uploads are counted per account and UTC day.
 */
export class RetireReferenceDataAndUploadQuota1795740000004 implements MigrationInterface {
  name = 'RetireReferenceDataAndUploadQuota1795740000004';

  async up(q: QueryRunner): Promise<void> {
    for (const table of ['states', 'cities', 'job_categories']) {
      await q.query(`ALTER TABLE ${table} ADD COLUMN is_active boolean NOT NULL DEFAULT true`);
    }
    // one row per account and day; the conditional upsert on it is the quota's only check
    await q.query(`
      CREATE TABLE upload_usage (
        user_id integer NOT NULL,
        day     date    NOT NULL,
        bytes   bigint  NOT NULL DEFAULT 0,
        files   integer NOT NULL DEFAULT 0,
        CONSTRAINT pk_upload_usage PRIMARY KEY (user_id, day),
        CONSTRAINT fk_upload_usage_user_id FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE,
        CONSTRAINT ck_upload_usage_counts CHECK (bytes >= 0 AND files >= 0)
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS upload_usage`);
    for (const table of ['states', 'cities', 'job_categories']) {
      await q.query(`ALTER TABLE ${table} DROP COLUMN IF EXISTS is_active`);
    }
  }
}

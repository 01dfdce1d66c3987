import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * One row per notice mailed (its key names the kind and the row it is about), so a retried job
 * sends nothing twice. The queue's own tables (schema `pgboss`) are installed and upgraded by
 * pg-boss at start, under its advisory lock.
 */
export class SentNotices1795740000006 implements MigrationInterface {
  name = 'SentNotices1795740000006';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE sent_notices (
        notice_key   varchar(200) NOT NULL,
        kind         varchar(40)  NOT NULL,
        message_id   varchar(255) NOT NULL,
        queue_job_id uuid,
        sent_at      timestamptz  NOT NULL DEFAULT now(),
        CONSTRAINT pk_sent_notices PRIMARY KEY (notice_key)
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS sent_notices`);
  }
}

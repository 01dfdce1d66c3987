import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The queue's outbox: a job sent inside a write's transaction is one plain row here (cheap to
 * write, committed or rolled back with the write), which the QueueService relays into pg-boss
 * right after the commit, in a transaction that deletes the row and inserts the job together
 * (so each row becomes exactly one job). `job_id` is the pg-boss job's id, fixed when it is sent.
 */
export class QueueOutbox1795740000011 implements MigrationInterface {
  name = 'QueueOutbox1795740000011';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE queue_outbox (
        id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        job_id     uuid           NOT NULL,
        name       text           NOT NULL,
        data       jsonb          NOT NULL,
        created_at timestamptz(3) NOT NULL DEFAULT now()
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS queue_outbox`);
  }
}

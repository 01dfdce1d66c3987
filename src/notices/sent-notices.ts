import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { selectRows } from '../database/sql.js';

/**
 * The notices already mailed, one row per notice key (`uq` by the primary key). A handler checks
 * it before sending and records the send right after, so a retried or re-driven job finds it
 * and sends nothing. (Between the send and the record a crash can still cause one resend,
 * with the same Message-ID: SMTP cannot take part in a database transaction.)
 */
@Injectable()
export class SentNotices {
  constructor(private readonly dataSource: DataSource) {}

  async has(key: string): Promise<boolean> {
    const rows = await selectRows(
      this.dataSource,
      'SELECT 1 FROM sent_notices WHERE notice_key = $1',
      [key],
    );
    return rows.length > 0;
  }

  /** `queueJobId`: the queue job that sent it (null when a scan was run by hand). */
  async record(
    key: string,
    kind: string,
    messageId: string,
    queueJobId: string | null,
  ): Promise<void> {
    await this.dataSource.query(
      `INSERT INTO sent_notices (notice_key, kind, message_id, queue_job_id)
       VALUES ($1, $2, $3, $4)
       ON CONFLICT ON CONSTRAINT pk_sent_notices DO NOTHING`,
      [key, kind, messageId, queueJobId],
    );
  }
}

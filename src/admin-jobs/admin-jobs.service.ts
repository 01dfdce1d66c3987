import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { CursorCodec } from '../common/cursor.js';
import { AppError } from '../common/error-codes.js';
import { paginate, type Keyset } from '../common/keyset.js';
import type { Page } from '../common/page.js';
import { selectRows } from '../database/sql.js';
import { DEAD_LETTER_QUEUE, QUEUE_SCHEMA, QueueService } from '../queue/queue.service.js';
import type { FailedJobDto, ListFailedJobsQueryDto, RetriedJobDto } from './dto/failed-job.dto.js';

interface Row {
  id: string;
  queue: string;
  originalId: string;
  data: Record<string, unknown> | null;
  retries: number | null;
  output: { message?: unknown } | null;
  enqueuedAt: Date;
  failedAt: Date;
  /** created_on to the millisecond, as the cursor carries it. */
  failedAtMs: string;
}

// pg-boss stamps microseconds; the cursor keeps milliseconds, so the key is truncated to match
const NEWEST: Keyset<Row> = {
  name: 'dead-letters',
  dir: 'DESC',
  keys: [
    {
      column: "date_trunc('milliseconds', j.created_on)",
      type: 'date',
      of: (r) => new Date(r.failedAtMs).toISOString(),
    },
    { column: 'CAST(j.id AS text)', type: 'string', of: (r) => r.id },
  ],
};

/** The dead-letter queue, for admins: what failed for good, and a way to try it again. */
@Injectable()
export class AdminJobsService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly queue: QueueService,
    private readonly cursors: CursorCodec,
  ) {}

  list(query: ListFailedJobsQueryDto): Promise<Page<FailedJobDto>> {
    const qb = this.dataSource
      .createQueryBuilder()
      .select('CAST(j.id AS text)', 'id')
      .addSelect('j.source_name', 'queue')
      .addSelect('CAST(j.source_id AS text)', 'originalId')
      .addSelect('j.data', 'data')
      .addSelect('j.source_retry_count', 'retries')
      .addSelect('j.source_output', 'output')
      .addSelect('coalesce(j.source_created_on, j.created_on)', 'enqueuedAt')
      .addSelect('j.created_on', 'failedAt')
      .addSelect("date_trunc('milliseconds', j.created_on)", 'failedAtMs')
      .from(`${QUEUE_SCHEMA}.job`, 'j')
      .where('j.name = :dlq', { dlq: DEAD_LETTER_QUEUE })
      .andWhere("j.state IN ('created', 'retry')");
    return paginate(qb, NEWEST, { ...query, codec: this.cursors, map: toDto, raw: true });
  }

  /** Back to the queue it failed on, with its retries renewed; 404 once it has left the DLQ. */
  async retry(id: string): Promise<RetriedJobDto> {
    const [row] = await selectRows<{ queue: string }>(
      this.dataSource,
      `SELECT source_name AS queue FROM ${QUEUE_SCHEMA}.job
        WHERE name = $1 AND id = $2 AND state IN ('created', 'retry')`,
      [DEAD_LETTER_QUEUE, id],
    );
    if (!row || (await this.queue.retryDeadLetters([id])) === 0) {
      throw new AppError('FAILED_JOB_NOT_FOUND', `Failed job ${id} not found`);
    }
    return { id, queue: row.queue };
  }
}

function toDto(this: void, r: Row): FailedJobDto {
  const message = r.output?.message;
  return {
    id: r.id,
    queue: r.queue,
    originalId: r.originalId,
    data: r.data ?? {},
    attempts: (r.retries ?? 0) + 1,
    error: typeof message === 'string' ? message : null,
    enqueuedAt: new Date(r.enqueuedAt),
    failedAt: new Date(r.failedAt),
  };
}

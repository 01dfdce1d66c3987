import { Injectable } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import { DataSource } from 'typeorm';
import { selectRows } from '../database/sql.js';
import { DEAD_LETTER_QUEUE, QUEUE_SCHEMA, QueueService } from './queue.service.js';

/** A ready job older than this means nothing works the queue (or every attempt fails). */
const BACKLOG_DEGRADED_SECONDS = 600;

interface QueueCounts {
  waiting: number;
  running: number;
  deadLettered: number;
  oldestReadySeconds: number;
}

/**
 * The queue in /health. It only ever degrades: the jobs are rows, so a stalled queue loses
 * nothing, and the database check already fails when they cannot be written.
 */
@Injectable()
export class QueueHealthIndicator {
  constructor(
    private readonly indicators: HealthIndicatorService,
    private readonly dataSource: DataSource,
    private readonly queue: QueueService,
  ) {}

  async check() {
    const session = this.indicators.check('queue');
    let counts: QueueCounts;
    try {
      [counts] = await selectRows<QueueCounts>(
        this.dataSource,
        `WITH outbox AS (SELECT count(*) AS n, min(created_at) AS oldest FROM queue_outbox)
         SELECT (count(*) FILTER (WHERE name <> $1 AND state IN ('created', 'retry'))
                  + (SELECT n FROM outbox))::int AS "waiting",
                count(*) FILTER (WHERE state = 'active')::int AS "running",
                count(*) FILTER (WHERE name = $1)::int AS "deadLettered",
                coalesce(extract(epoch FROM now() - least(min(start_after) FILTER (
                  WHERE name <> $1 AND state IN ('created', 'retry') AND start_after <= now()),
                  (SELECT oldest FROM outbox))), 0)::int AS "oldestReadySeconds"
           FROM ${QUEUE_SCHEMA}.job
          WHERE state IN ('created', 'retry', 'active')`,
        [DEAD_LETTER_QUEUE],
      );
    } catch {
      return session.degraded({ message: 'cannot read the queue' });
    }
    const data = { workers: this.queue.workersEnabled, ...counts };
    if (counts.deadLettered > 0) {
      return session.degraded({ ...data, message: 'dead-lettered jobs wait for an admin' });
    }
    if (counts.oldestReadySeconds > BACKLOG_DEGRADED_SECONDS) {
      return session.degraded({ ...data, message: 'jobs wait longer than 10 minutes' });
    }
    return session.up(data);
  }
}

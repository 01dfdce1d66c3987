import { Injectable } from '@nestjs/common';
import { Counter, Gauge, Histogram } from 'prom-client';
import { MetricsService } from '../metrics/metrics.service.js';

/** The queue's series, on the app's one registry (so /metrics shows them with the rest). */
@Injectable()
export class QueueMetrics {
  readonly duration: Histogram<'queue' | 'result'>;
  readonly failures: Counter<'queue'>;
  readonly deadLettered: Counter<'queue'>;
  readonly depth: Gauge<'queue' | 'state'>;
  /** Set by the queue once it runs: counts per queue and state, read at each scrape. */
  depthReader?: () => Promise<{ queue: string; state: string; count: number }[]>;

  constructor(metrics: MetricsService) {
    const registers = [metrics.registry];
    this.duration = new Histogram({
      name: 'queue_job_duration_seconds',
      help: 'Time a handler took per job, by queue and result (completed or failed)',
      labelNames: ['queue', 'result'] as const,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    });
    this.failures = new Counter({
      name: 'queue_job_failures_total',
      help: 'Handler attempts that threw (each is retried until the retry limit)',
      labelNames: ['queue'] as const,
      registers,
    });
    this.deadLettered = new Counter({
      name: 'queue_jobs_dead_lettered_total',
      help: 'Jobs that failed their last attempt and went to the dead-letter queue',
      labelNames: ['queue'] as const,
      registers,
    });
    this.depth = new Gauge({
      name: 'queue_jobs',
      help: 'Jobs waiting (created, retry), running (active) or dead-lettered, read at scrape time',
      labelNames: ['queue', 'state'] as const,
      registers,
      collect: () => this.collectDepth(),
    });
  }

  private async collectDepth(): Promise<void> {
    if (!this.depthReader) return;
    // a scrape during a database outage keeps the last values rather than failing /metrics
    const rows = await this.depthReader().catch(() => undefined);
    if (!rows) return;
    this.depth.reset();
    for (const { queue, state, count } of rows) this.depth.set({ queue, state }, count);
  }
}

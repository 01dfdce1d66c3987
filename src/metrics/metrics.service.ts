import { Injectable } from '@nestjs/common';
import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';

/**
 * Prometheus metrics of this process (with WEB_CONCURRENCY > 1, each worker answers with its
 * own; scrape them per instance or aggregate by `pid`). One registry per app instance.
 */
@Injectable()
export class MetricsService {
  readonly registry = new Registry();
  readonly httpDuration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request duration by method, route pattern and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.5, 1, 2, 5],
    registers: [this.registry],
  });
  readonly cacheResults = new Counter({
    name: 'http_cache_results_total',
    help: 'Cached GET responses served, by result (hit or miss)',
    labelNames: ['result'] as const,
    registers: [this.registry],
  });

  constructor() {
    this.registry.setDefaultLabels({ pid: String(process.pid) });
    collectDefaultMetrics({ register: this.registry });
  }
}

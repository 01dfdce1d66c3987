import { Global, Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { MetricsModule } from '../metrics/metrics.module.js';
import { QueueHealthIndicator } from './queue.health.js';
import { QueueMetrics } from './queue.metrics.js';
import { QueueService } from './queue.service.js';

/** The durable job queue (pg-boss on the app's database); global, like the database itself. */
@Global()
@Module({
  imports: [MetricsModule, TerminusModule],
  providers: [QueueService, QueueMetrics, QueueHealthIndicator],
  exports: [QueueService, QueueHealthIndicator],
})
export class QueueModule {}

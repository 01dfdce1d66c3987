import cluster from 'node:cluster';
import { Controller, Get, Header, Query } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { Public } from '../common/auth.decorators.js';
import { clusterMetrics } from './cluster-metrics.js';
import { MetricsService } from './metrics.service.js';

@ApiExcludeController()
@Public()
@Controller('metrics')
export class MetricsController {
  constructor(private readonly metrics: MetricsService) {}

  /**
   * This process's metrics; in a cluster worker, every worker's (gathered by the primary), unless
   * `?scope=worker`. A cluster whose primary cannot gather them answers 503 (a failed scrape,
   * never a partial one that would look like counters going down).
   */
  @Get()
  @Header('Content-Type', 'text/plain; version=0.0.4; charset=utf-8')
  scrape(@Query('scope') scope?: string): Promise<string> {
    if (cluster.isWorker && scope !== 'worker') return clusterMetrics();
    return this.metrics.registry.metrics();
  }
}

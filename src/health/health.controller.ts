import { Public } from '../auth/decorators.js';
import { Controller, Get, ServiceUnavailableException } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import {
  HealthCheckService,
  type HealthCheckResult,
  type HealthIndicatorFunction,
} from '@nestjs/terminus';
import { AppError } from '../common/error-codes.js';
import { HealthIndicators } from './health.indicators.js';

/**
 * Probes for load balancers and orchestrators (outside /api, never rate limited).
 * live: the process answers; ready: it can serve (database up, migrations applied, not draining);
 * full: every dependency; a Redis outage only degrades it.
 */
@ApiTags('health')
@Public()
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicators: HealthIndicators,
  ) {}

  @Get('live')
  @ApiOperation({ summary: 'Liveness: 200 while the process runs' })
  live(): { status: 'ok'; uptimeSeconds: number } {
    return { status: 'ok', uptimeSeconds: Math.round(process.uptime()) };
  }

  @Get('ready')
  @ApiOperation({ summary: 'Readiness: database answers, migrations applied, not shutting down' })
  ready(): Promise<HealthCheckResult> {
    return this.run([() => this.indicators.database(), () => this.indicators.migrations()]);
  }

  @Get()
  @ApiOperation({ summary: 'Every dependency: database, Redis (degraded when down), memory' })
  full(): Promise<HealthCheckResult> {
    return this.run([
      () => this.indicators.database(),
      () => this.indicators.migrations(),
      () => this.indicators.redis(),
      () => this.indicators.memory(),
    ]);
  }

  /** Terminus answers 503 with its report; keep the report, in the error shape of API.md. */
  private async run(checks: HealthIndicatorFunction[]): Promise<HealthCheckResult> {
    try {
      return await this.health.check(checks);
    } catch (err) {
      if (err instanceof ServiceUnavailableException) {
        const report = err.getResponse() as HealthCheckResult;
        throw report.status === 'shutting_down'
          ? new AppError('SHUTTING_DOWN', 'Shutting down', report)
          : new AppError('NOT_READY', 'Not ready', report);
      }
      throw err;
    }
  }
}

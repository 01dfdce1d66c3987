import { Controller, Get, ServiceUnavailableException } from '@nestjs/common';
import {
  ApiExtraModels,
  ApiOkResponse,
  ApiOperation,
  ApiResponse,
  ApiTags,
  getSchemaPath,
} from '@nestjs/swagger';
import {
  HealthCheckService,
  type HealthCheckResult,
  type HealthIndicatorFunction,
} from '@nestjs/terminus';
import { Public } from '../common/auth.decorators.js';
import { AppError } from '../common/error-codes.js';
import { HealthReportDto, LivenessDto } from './dto/health-report.dto.js';
import { QueueHealthIndicator } from '../queue/queue.health.js';
import { HealthIndicators } from './health.indicators.js';
import { ShutdownState } from './shutdown-state.js';

/** The 503 of a probe: the one error body, whose `details` is the report a 200 would carry. */
const UNAVAILABLE = ApiResponse({
  status: 503,
  description:
    'Not serving; `code`: NOT_READY (a check is down) or SHUTTING_DOWN; `details` is the same report as the 200 body',
  content: {
    'application/json': {
      schema: {
        allOf: [
          { $ref: '#/components/schemas/ErrorDto' },
          {
            type: 'object',
            required: ['details'],
            properties: { details: { $ref: getSchemaPath(HealthReportDto) } },
          },
        ],
      },
    },
  },
});

/**
 * Probes for load balancers and orchestrators (outside /api, never rate limited).
 * live: the process answers; ready: it can serve (database up, migrations applied, not draining);
 * full: every dependency; a Redis outage or low disk only degrades it.
 */
@ApiTags('health')
@ApiExtraModels(HealthReportDto)
@Public()
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicators: HealthIndicators,
    private readonly queue: QueueHealthIndicator,
    private readonly shutdown: ShutdownState,
  ) {}

  @Get('live')
  @ApiOperation({ operationId: 'getLiveness', summary: 'Liveness: 200 while the process runs' })
  @ApiOkResponse({ type: LivenessDto })
  live(): LivenessDto {
    return { status: 'ok', uptimeSeconds: Math.round(process.uptime()) };
  }

  @Get('ready')
  @ApiOperation({
    operationId: 'getReadiness',
    summary: 'Readiness: database answers, migrations applied, not shutting down',
  })
  @ApiOkResponse({ type: HealthReportDto })
  @UNAVAILABLE
  ready(): Promise<HealthCheckResult> {
    return this.run([() => this.indicators.database(), () => this.indicators.migrations()]);
  }

  @Get()
  @ApiOperation({
    operationId: 'getHealth',
    summary:
      'Every dependency: database, Redis, free disk under UPLOAD_DIR/RESUME_DIR (degraded when down or low), memory, the job queue (degraded by dead letters or a stalled backlog)',
  })
  @ApiOkResponse({ type: HealthReportDto })
  @UNAVAILABLE
  full(): Promise<HealthCheckResult> {
    return this.run([
      () => this.indicators.database(),
      () => this.indicators.migrations(),
      () => this.indicators.redis(),
      () => this.indicators.memory(),
      () => this.indicators.disk(),
      () => this.queue.check(),
    ]);
  }

  /**
   * A 503 is an error like any other (one error schema, clients switch on `code`), so terminus'
   * report travels as its `details`: the very object a 200 returns as its body.
   */
  private async run(checks: HealthIndicatorFunction[]): Promise<HealthCheckResult> {
    // draining: 503 at once, without asking the database (terminus learns of the shutdown
    // only once Nest's shutdown hooks run)
    if (this.shutdown.draining) {
      const report: HealthCheckResult = {
        status: 'shutting_down',
        info: {},
        error: {},
        details: {},
      };
      throw new AppError('SHUTTING_DOWN', 'Shutting down', report);
    }
    try {
      return await this.health.check(checks);
    } catch (err) {
      if (err instanceof ServiceUnavailableException) {
        const report = err.getResponse() as HealthCheckResult;
        throw report.status === 'shutting_down'
          ? new AppError('SHUTTING_DOWN', 'Shutting down', report)
          : new AppError(
              'NOT_READY',
              `Not ready: ${Object.keys(report.error ?? {}).join(', ')} down`,
              report,
            );
      }
      throw err;
    }
  }
}

import { ApiProperty, type ApiPropertyOptions } from '@nestjs/swagger';

const CHECKS: ApiPropertyOptions = {
  type: 'object',
  description: 'By check name (database, migrations, redis, memory, disk)',
  additionalProperties: {
    type: 'object',
    required: ['status'],
    properties: { status: { type: 'string', enum: ['up', 'degraded', 'down'] } },
    additionalProperties: true,
  },
  example: { database: { status: 'up' }, migrations: { status: 'up' } },
};

/**
 * What every probe reports, terminus' shape: the 200 body, and on 503 the `details` of the
 * error body (so a client reads the same object either way).
 */
export class HealthReportDto {
  @ApiProperty({
    enum: ['ok', 'degraded', 'error', 'shutting_down'],
    description: 'ok or degraded with 200; error or shutting_down with 503',
  })
  status: 'ok' | 'degraded' | 'error' | 'shutting_down';

  @ApiProperty({ ...CHECKS, description: 'Checks that are up or degraded' })
  info: Record<string, { status: string }>;

  @ApiProperty({ ...CHECKS, description: 'Checks that are down' })
  error: Record<string, { status: string }>;

  @ApiProperty({ ...CHECKS, description: 'Every check' })
  details: Record<string, { status: string }>;
}

export class LivenessDto {
  @ApiProperty({ enum: ['ok'] }) status: 'ok';
  @ApiProperty({ example: 42 }) uptimeSeconds: number;
}

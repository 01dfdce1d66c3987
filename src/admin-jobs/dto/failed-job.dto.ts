import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { PageMetaDto, PageQueryDto } from '../../common/page.js';

export class ListFailedJobsQueryDto extends PageQueryDto {}

/** A job that failed its every attempt and waits in the dead-letter queue. */
export class FailedJobDto {
  @ApiProperty({ format: 'uuid', description: 'Id in the dead-letter queue (retry with it)' })
  id: string;

  @ApiProperty({ example: 'notice.application-received', description: 'The queue it failed on' })
  queue: string;

  @ApiProperty({ format: 'uuid', description: 'Its id in that queue' })
  originalId: string;

  @ApiProperty({ type: 'object', additionalProperties: true, description: 'Its payload' })
  data: Record<string, unknown>;

  @ApiProperty({ description: 'Attempts made before it was dead-lettered', example: 11 })
  attempts: number;

  @ApiPropertyOptional({ nullable: true, description: 'What the last attempt threw' })
  error: string | null;

  @ApiProperty({ description: 'When it was first enqueued' })
  enqueuedAt: Date;

  @ApiProperty({ description: 'When it was dead-lettered' })
  failedAt: Date;
}

export class FailedJobPageDto extends PageMetaDto {
  @ApiProperty({ type: [FailedJobDto] }) data: FailedJobDto[];
}

export class RetriedJobDto {
  @ApiProperty({ format: 'uuid' }) id: string;

  @ApiProperty({ description: 'The queue it went back to', example: 'notice.application-received' })
  queue: string;
}

import { Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBearerAuth,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiTags,
} from '@nestjs/swagger';
import { Roles } from '../common/auth.decorators.js';
import type { Page } from '../common/page.js';
import { ApiErrors } from '../openapi/openapi.js';
import { AdminJobsService } from './admin-jobs.service.js';
import {
  FailedJobDto,
  FailedJobPageDto,
  ListFailedJobsQueryDto,
  RetriedJobDto,
} from './dto/failed-job.dto.js';
import { UuidPipe } from './uuid.pipe.js';

@ApiTags('admin')
@ApiBearerAuth()
@Roles('admin')
@Controller('admin/jobs/failed')
export class AdminJobsController {
  constructor(private readonly jobs: AdminJobsService) {}

  @Get()
  @ApiOperation({
    operationId: 'listFailedJobs',
    summary: 'Admin: jobs that failed every attempt (the dead-letter queue), newest first',
  })
  @ApiOkResponse({ type: FailedJobPageDto })
  list(@Query() query: ListFailedJobsQueryDto): Promise<Page<FailedJobDto>> {
    return this.jobs.list(query);
  }

  @Post(':uuid/retry')
  @HttpCode(202)
  @ApiOperation({
    operationId: 'retryFailedJob',
    summary: 'Admin: send a dead-lettered job back to its queue, with its retries renewed',
  })
  // not `id`: ids in this API are integers, and a queue job's is a UUID
  @ApiParam({ name: 'uuid', format: 'uuid', description: 'The `id` listFailedJobs gave' })
  @ApiAcceptedResponse({ type: RetriedJobDto })
  @ApiErrors('FAILED_JOB_NOT_FOUND')
  retry(@Param('uuid', UuidPipe) id: string): Promise<RetriedJobDto> {
    return this.jobs.retry(id);
  }
}

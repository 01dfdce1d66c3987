import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import type { AuthUser } from '../common/auth-user.js';
import { CurrentUser, Public, Roles } from '../common/auth.decorators.js';
import { HttpCached } from '../cache/http-cache.interceptor.js';
import { ApiErrors, ApiIdOrSlugParam } from '../openapi/openapi.js';
import { IdOrSlugPipe, IdPipe, type IdOrSlug } from '../common/id.pipe.js';
import type { Page } from '../common/page.js';
import {
  CreateJobDto,
  ListJobsQueryDto,
  ListMyJobsQueryDto,
  UpdateJobDto,
} from './dto/job-input.dto.js';
import {
  JobDto,
  JobPageDto,
  OwnJobDto,
  OwnJobPageDto,
  type JobSummaryDto,
  type OwnJobSummaryDto,
} from './dto/job.dto.js';
import { VerifiedEmail } from '../auth/verified-email.decorator.js';
import { CountView } from './count-view.interceptor.js';
import { JobsSearchService } from './jobs-search.service.js';
import { JobsService } from './jobs.service.js';

@ApiTags('jobs')
@Controller('jobs')
export class JobsController {
  constructor(
    private readonly jobs: JobsService,
    private readonly search: JobsSearchService,
  ) {}

  @Get()
  @Public()
  @HttpCached('jobs')
  @ApiOperation({
    operationId: 'listJobs',
    summary: 'Open jobs: filters, full-text q, sort newest|popular|salary, keyset pages',
  })
  @ApiOkResponse({ type: JobPageDto })
  list(@Query() query: ListJobsQueryDto): Promise<Page<JobSummaryDto>> {
    return this.search.list(query);
  }

  // declared before :idOrSlug, which would otherwise take "mine" for a slug
  @Get('mine')
  @Roles('employer', 'admin')
  @ApiBearerAuth()
  @ApiOperation({
    operationId: 'listMyJobs',
    summary: 'The jobs of the caller’s spas, closed and expired ones included, newest first',
  })
  @ApiOkResponse({ type: OwnJobPageDto })
  mine(
    @CurrentUser() user: AuthUser,
    @Query() query: ListMyJobsQueryDto,
  ): Promise<Page<OwnJobSummaryDto>> {
    return this.search.mine(user, query);
  }

  @Get('mine/:id')
  @Roles('employer', 'admin')
  @ApiBearerAuth()
  @ApiOperation({
    operationId: 'getMyJob',
    summary: 'A job of the caller’s spas (admins: any job), whatever its state',
  })
  @ApiOkResponse({ type: OwnJobDto })
  getMine(@CurrentUser() user: AuthUser, @Param('id', IdPipe) id: number): Promise<OwnJobDto> {
    return this.jobs.getOwn(user, id);
  }

  @Get(':idOrSlug')
  @Public()
  @HttpCached('jobs')
  @CountView()
  @ApiOperation({
    operationId: 'getJob',
    summary: 'An open job by id or slug; counts one view (cached or not); 410 once it expired',
  })
  @ApiIdOrSlugParam('job')
  @ApiOkResponse({ type: JobDto })
  @ApiErrors('JOB_EXPIRED')
  get(@Param('idOrSlug', IdOrSlugPipe) ref: IdOrSlug): Promise<JobDto> {
    return this.jobs.getOpen(ref);
  }

  @Post()
  @Roles('employer', 'admin')
  @VerifiedEmail()
  @ApiBearerAuth()
  @ApiOperation({
    operationId: 'createJob',
    summary: 'Post a job on a spa the caller owns (admins: any spa; only admins set isFeatured)',
  })
  @ApiCreatedResponse({ type: OwnJobDto })
  create(@CurrentUser() user: AuthUser, @Body() dto: CreateJobDto): Promise<OwnJobDto> {
    return this.jobs.create(user, dto);
  }

  @Patch(':id')
  @Roles('employer', 'admin')
  @ApiBearerAuth()
  @ApiOperation({
    operationId: 'updateJob',
    summary: 'Update a job (its spa’s owner or admin); a job an admin closed only an admin reopens',
  })
  @ApiOkResponse({ type: OwnJobDto })
  update(
    @CurrentUser() user: AuthUser,
    @Param('id', IdPipe) id: number,
    @Body() dto: UpdateJobDto,
  ): Promise<OwnJobDto> {
    return this.jobs.update(user, id, dto);
  }

  @Post(':id/renew')
  @HttpCode(200)
  @Roles('employer', 'admin')
  @ApiBearerAuth()
  @ApiOperation({
    operationId: 'renewJob',
    summary:
      'Open a job for another JOB_TTL_DAYS (its spa’s owner or admin); an expired or closed job comes back, one an admin closed only for an admin',
  })
  @ApiOkResponse({ type: OwnJobDto })
  @ApiErrors('JOB_CLOSED_BY_ADMIN')
  renew(@CurrentUser() user: AuthUser, @Param('id', IdPipe) id: number): Promise<OwnJobDto> {
    return this.jobs.renew(user, id);
  }

  @Delete(':id')
  @HttpCode(204)
  @Roles('employer', 'admin')
  @ApiBearerAuth()
  @ApiOperation({
    operationId: 'closeJob',
    summary: 'Close a job (soft delete; its spa’s owner or admin)',
  })
  @ApiNoContentResponse()
  async remove(@CurrentUser() user: AuthUser, @Param('id', IdPipe) id: number): Promise<void> {
    await this.jobs.remove(user, id);
  }
}

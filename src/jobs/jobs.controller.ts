import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import type { AuthUser } from '../auth/auth-user.js';
import { CurrentUser, Roles } from '../auth/decorators.js';
import { HttpCached } from '../cache/http-cache.interceptor.js';
import { IdOrSlugPipe, IdPipe, type IdOrSlug } from '../common/id.pipe.js';
import type { Page } from '../common/page.js';
import { CreateJobDto, ListJobsQueryDto, UpdateJobDto } from './dto/job-input.dto.js';
import { JobDto, JobPageDto, type JobSummaryDto } from './dto/job.dto.js';
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
  @HttpCached('jobs')
  @ApiOperation({
    summary: 'Open jobs: filters, full-text q, sort newest|popular|salary, keyset pages',
  })
  @ApiOkResponse({ type: JobPageDto })
  list(@Query() query: ListJobsQueryDto): Promise<Page<JobSummaryDto>> {
    return this.search.list(query);
  }

  @Get(':idOrSlug')
  @HttpCached('jobs')
  @CountView()
  @ApiOperation({ summary: 'An open job by id or slug; counts one view (cached or not)' })
  @ApiOkResponse({ type: JobDto })
  get(@Param('idOrSlug', IdOrSlugPipe) ref: IdOrSlug): Promise<JobDto> {
    return this.jobs.getOpen(ref);
  }

  @Post()
  @Roles('employer', 'admin')
  @ApiBearerAuth()
  @ApiOperation({
    summary: 'Post a job on a spa the caller owns (admins: any spa; only admins set isFeatured)',
  })
  @ApiCreatedResponse({ type: JobDto })
  create(@CurrentUser() user: AuthUser, @Body() dto: CreateJobDto): Promise<JobDto> {
    return this.jobs.create(user, dto);
  }

  @Patch(':id')
  @Roles('employer', 'admin')
  @ApiBearerAuth()
  @ApiOperation({ summary: 'Update a job (its spa’s owner or admin)' })
  @ApiOkResponse({ type: JobDto })
  update(
    @CurrentUser() user: AuthUser,
    @Param('id', IdPipe) id: number,
    @Body() dto: UpdateJobDto,
  ): Promise<JobDto> {
    return this.jobs.update(user, id, dto);
  }

  @Delete(':id')
  @HttpCode(204)
  @Roles('employer', 'admin')
  @ApiBearerAuth()
  @ApiOperation({ summary: 'Close a job (soft delete; its spa’s owner or admin)' })
  @ApiNoContentResponse()
  async remove(@CurrentUser() user: AuthUser, @Param('id', IdPipe) id: number): Promise<void> {
    await this.jobs.remove(user, id);
  }
}

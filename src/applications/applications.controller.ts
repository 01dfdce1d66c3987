import {
  Body,
  Controller,
  Get,
  Header,
  HttpCode,
  Param,
  Patch,
  Post,
  Query,
  Req,
  StreamableFile,
} from '@nestjs/common';
import type { Request } from 'express';
import {
  ApiBearerAuth,
  ApiCreatedResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import type { AuthUser } from '../common/auth-user.js';
import { CurrentUser, Roles } from '../common/auth.decorators.js';
import { IdPipe } from '../common/id.pipe.js';
import { ApiErrors, ApiBodyContents } from '../openapi/openapi.js';
import type { Page } from '../common/page.js';
import { ApplicationsService } from './applications.service.js';
import {
  ApplicationDto,
  ApplicationPageDto,
  ApplyDto,
  ApplyMultipartDto,
  ListApplicationsQueryDto,
  UpdateApplicationDto,
} from './dto/application.dto.js';

@ApiTags('applications')
@ApiBearerAuth()
@Controller()
export class ApplicationsController {
  constructor(private readonly applications: ApplicationsService) {}

  @Post('jobs/:id/applications')
  @Roles('job_seeker')
  @ApiBodyContents(
    { 'application/json': ApplyDto, 'multipart/form-data': ApplyMultipartDto },
    { required: false, description: 'A cover letter, and with multipart a PDF resume; or nothing' },
  )
  @ApiOperation({
    operationId: 'applyToJob',
    summary: 'Apply to an open job, once, optionally with a PDF resume',
  })
  @ApiCreatedResponse({ type: ApplicationDto })
  @ApiErrors('UNSUPPORTED_RESUME_TYPE', 'UPLOAD_QUOTA_EXCEEDED')
  apply(
    @CurrentUser() user: AuthUser,
    @Param('id', IdPipe) jobId: number,
    @Body() dto: ApplyDto,
    @Req() req: Request,
  ): Promise<ApplicationDto> {
    // a multipart body is read by the service, after the job and the caller are checked
    return this.applications.apply(user, jobId, dto, req);
  }

  @Get('jobs/:id/applications')
  @Roles('employer', 'admin')
  @ApiOperation({
    operationId: 'listJobApplications',
    summary: 'Applications to a job (its spa’s owner or admin), newest first',
  })
  @ApiOkResponse({ type: ApplicationPageDto })
  forJob(
    @CurrentUser() user: AuthUser,
    @Param('id', IdPipe) jobId: number,
    @Query() query: ListApplicationsQueryDto,
  ): Promise<Page<ApplicationDto>> {
    return this.applications.forJob(user, jobId, query);
  }

  @Get('applications/mine')
  @ApiOperation({
    operationId: 'listMyApplications',
    summary: 'The caller’s own applications, newest first',
  })
  @ApiOkResponse({ type: ApplicationPageDto })
  mine(
    @CurrentUser() user: AuthUser,
    @Query() query: ListApplicationsQueryDto,
  ): Promise<Page<ApplicationDto>> {
    return this.applications.mine(user, query);
  }

  @Get('applications/:id')
  @ApiOperation({
    operationId: 'getApplication',
    summary: 'One application (its applicant, the spa’s owner or admin)',
  })
  @ApiOkResponse({ type: ApplicationDto })
  get(@CurrentUser() user: AuthUser, @Param('id', IdPipe) id: number): Promise<ApplicationDto> {
    return this.applications.get(user, id);
  }

  @Patch('applications/:id')
  @Roles('employer', 'admin')
  @ApiOperation({
    operationId: 'updateApplicationStatus',
    summary: 'Move an application: submitted → reviewed → shortlisted → hired, or rejected',
  })
  @ApiOkResponse({ type: ApplicationDto })
  update(
    @CurrentUser() user: AuthUser,
    @Param('id', IdPipe) id: number,
    @Body() dto: UpdateApplicationDto,
  ): Promise<ApplicationDto> {
    return this.applications.updateStatus(user, id, dto.status);
  }

  @Post('applications/:id/withdraw')
  @HttpCode(200)
  @ApiOperation({
    operationId: 'withdrawApplication',
    summary:
      'The applicant withdraws an application not yet rejected or hired; its resume is deleted',
  })
  @ApiOkResponse({ type: ApplicationDto })
  withdraw(
    @CurrentUser() user: AuthUser,
    @Param('id', IdPipe) id: number,
  ): Promise<ApplicationDto> {
    return this.applications.withdraw(user, id);
  }

  @Get('applications/:id/resume')
  @Header('Cache-Control', 'private, no-store')
  @ApiOkResponse({
    description: 'The resume, as uploaded',
    content: { 'application/pdf': { schema: { type: 'string', format: 'binary' } } },
  })
  @ApiOperation({
    operationId: 'downloadResume',
    summary: 'Download the resume (the applicant, the spa’s owner or admin)',
  })
  resume(@CurrentUser() user: AuthUser, @Param('id', IdPipe) id: number): Promise<StreamableFile> {
    return this.applications.resume(user, id);
  }
}

import {
  Body,
  Controller,
  Get,
  Header,
  Param,
  Patch,
  Post,
  Query,
  StreamableFile,
  UploadedFile,
  UseInterceptors,
} from '@nestjs/common';
import { FileInterceptor } from '@nestjs/platform-express';
import {
  ApiBearerAuth,
  ApiBody,
  ApiConsumes,
  ApiCreatedResponse,
  ApiOkResponse,
  ApiOperation,
  ApiProduces,
  ApiTags,
} from '@nestjs/swagger';
import type { AuthUser } from '../auth/auth-user.js';
import { CurrentUser, Roles } from '../auth/decorators.js';
import { IdPipe } from '../common/id.pipe.js';
import type { Page } from '../common/page.js';
import type { IncomingFile } from '../uploads/uploads.service.js';
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
  @UseInterceptors(FileInterceptor('resume'))
  @ApiConsumes('application/json', 'multipart/form-data')
  @ApiBody({ type: ApplyMultipartDto })
  @ApiOperation({ summary: 'Apply to an open job, once, optionally with a PDF resume' })
  @ApiCreatedResponse({ type: ApplicationDto })
  apply(
    @CurrentUser() user: AuthUser,
    @Param('id', IdPipe) jobId: number,
    @Body() dto: ApplyDto,
    @UploadedFile() resume: IncomingFile | undefined,
  ): Promise<ApplicationDto> {
    return this.applications.apply(user, jobId, dto, resume);
  }

  @Get('jobs/:id/applications')
  @Roles('employer', 'admin')
  @ApiOperation({ summary: 'Applications to a job (its spa’s owner or admin), newest first' })
  @ApiOkResponse({ type: ApplicationPageDto })
  forJob(
    @CurrentUser() user: AuthUser,
    @Param('id', IdPipe) jobId: number,
    @Query() query: ListApplicationsQueryDto,
  ): Promise<Page<ApplicationDto>> {
    return this.applications.forJob(user, jobId, query);
  }

  @Get('applications/mine')
  @ApiOperation({ summary: 'The caller’s own applications, newest first' })
  @ApiOkResponse({ type: ApplicationPageDto })
  mine(
    @CurrentUser() user: AuthUser,
    @Query() query: ListApplicationsQueryDto,
  ): Promise<Page<ApplicationDto>> {
    return this.applications.mine(user, query);
  }

  @Get('applications/:id')
  @ApiOperation({ summary: 'One application (its applicant, the spa’s owner or admin)' })
  @ApiOkResponse({ type: ApplicationDto })
  get(@CurrentUser() user: AuthUser, @Param('id', IdPipe) id: number): Promise<ApplicationDto> {
    return this.applications.get(user, id);
  }

  @Patch('applications/:id')
  @Roles('employer', 'admin')
  @ApiOperation({
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

  @Get('applications/:id/resume')
  @Header('Cache-Control', 'private, no-store')
  @ApiProduces('application/pdf')
  @ApiOperation({ summary: 'Download the resume (the applicant, the spa’s owner or admin)' })
  resume(@CurrentUser() user: AuthUser, @Param('id', IdPipe) id: number): Promise<StreamableFile> {
    return this.applications.resume(user, id);
  }
}

import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  Param,
  Patch,
  Post,
  Query,
  Req,
} from '@nestjs/common';
import type { Request } from 'express';
import {
  ApiBearerAuth,
  ApiBody,
  ApiConsumes,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiTags,
} from '@nestjs/swagger';
import type { AuthUser } from '../common/auth-user.js';
import { CurrentUser, Public, Roles } from '../common/auth.decorators.js';
import { HttpCached } from '../cache/http-cache.interceptor.js';
import { ApiErrors, ApiIdOrSlugParam } from '../openapi/openapi.js';
import { IdOrSlugPipe, IdPipe, type IdOrSlug } from '../common/id.pipe.js';
import { PageQueryDto, type Page } from '../common/page.js';
import {
  CreateSpaDto,
  ListSpasQueryDto,
  SpaImageUploadDto,
  UpdateSpaDto,
} from './dto/spa-input.dto.js';
import { ImageUrlDto, SpaDto, SpaPageDto } from './dto/spa.dto.js';
import { SpasService } from './spas.service.js';

@ApiTags('spas')
@Controller('spas')
export class SpasController {
  constructor(private readonly spas: SpasService) {}

  @Get()
  @Public()
  @HttpCached('spas')
  @ApiOperation({
    operationId: 'listSpas',
    summary: 'Active spas; filter by state, city, rating, words; sort newest or rating',
  })
  @ApiOkResponse({ type: SpaPageDto })
  list(@Query() query: ListSpasQueryDto): Promise<Page<SpaDto>> {
    return this.spas.list(query);
  }

  // declared before :idOrSlug, which would otherwise take "mine" for a slug
  @Get('mine')
  @Roles('employer', 'admin')
  @ApiBearerAuth()
  @ApiOperation({
    operationId: 'listMySpas',
    summary: 'The caller’s own spas, deactivated ones included, newest first',
  })
  @ApiOkResponse({ type: SpaPageDto })
  mine(@CurrentUser() user: AuthUser, @Query() query: PageQueryDto): Promise<Page<SpaDto>> {
    return this.spas.mine(user, query);
  }

  @Get(':idOrSlug')
  @Public()
  @HttpCached('spas')
  @ApiOperation({ operationId: 'getSpa', summary: 'An active spa by id or slug' })
  @ApiIdOrSlugParam('spa')
  @ApiOkResponse({ type: SpaDto })
  get(@Param('idOrSlug', IdOrSlugPipe) ref: IdOrSlug): Promise<SpaDto> {
    return this.spas.getPublic(ref);
  }

  @Post()
  @Roles('employer', 'admin')
  @ApiBearerAuth()
  @ApiOperation({ operationId: 'createSpa', summary: 'Create a spa; the caller owns it' })
  @ApiCreatedResponse({ type: SpaDto })
  create(@CurrentUser() user: AuthUser, @Body() dto: CreateSpaDto): Promise<SpaDto> {
    return this.spas.create(user, dto);
  }

  @Patch(':id')
  @Roles('employer', 'admin')
  @ApiBearerAuth()
  @ApiOperation({
    operationId: 'updateSpa',
    summary: 'Update a spa (owner or admin; rating, isVerified, isActive are admin only)',
  })
  @ApiOkResponse({ type: SpaDto })
  update(
    @CurrentUser() user: AuthUser,
    @Param('id', IdPipe) id: number,
    @Body() dto: UpdateSpaDto,
  ): Promise<SpaDto> {
    return this.spas.update(user, id, dto);
  }

  @Delete(':id')
  @HttpCode(204)
  @Roles('employer', 'admin')
  @ApiBearerAuth()
  @ApiOperation({
    operationId: 'deactivateSpa',
    summary: 'Deactivate a spa and hide its jobs (owner or admin)',
  })
  @ApiNoContentResponse()
  async remove(@CurrentUser() user: AuthUser, @Param('id', IdPipe) id: number): Promise<void> {
    await this.spas.remove(user, id);
  }

  @Post(':id/images')
  @Roles('employer', 'admin')
  @ApiBearerAuth()
  @ApiConsumes('multipart/form-data')
  @ApiBody({ type: SpaImageUploadDto })
  @ApiOperation({
    operationId: 'addSpaImage',
    summary: 'Add an image (JPEG, PNG or WebP by content, at most MAX_UPLOAD_MB)',
  })
  @ApiCreatedResponse({ type: ImageUrlDto })
  @ApiErrors('UNSUPPORTED_IMAGE_TYPE', 'UPLOAD_QUOTA_EXCEEDED', 'TOO_MANY_IMAGES')
  async addImage(
    @CurrentUser() user: AuthUser,
    @Param('id', IdPipe) id: number,
    @Req() req: Request,
  ): Promise<ImageUrlDto> {
    // the service authorizes, then reads the body: a caller who may not upload is not read
    return { url: await this.spas.addImage(user, id, req) };
  }

  @Delete(':id/images/:name')
  @HttpCode(204)
  @Roles('employer', 'admin')
  @ApiBearerAuth()
  @ApiOperation({
    operationId: 'deleteSpaImage',
    summary: 'Delete one image of a spa (owner or admin); the file is removed',
  })
  @ApiParam({ name: 'name', example: '3f0c2a9e-5b1d-4c8e-9f6a-2d7e1b4c8a90.webp' })
  @ApiErrors('IMAGE_NOT_FOUND')
  @ApiNoContentResponse()
  async removeImage(
    @CurrentUser() user: AuthUser,
    @Param('id', IdPipe) id: number,
    @Param('name') name: string,
  ): Promise<void> {
    await this.spas.removeImage(user, id, name);
  }

  @Delete(':id/images')
  @HttpCode(204)
  @Roles('employer', 'admin')
  @ApiBearerAuth()
  @ApiOperation({
    operationId: 'deleteSpaImages',
    summary:
      'Delete every image of a spa and its files (owner or admin; admins also purge a deactivated spa)',
  })
  @ApiNoContentResponse()
  async removeImages(
    @CurrentUser() user: AuthUser,
    @Param('id', IdPipe) id: number,
  ): Promise<void> {
    await this.spas.removeImages(user, id);
  }
}

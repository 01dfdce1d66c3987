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
  UploadedFile,
  UseInterceptors,
} from '@nestjs/common';
import { FileInterceptor } from '@nestjs/platform-express';
import {
  ApiBearerAuth,
  ApiBody,
  ApiConsumes,
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
import type { IncomingFile } from '../uploads/uploads.service.js';
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
  @HttpCached('spas')
  @ApiOperation({
    summary: 'Active spas; filter by state, city, rating, words; sort newest or rating',
  })
  @ApiOkResponse({ type: SpaPageDto })
  list(@Query() query: ListSpasQueryDto): Promise<Page<SpaDto>> {
    return this.spas.list(query);
  }

  @Get(':idOrSlug')
  @HttpCached('spas')
  @ApiOperation({ summary: 'An active spa by id or slug' })
  @ApiOkResponse({ type: SpaDto })
  get(@Param('idOrSlug', IdOrSlugPipe) ref: IdOrSlug): Promise<SpaDto> {
    return this.spas.getPublic(ref);
  }

  @Post()
  @Roles('employer', 'admin')
  @ApiBearerAuth()
  @ApiOperation({ summary: 'Create a spa; the caller owns it' })
  @ApiCreatedResponse({ type: SpaDto })
  create(@CurrentUser() user: AuthUser, @Body() dto: CreateSpaDto): Promise<SpaDto> {
    return this.spas.create(user, dto);
  }

  @Patch(':id')
  @Roles('employer', 'admin')
  @ApiBearerAuth()
  @ApiOperation({
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
  @ApiOperation({ summary: 'Deactivate a spa and hide its jobs (owner or admin)' })
  @ApiNoContentResponse()
  async remove(@CurrentUser() user: AuthUser, @Param('id', IdPipe) id: number): Promise<void> {
    await this.spas.remove(user, id);
  }

  @Post(':id/images')
  @Roles('employer', 'admin')
  @ApiBearerAuth()
  @UseInterceptors(FileInterceptor('image'))
  @ApiConsumes('multipart/form-data')
  @ApiBody({ type: SpaImageUploadDto })
  @ApiOperation({ summary: 'Add an image (JPEG, PNG or WebP by content, at most MAX_UPLOAD_MB)' })
  @ApiCreatedResponse({ type: ImageUrlDto })
  async addImage(
    @CurrentUser() user: AuthUser,
    @Param('id', IdPipe) id: number,
    @UploadedFile() file: IncomingFile | undefined,
  ): Promise<ImageUrlDto> {
    return { url: await this.spas.addImage(user, id, file) };
  }
}

import { Body, Controller, Get, Param, Patch, Post, Query } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiCreatedResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { Roles } from '../common/auth.decorators.js';
import { IdPipe } from '../common/id.pipe.js';
import { HttpCached } from '../cache/http-cache.interceptor.js';
import { NoQueryDto } from '../common/page.js';
import { CategoriesService } from './categories.service.js';
import {
  CategoryDto,
  CategoryListDto,
  CreateCategoryDto,
  UpdateCategoryDto,
} from './dto/category.dto.js';

@ApiTags('categories')
@Controller('job-categories')
export class CategoriesController {
  constructor(private readonly categories: CategoriesService) {}

  @Get()
  @HttpCached('locations')
  @ApiOperation({
    operationId: 'listJobCategories',
    summary: 'All job categories, by name (one page)',
  })
  @ApiOkResponse({ type: CategoryListDto })
  async list(@Query() _query: NoQueryDto): Promise<CategoryListDto> {
    return { data: await this.categories.list(), nextCursor: null };
  }

  @Post()
  @Roles('admin')
  @ApiBearerAuth()
  @ApiOperation({
    operationId: 'createJobCategory',
    summary: 'Add a job category (admin); name and slug are unique',
  })
  @ApiCreatedResponse({ type: CategoryDto })
  create(@Body() dto: CreateCategoryDto): Promise<CategoryDto> {
    return this.categories.create(dto);
  }

  @Patch(':id')
  @Roles('admin')
  @ApiBearerAuth()
  @ApiOperation({
    operationId: 'updateJobCategory',
    summary:
      'Rename, describe or retire (isActive: false) a job category (admin); jobs keep a retired one, new jobs cannot use it',
  })
  @ApiOkResponse({ type: CategoryDto })
  update(@Param('id', IdPipe) id: number, @Body() dto: UpdateCategoryDto): Promise<CategoryDto> {
    return this.categories.update(id, dto);
  }
}

import { Controller, Get, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { HttpCached } from '../cache/http-cache.interceptor.js';
import { NoQueryDto } from '../common/page.js';
import { CategoriesService } from './categories.service.js';
import { CategoryListDto } from './dto/category.dto.js';

@ApiTags('categories')
@Controller('job-categories')
export class CategoriesController {
  constructor(private readonly categories: CategoriesService) {}

  @Get()
  @HttpCached('locations')
  @ApiOperation({ summary: 'All job categories, by name (one page)' })
  @ApiOkResponse({ type: CategoryListDto })
  async list(@Query() _query: NoQueryDto): Promise<CategoryListDto> {
    return { data: await this.categories.list(), nextCursor: null };
  }
}

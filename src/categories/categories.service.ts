import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
import { CacheService } from '../cache/cache.service.js';
import { patchById } from '../common/defined.js';
import { slugify } from '../common/slug.js';
import { CategoryDto, type CreateCategoryDto, type UpdateCategoryDto } from './dto/category.dto.js';
import { JobCategory } from './job-category.entity.js';
import { AppError } from '../common/error-codes.js';

@Injectable()
export class CategoriesService {
  constructor(
    @InjectRepository(JobCategory) private readonly categories: Repository<JobCategory>,
    private readonly cache: CacheService,
  ) {}

  /** The categories in use; retired ones leave the list. */
  async list(): Promise<CategoryDto[]> {
    const rows = await this.categories.find({ where: { isActive: true }, order: { name: 'ASC' } });
    return rows.map(CategoryDto.from);
  }

  /** A category a job may be filed under: existing and not retired (existing jobs keep theirs). */
  async assertExists(categoryId: number): Promise<void> {
    if (!(await this.categories.existsBy({ id: categoryId, isActive: true }))) {
      throw new AppError('CATEGORY_NOT_FOUND', `Category ${categoryId} not found or retired`);
    }
  }

  async create(dto: CreateCategoryDto): Promise<CategoryDto> {
    const result = await this.categories.insert({
      name: dto.name,
      slug: dto.slug ?? slugify(dto.name, 100),
      description: dto.description ?? null,
    });
    await this.changed();
    return CategoryDto.from(
      await this.categories.findOneByOrFail({ id: result.identifiers[0].id as number }),
    );
  }

  /** Renames (slug kept unless given), describes, retires or restores a category. */
  async update(id: number, dto: UpdateCategoryDto): Promise<CategoryDto> {
    if (!(await patchById(this.categories, id, dto))) {
      throw new AppError('CATEGORY_NOT_FOUND', `Category ${id} not found`);
    }
    await this.changed();
    return CategoryDto.from(await this.categories.findOneByOrFail({ id }));
  }

  /** The category list, and job payloads that embed the category's name. */
  private changed(): Promise<void> {
    return this.cache.invalidate('locations', 'jobs');
  }
}

import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
import { CategoryDto } from './dto/category.dto.js';
import { JobCategory } from './job-category.entity.js';
import { AppError } from '../common/error-codes.js';

@Injectable()
export class CategoriesService {
  constructor(
    @InjectRepository(JobCategory) private readonly categories: Repository<JobCategory>,
  ) {}

  async list(): Promise<CategoryDto[]> {
    const rows = await this.categories.find({ order: { name: 'ASC' } });
    return rows.map(CategoryDto.from);
  }

  async assertExists(categoryId: number): Promise<void> {
    if (!(await this.categories.existsBy({ id: categoryId }))) {
      throw new AppError('CATEGORY_NOT_FOUND', `Category ${categoryId} not found`);
    }
  }
}

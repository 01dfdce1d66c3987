import { ApiProperty } from '@nestjs/swagger';
import { PageMetaDto } from '../../common/page.js';
import type { JobCategory } from '../job-category.entity.js';

export class CategoryDto {
  @ApiProperty() id: number;
  @ApiProperty({ example: 'Massage Therapist' }) name: string;
  @ApiProperty({ example: 'massage-therapist' }) slug: string;
  @ApiProperty({ type: String, nullable: true }) description: string | null;

  static from(this: void, c: JobCategory): CategoryDto {
    return { id: c.id, name: c.name, slug: c.slug, description: c.description };
  }
}

export class CategoryListDto extends PageMetaDto {
  @ApiProperty({ type: [CategoryDto] }) data: CategoryDto[];
}

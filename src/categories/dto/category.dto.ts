import { ApiProperty, PartialType } from '@nestjs/swagger';
import { BoolField, TextField } from '../../common/fields.js';
import { SLUG, SLUG_MESSAGE } from '../../locations/dto/location.dto.js';
import { PageMetaDto } from '../../common/page.js';
import type { JobCategory } from '../job-category.entity.js';

export class CategoryDto {
  @ApiProperty() id: number;
  @ApiProperty({ example: 'Massage Therapist' }) name: string;
  @ApiProperty({ example: 'massage-therapist' }) slug: string;
  @ApiProperty({ type: String, nullable: true }) description: string | null;
  @ApiProperty({ description: 'false once retired (only admins’ writes return retired ones)' })
  isActive: boolean;

  static from(this: void, c: JobCategory): CategoryDto {
    return {
      id: c.id,
      name: c.name,
      slug: c.slug,
      description: c.description,
      isActive: c.isActive,
    };
  }
}

export class CategoryListDto extends PageMetaDto {
  @ApiProperty({ type: [CategoryDto] }) data: CategoryDto[];
}

export class CreateCategoryDto {
  @TextField({ min: 2, max: 80, example: 'Float Therapist' }) name: string;

  @TextField({
    optional: true,
    max: 100,
    pattern: SLUG,
    patternMessage: SLUG_MESSAGE,
    description: 'Default: made from the name; kept when the category is renamed',
    example: 'float-therapist',
  })
  slug?: string;

  @TextField({ optional: true, nullable: true, max: 2000, example: 'Runs float tank sessions' })
  description?: string | null;
}

// skipNullProperties: false — null is validated (and refused) unless the field is nullable
export class UpdateCategoryDto extends PartialType(CreateCategoryDto, {
  skipNullProperties: false,
}) {
  @BoolField({ optional: true, description: 'false retires the category' })
  isActive?: boolean;
}

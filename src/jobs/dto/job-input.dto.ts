import { PartialType, PickType } from '@nestjs/swagger';
import { BoolField, DateTimeField, EnumField, IntField, TextField } from '../../common/fields.js';
import { PageQueryDto } from '../../common/page.js';
import { EMPLOYMENT_TYPES, type EmploymentType } from '../job.entity.js';

export const MAX_SALARY = 10_000_000;

export class CreateJobDto {
  @IntField({ description: 'A spa the caller owns (any spa for admins)' }) spaId: number;
  @IntField() categoryId: number;
  @TextField({ min: 3, max: 150, example: 'Licensed Massage Therapist' }) title: string;
  @TextField({
    min: 20,
    max: 10_000,
    example: 'Deliver relaxing massage treatments to our guests in a calm day spa.',
  })
  description: string;
  @TextField({ optional: true, nullable: true, max: 5000, example: 'A state massage licence' })
  requirements?: string | null;
  @EnumField(EMPLOYMENT_TYPES, { optional: true, description: 'Default full_time' })
  employmentType?: EmploymentType;
  @IntField({
    optional: true,
    nullable: true,
    min: 0,
    max: MAX_SALARY,
    description: 'Yearly, USD',
    example: 45_000,
  })
  salaryMin?: number | null;
  @IntField({
    optional: true,
    nullable: true,
    min: 0,
    max: MAX_SALARY,
    description: 'Yearly, USD',
    example: 60_000,
  })
  salaryMax?: number | null;
  @DateTimeField({
    optional: true,
    nullable: true,
    description:
      'In the future; hidden from listings after (its detail answers 410). Left out on create, or null: JOB_TTL_DAYS (30) from now',
  })
  expiresAt?: Date | null;
  @BoolField({ optional: true, description: 'Admin only' }) isFeatured?: boolean;
}

export class UpdateJobDto extends PartialType(
  PickType(CreateJobDto, [
    'categoryId',
    'title',
    'description',
    'requirements',
    'employmentType',
    'salaryMin',
    'salaryMax',
    'expiresAt',
    'isFeatured',
  ] as const),
  // null is validated (and refused) unless the field is nullable
  { skipNullProperties: false },
) {
  @BoolField({
    optional: true,
    description:
      'Close (false) or reopen (true) the posting; a job an admin closed only an admin reopens',
  })
  isActive?: boolean;
}

export const JOB_SORTS = ['newest', 'popular', 'salary'] as const;
export type JobSort = (typeof JOB_SORTS)[number];

export class ListJobsQueryDto extends PageQueryDto {
  @IntField({ optional: true }) stateId?: number;
  @IntField({ optional: true }) cityId?: number;
  @IntField({ optional: true }) spaId?: number;
  @IntField({ optional: true }) categoryId?: number;
  @EnumField(EMPLOYMENT_TYPES, { optional: true }) employmentType?: EmploymentType;
  @BoolField({ optional: true }) featured?: boolean;
  @IntField({
    optional: true,
    min: 0,
    max: MAX_SALARY,
    description: 'Jobs whose salaryMin is at least this',
  })
  salaryMin?: number;
  @TextField({
    optional: true,
    max: 200,
    description: 'Full-text search over title and description',
  })
  q?: string;
  @EnumField(JOB_SORTS, {
    optional: true,
    description: 'newest (default), popular (views) or salary',
  })
  sort?: JobSort;
}

export class ListMyJobsQueryDto extends PageQueryDto {
  @IntField({ optional: true, description: 'Only this spa’s jobs' }) spaId?: number;
}

import { ApiProperty } from '@nestjs/swagger';
import { PageMetaDto } from '../../common/page.js';
import { CategoryRefDto, CityRefDto, StateRefDto } from '../../common/refs.dto.js';
import { EMPLOYMENT_TYPES, type EmploymentType } from '../job.entity.js';

export class JobSpaRefDto {
  @ApiProperty() id: number;
  @ApiProperty() slug: string;
  @ApiProperty() name: string;
  @ApiProperty() isVerified: boolean;
  @ApiProperty() rating: number;
}

/** A job in a list: everything public but the full texts. No poster, e-mail or phone, ever. */
export class JobSummaryDto {
  @ApiProperty() id: number;
  @ApiProperty({ example: 'licensed-massage-therapist-palm-springs-k3x9q2' }) slug: string;
  @ApiProperty({ example: 'Licensed Massage Therapist' }) title: string;
  @ApiProperty({ description: 'The first 200 characters of the description' }) excerpt: string;
  @ApiProperty({ enum: EMPLOYMENT_TYPES }) employmentType: EmploymentType;
  @ApiProperty({ type: Number, nullable: true, description: 'Yearly, USD' }) salaryMin:
    number | null;
  @ApiProperty({ type: Number, nullable: true, description: 'Yearly, USD' }) salaryMax:
    number | null;
  @ApiProperty() isFeatured: boolean;
  @ApiProperty({ description: 'Views counted so far (flushed every few seconds)' })
  viewCount: number;
  @ApiProperty({ type: Date, nullable: true }) expiresAt: Date | null;
  @ApiProperty() createdAt: Date;
  @ApiProperty({ type: JobSpaRefDto }) spa: JobSpaRefDto;
  @ApiProperty({ type: CategoryRefDto }) category: CategoryRefDto;
  @ApiProperty({ type: CityRefDto }) city: CityRefDto;
  @ApiProperty({ type: StateRefDto }) state: StateRefDto;
}

export class JobDto extends JobSummaryDto {
  @ApiProperty() description: string;
  @ApiProperty({ type: String, nullable: true }) requirements: string | null;
  @ApiProperty({ description: 'false once closed or deleted' }) isActive: boolean;
  @ApiProperty() updatedAt: Date;
}

export class JobPageDto extends PageMetaDto {
  @ApiProperty({ type: [JobSummaryDto] }) data: JobSummaryDto[];
}

/** A job in its owner's (or an admin's) own list: closed and expired ones too. */
export class OwnJobSummaryDto extends JobSummaryDto {
  @ApiProperty({ description: 'false once closed' }) isActive: boolean;
  @ApiProperty({ description: 'Closed by an admin: only an admin can reopen it' })
  closedByAdmin: boolean;
}

/** A job as its owner (or an admin) sees it, whatever its state. */
export class OwnJobDto extends JobDto {
  @ApiProperty({ description: 'Closed by an admin: only an admin can reopen it' })
  closedByAdmin: boolean;
}

export class OwnJobPageDto extends PageMetaDto {
  @ApiProperty({ type: [OwnJobSummaryDto] }) data: OwnJobSummaryDto[];
}

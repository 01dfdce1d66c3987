import { ApiProperty } from '@nestjs/swagger';
import { EnumField, TextField } from '../../common/fields.js';
import { PageMetaDto, PageQueryDto } from '../../common/page.js';
import { EMPLOYER_STATUSES } from '../application-status.js';
import { APPLICATION_STATUSES, type ApplicationStatus } from '../application.entity.js';

export class ApplicationJobRefDto {
  @ApiProperty() id: number;
  @ApiProperty() slug: string;
  @ApiProperty() title: string;
  @ApiProperty() spaId: number;
  @ApiProperty() spaName: string;
}

/**
 * The applicant's contact details, shown only to the applicant, the spa's owner (whom they
 * applied to) and admins.
 */
export class ApplicantDto {
  @ApiProperty() id: number;
  @ApiProperty() fullName: string;
  @ApiProperty() email: string;
  @ApiProperty({ type: String, nullable: true }) phone: string | null;
}

export class ApplicationDto {
  @ApiProperty() id: number;
  @ApiProperty({ enum: APPLICATION_STATUSES }) status: ApplicationStatus;
  @ApiProperty({ type: String, nullable: true }) coverLetter: string | null;
  @ApiProperty({
    description:
      'Download with GET /api/v1/applications/{id}/resume; withdrawing deletes the resume',
  })
  hasResume: boolean;
  @ApiProperty({ type: ApplicationJobRefDto }) job: ApplicationJobRefDto;
  @ApiProperty({ type: ApplicantDto }) applicant: ApplicantDto;
  @ApiProperty() createdAt: Date;
  @ApiProperty() updatedAt: Date;
}

export class ApplicationPageDto extends PageMetaDto {
  @ApiProperty({ type: [ApplicationDto] }) data: ApplicationDto[];
}

export class ApplyDto {
  @TextField({
    optional: true,
    max: 5000,
    example: 'I have five years of experience in day spas and would love to join.',
  })
  coverLetter?: string;
}

export class ApplyMultipartDto extends ApplyDto {
  @ApiProperty({
    type: 'string',
    format: 'binary',
    required: false,
    description: 'PDF, at most MAX_UPLOAD_MB',
  })
  resume?: unknown;
}

export class UpdateApplicationDto {
  @EnumField(EMPLOYER_STATUSES, { example: 'shortlisted' }) status: ApplicationStatus;
}

export class ListApplicationsQueryDto extends PageQueryDto {}

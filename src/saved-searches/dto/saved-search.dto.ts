import { ApiProperty, OmitType, PartialType } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsObject, ValidateNested } from 'class-validator';
import { EnumField, TextField } from '../../common/fields.js';
import { PageMetaDto } from '../../common/page.js';
import { ListJobsQueryDto } from '../../jobs/dto/job-input.dto.js';
import { ALERT_FREQUENCIES, type AlertFrequency } from '../saved-search.entity.js';

/**
 * The filters of `GET /jobs`, validated by its own DTO (so a filter means here what it means
 * there), without the page and the order, which an alert does not have.
 */
export class SavedSearchFiltersDto extends OmitType(ListJobsQueryDto, [
  'limit',
  'cursor',
  'sort',
] as const) {}

export class CreateSavedSearchDto {
  @TextField({ min: 1, max: 100, example: 'Massage jobs in Palm Springs' }) name: string;

  @ApiProperty({
    type: SavedSearchFiltersDto,
    description: 'The filters of a GET /jobs query ({} matches every open job)',
    example: { cityId: 1, q: 'massage' },
  })
  @IsObject({ message: 'filters must be an object of GET /jobs filters' })
  @ValidateNested()
  @Type(() => SavedSearchFiltersDto)
  filters: SavedSearchFiltersDto;

  @EnumField(ALERT_FREQUENCIES, {
    optional: true,
    description:
      'instant (default): a mail per new matching job, within minutes; daily: one digest a day; off',
  })
  frequency?: AlertFrequency;
}

export class UpdateSavedSearchDto extends PartialType(CreateSavedSearchDto, {
  skipNullProperties: false,
}) {}

export class SavedSearchDto {
  @ApiProperty() id: number;
  @ApiProperty({ example: 'Massage jobs in Palm Springs' }) name: string;
  @ApiProperty({ type: SavedSearchFiltersDto }) filters: SavedSearchFiltersDto;
  @ApiProperty({ enum: ALERT_FREQUENCIES }) frequency: AlertFrequency;
  @ApiProperty({ type: Date, nullable: true, description: 'When the last daily digest went out' })
  lastDigestAt: Date | null;
  @ApiProperty() createdAt: Date;
  @ApiProperty() updatedAt: Date;
}

export class SavedSearchPageDto extends PageMetaDto {
  @ApiProperty({ type: [SavedSearchDto] }) data: SavedSearchDto[];
}

/** What an unsubscribe link did: this search mails nothing any more. */
export class SavedSearchUnsubscribedDto {
  @ApiProperty() id: number;
  @ApiProperty({ enum: ['off'] }) frequency: 'off';
}

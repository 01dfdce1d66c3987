import { ApiProperty, PartialType } from '@nestjs/swagger';
import {
  BoolField,
  EnumField,
  IntField,
  NumberField,
  TextField,
  UrlField,
} from '../../common/fields.js';
import { PageQueryDto } from '../../common/page.js';

export class CreateSpaDto {
  @TextField({ min: 2, max: 120, example: 'Serenity Day Spa' }) name: string;
  @TextField({
    optional: true,
    nullable: true,
    max: 5000,
    example: 'A calm day spa with six treatment rooms and a eucalyptus steam room.',
  })
  description?: string | null;
  @TextField({ optional: true, nullable: true, max: 255, example: '120 Palm Canyon Drive' })
  address?: string | null;
  @UrlField({ optional: true, nullable: true, max: 255, example: 'https://serenity.example' })
  website?: string | null;
  @IntField({ description: 'The spa’s city; its state follows from it' }) cityId: number;
}

/** Only admins may send the moderation fields (rating, isVerified, isActive). */
// skipNullProperties: false — null is validated (and refused) unless the field is nullable
export class UpdateSpaDto extends PartialType(CreateSpaDto, { skipNullProperties: false }) {
  @NumberField({
    optional: true,
    min: 0,
    max: 5,
    decimals: 2,
    description: 'Admin only',
    example: 4.5,
  })
  rating?: number;
  @BoolField({ optional: true, description: 'Admin only' }) isVerified?: boolean;
  @BoolField({ optional: true, description: 'Admin only; false hides the spa and its jobs' })
  isActive?: boolean;
}

export const ADMIN_ONLY_SPA_FIELDS = ['rating', 'isVerified', 'isActive'] as const;

export const SPA_SORTS = ['newest', 'rating'] as const;
export type SpaSort = (typeof SPA_SORTS)[number];

export class ListSpasQueryDto extends PageQueryDto {
  @IntField({ optional: true }) stateId?: number;
  @IntField({ optional: true }) cityId?: number;
  @NumberField({ optional: true, min: 0, max: 5, decimals: 2 }) minRating?: number;
  @TextField({ optional: true, max: 200, description: 'Words in the name or description' })
  q?: string;
  @EnumField(SPA_SORTS, { optional: true, description: 'Default newest' }) sort?: SpaSort;
}

export class SpaImageUploadDto {
  @ApiProperty({
    type: 'string',
    format: 'binary',
    description: 'JPEG, PNG or WebP, at most MAX_UPLOAD_MB',
  })
  image: unknown;
}

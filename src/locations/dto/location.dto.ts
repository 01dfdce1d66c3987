import { ApiProperty, OmitType, PartialType } from '@nestjs/swagger';
import { PageMetaDto, PageQueryDto } from '../../common/page.js';
import { BoolField, IntField, TextField } from '../../common/fields.js';
import type { City } from '../city.entity.js';
import type { State } from '../state.entity.js';

export class StateDto {
  @ApiProperty() id: number;
  @ApiProperty({ example: 'CA' }) code: string;
  @ApiProperty({ example: 'California' }) name: string;
  @ApiProperty({ example: 'california' }) slug: string;
  @ApiProperty({ description: 'false once retired (only admins’ writes return retired ones)' })
  isActive: boolean;

  static from(this: void, s: State): StateDto {
    return { id: s.id, code: s.code, name: s.name, slug: s.slug, isActive: s.isActive };
  }
}

export class CityDto {
  @ApiProperty() id: number;
  @ApiProperty({ example: 'Palm Springs' }) name: string;
  @ApiProperty({ example: 'palm-springs' }) slug: string;
  @ApiProperty() stateId: number;
  @ApiProperty({ description: 'false once retired (only admins’ writes return retired ones)' })
  isActive: boolean;

  static from(this: void, c: City): CityDto {
    return { id: c.id, name: c.name, slug: c.slug, stateId: c.stateId, isActive: c.isActive };
  }
}

export class StateListDto extends PageMetaDto {
  @ApiProperty({ type: [StateDto] }) data: StateDto[];
}

export class CityPageDto extends PageMetaDto {
  @ApiProperty({ type: [CityDto] }) data: CityDto[];
}

export class ListCitiesQueryDto extends PageQueryDto {
  @IntField({ optional: true, description: 'Only cities of this state' })
  stateId?: number;

  @TextField({ optional: true, max: 100, description: 'Name prefix, case-insensitive' })
  q?: string;
}

/** Lower-case words joined by hyphens, as `slugify` makes them. */
export const SLUG = /^[a-z0-9]+(-[a-z0-9]+)*$/;
export const SLUG_MESSAGE = 'slug must be lower-case letters and digits joined by hyphens';

export class CreateStateDto {
  @TextField({
    min: 2,
    max: 2,
    pattern: /^[A-Z]{2}$/,
    patternMessage: 'code must be two upper-case letters',
    example: 'PR',
  })
  code: string;

  @TextField({ min: 2, max: 64, example: 'Puerto Rico' }) name: string;

  @TextField({
    optional: true,
    max: 80,
    pattern: SLUG,
    patternMessage: SLUG_MESSAGE,
    description: 'Default: made from the name; kept when the state is renamed',
    example: 'puerto-rico',
  })
  slug?: string;
}

// skipNullProperties: false — null is validated (and refused): every field here is required
export class UpdateStateDto extends PartialType(CreateStateDto, { skipNullProperties: false }) {
  @BoolField({ optional: true, description: 'false retires the state (and hides its cities)' })
  isActive?: boolean;
}

export class CreateCityDto {
  @IntField({ description: 'The state it lies in (fixed once created)', example: 5 })
  stateId: number;

  @TextField({ min: 1, max: 100, example: 'Ojai' }) name: string;

  @TextField({
    optional: true,
    max: 120,
    pattern: SLUG,
    patternMessage: SLUG_MESSAGE,
    description: 'Default: made from the name; kept when the city is renamed',
    example: 'ojai',
  })
  slug?: string;
}

export class UpdateCityDto extends PartialType(OmitType(CreateCityDto, ['stateId'] as const), {
  skipNullProperties: false,
}) {
  @BoolField({ optional: true, description: 'false retires the city' })
  isActive?: boolean;
}

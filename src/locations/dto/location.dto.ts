import { ApiProperty } from '@nestjs/swagger';
import { PageMetaDto, PageQueryDto } from '../../common/page.js';
import { IntField, TextField } from '../../common/fields.js';
import type { City } from '../city.entity.js';
import type { State } from '../state.entity.js';

export class StateDto {
  @ApiProperty() id: number;
  @ApiProperty({ example: 'CA' }) code: string;
  @ApiProperty({ example: 'California' }) name: string;
  @ApiProperty({ example: 'california' }) slug: string;

  static from(this: void, s: State): StateDto {
    return { id: s.id, code: s.code, name: s.name, slug: s.slug };
  }
}

export class CityDto {
  @ApiProperty() id: number;
  @ApiProperty({ example: 'Palm Springs' }) name: string;
  @ApiProperty({ example: 'palm-springs' }) slug: string;
  @ApiProperty() stateId: number;

  static from(this: void, c: City): CityDto {
    return { id: c.id, name: c.name, slug: c.slug, stateId: c.stateId };
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

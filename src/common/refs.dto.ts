import { ApiProperty } from '@nestjs/swagger';

/** Small embedded references shared by spa and job payloads. */
export class CityRefDto {
  @ApiProperty() id: number;
  @ApiProperty({ example: 'Palm Springs' }) name: string;
  @ApiProperty({ example: 'palm-springs' }) slug: string;
}

export class StateRefDto {
  @ApiProperty() id: number;
  @ApiProperty({ example: 'CA' }) code: string;
  @ApiProperty({ example: 'California' }) name: string;
  @ApiProperty({ example: 'california' }) slug: string;
}

export class CategoryRefDto {
  @ApiProperty() id: number;
  @ApiProperty({ example: 'Massage Therapist' }) name: string;
  @ApiProperty({ example: 'massage-therapist' }) slug: string;
}

import { ApiProperty } from '@nestjs/swagger';
import { PageMetaDto } from '../../common/page.js';
import { CityRefDto, StateRefDto } from '../../common/refs.dto.js';
import type { Spa } from '../spa.entity.js';

/** A spa as anyone may see it: no owner, no e-mail, no phone. */
export class SpaDto {
  @ApiProperty() id: number;
  @ApiProperty({ example: 'serenity-day-spa-palm-springs' }) slug: string;
  @ApiProperty({ example: 'Serenity Day Spa' }) name: string;
  @ApiProperty({ type: String, nullable: true }) description: string | null;
  @ApiProperty({ type: String, nullable: true }) address: string | null;
  @ApiProperty({ type: String, nullable: true }) website: string | null;
  @ApiProperty({ type: CityRefDto }) city: CityRefDto;
  @ApiProperty({ type: StateRefDto }) state: StateRefDto;
  @ApiProperty({ type: [String], example: ['/uploads/spas/0b9c….webp'] }) images: string[];
  @ApiProperty({ example: 4.5 }) rating: number;
  @ApiProperty() isVerified: boolean;
  @ApiProperty() isActive: boolean;
  @ApiProperty() createdAt: Date;
  @ApiProperty() updatedAt: Date;

  /** Needs `city` and `state` loaded. */
  static from(this: void, s: Spa): SpaDto {
    return {
      id: s.id,
      slug: s.slug,
      name: s.name,
      description: s.description,
      address: s.address,
      website: s.website,
      city: { id: s.city!.id, name: s.city!.name, slug: s.city!.slug },
      state: { id: s.state!.id, code: s.state!.code, name: s.state!.name, slug: s.state!.slug },
      images: s.images,
      rating: s.rating,
      isVerified: s.isVerified,
      isActive: s.isActive,
      createdAt: s.createdAt,
      updatedAt: s.updatedAt,
    };
  }
}

export class SpaPageDto extends PageMetaDto {
  @ApiProperty({ type: [SpaDto] }) data: SpaDto[];
}

export class ImageUrlDto {
  @ApiProperty({ example: '/uploads/spas/3f0c2a9e-….webp' }) url: string;
}

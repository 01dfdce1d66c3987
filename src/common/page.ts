import { ApiProperty } from '@nestjs/swagger';
import { IntField, TextField } from './fields.js';

export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 100;

/** For routes without query parameters: anything sent is refused (400), not ignored. */
export class NoQueryDto {}

export class PageQueryDto {
  @IntField({ optional: true, min: 1, max: MAX_PAGE_SIZE, description: 'Page size (default 20)' })
  limit?: number;

  @TextField({ optional: true, max: 512, description: 'Opaque cursor from the previous page' })
  cursor?: string;
}

export interface Page<T> {
  data: T[];
  nextCursor: string | null;
}

/** Documents `{ data, nextCursor }` for OpenAPI; subclasses declare the item type. */
export class PageMetaDto {
  @ApiProperty({
    type: String,
    nullable: true,
    description: 'Cursor of the next page; null on the last page',
  })
  nextCursor: string | null;
}

/**
 * Builds a page from `limit + 1` fetched rows: the extra row only tells that a next page exists.
 */
export function toPage<R, T>(
  rows: R[],
  limit: number,
  map: (row: R) => T,
  cursorOf: (last: R) => string,
): Page<T> {
  const hasMore = rows.length > limit;
  const pageRows = hasMore ? rows.slice(0, limit) : rows;
  return {
    data: pageRows.map(map),
    nextCursor: hasMore ? cursorOf(pageRows[pageRows.length - 1]) : null,
  };
}

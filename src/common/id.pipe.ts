import { Injectable, type ArgumentMetadata, type PipeTransform } from '@nestjs/common';
import { AppError } from './error-codes.js';

const MAX_ID = 2_147_483_647;
const SLUG = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;

/** A path id: a positive 32-bit integer, or a 400 naming the parameter. */
@Injectable()
export class IdPipe implements PipeTransform<string, number> {
  transform(value: string, meta: ArgumentMetadata): number {
    const id = /^\d{1,10}$/.test(value) ? Number(value) : NaN;
    if (!(id >= 1 && id <= MAX_ID)) {
      throw new AppError('VALIDATION_FAILED', `${meta.data ?? 'id'} must be a positive integer`);
    }
    return id;
  }
}

export type IdOrSlug = { id: number; slug?: undefined } | { slug: string; id?: undefined };

/**
 * `GET /x/:idOrSlug`: digits are an id, anything else a slug. Text that cannot be a slug cannot
 * name a row, so it is a 404 like any absent row.
 */
@Injectable()
export class IdOrSlugPipe implements PipeTransform<string, IdOrSlug> {
  transform(value: string): IdOrSlug {
    if (/^\d{1,10}$/.test(value) && Number(value) >= 1 && Number(value) <= MAX_ID)
      return { id: Number(value) };
    if (value.length <= 200 && SLUG.test(value)) return { slug: value };
    throw new AppError('NOT_FOUND', 'Not found');
  }
}

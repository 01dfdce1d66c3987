import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import {
  IsBoolean,
  IsIn,
  IsInt,
  IsDate,
  isISO8601,
  IsNumber,
  IsOptional,
  IsUrl,
  ValidateIf,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
  MinLength,
} from 'class-validator';

/**
 * One-line field decorators: validation, the transform from query/multipart strings,
 * and the OpenAPI schema, kept together so they cannot drift apart.
 */

interface Common {
  /** May be left out (undefined); null is still refused unless `nullable`. */
  optional?: boolean;
  /** May be sent as null, to clear the value. */
  nullable?: boolean;
  description?: string;
  example?: unknown;
}

const INTEGER_TEXT = /^-?\d{1,16}$/;

function doc(opts: Common, schema: Record<string, unknown>) {
  const base = {
    description: opts.description,
    example: opts.example,
    nullable: opts.nullable,
    ...schema,
  };
  return opts.optional ? ApiPropertyOptional(base) : ApiProperty(base);
}

function optionalIf(opts: Common) {
  if (opts.nullable) return [IsOptional()];
  return opts.optional ? [ValidateIf((_: object, value: unknown) => value !== undefined)] : [];
}

/** An integer, from JSON or from a query string; "12abc", "1.5" and "" are refused, not coerced. */
export function IntField(opts: Common & { min?: number; max?: number } = {}) {
  const { min = 1, max = 2_147_483_647 } = opts;
  return applyDecorators(
    Transform(({ value }: { value: unknown }) =>
      typeof value === 'string' && INTEGER_TEXT.test(value.trim()) ? Number(value.trim()) : value,
    ),
    ...optionalIf(opts),
    IsInt(),
    Min(min),
    Max(max),
    doc(opts, { type: 'integer', minimum: min, maximum: max }),
  );
}

/** A boolean, from JSON or from the query words "true"/"false". */
export function BoolField(opts: Common = {}) {
  return applyDecorators(
    Transform(({ value }: { value: unknown }) =>
      value === 'true' ? true : value === 'false' ? false : value,
    ),
    ...optionalIf(opts),
    IsBoolean(),
    doc(opts, { type: 'boolean' }),
  );
}

/** A trimmed string (unless `trim: false`) with length bounds; control characters are refused. */
export function TextField(
  opts: Common & {
    min?: number;
    max: number;
    pattern?: RegExp;
    patternMessage?: string;
    trim?: boolean;
  },
) {
  const { min = 1, trim = true } = opts;
  return applyDecorators(
    ...(trim
      ? [
          Transform(({ value }: { value: unknown }) =>
            typeof value === 'string' ? value.trim() : value,
          ),
        ]
      : []),
    ...optionalIf(opts),
    IsString(),
    MinLength(min),
    MaxLength(opts.max),
    // eslint-disable-next-line no-control-regex
    Matches(/^[^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]*$/, {
      message: ({ property }) => `${property} must not contain control characters`,
    }),
    ...(opts.pattern
      ? [Matches(opts.pattern, opts.patternMessage ? { message: opts.patternMessage } : {})]
      : []),
    doc(opts, { type: 'string', minLength: min, maxLength: opts.max }),
  );
}

/** One of a fixed list of strings. */
export function EnumField(values: readonly string[], opts: Common = {}) {
  return applyDecorators(
    ...optionalIf(opts),
    IsIn(values, { message: ({ property }) => `${property} must be one of: ${values.join(', ')}` }),
    doc(opts, { enum: values }),
  );
}

/** A decimal number with at most `decimals` places, from JSON or a query string. */
export function NumberField(opts: Common & { min: number; max: number; decimals: number }) {
  return applyDecorators(
    Transform(({ value }: { value: unknown }) =>
      typeof value === 'string' && /^-?\d{1,12}(\.\d{1,12})?$/.test(value.trim())
        ? Number(value.trim())
        : value,
    ),
    ...optionalIf(opts),
    IsNumber({ allowNaN: false, allowInfinity: false, maxDecimalPlaces: opts.decimals }),
    Min(opts.min),
    Max(opts.max),
    doc(opts, { type: 'number', minimum: opts.min, maximum: opts.max }),
  );
}

/** An http(s) URL. */
export function UrlField(opts: Common & { max: number }) {
  return applyDecorators(
    Transform(({ value }: { value: unknown }) =>
      typeof value === 'string' ? value.trim() : value,
    ),
    ...optionalIf(opts),
    MaxLength(opts.max),
    IsUrl(
      { protocols: ['http', 'https'], require_protocol: true },
      { message: ({ property }) => `${property} must be an http(s) URL` },
    ),
    doc(opts, { type: 'string', format: 'uri', maxLength: opts.max }),
  );
}

/** An ISO 8601 date-time (text in, Date out); anything else stays as sent and fails validation. */
export function DateTimeField(opts: Common = {}) {
  return applyDecorators(
    Transform(({ value }: { value: unknown }) =>
      typeof value === 'string' && isISO8601(value, { strict: true }) ? new Date(value) : value,
    ),
    ...optionalIf(opts),
    IsDate({ message: ({ property }) => `${property} must be an ISO 8601 date-time` }),
    doc(opts, { type: 'string', format: 'date-time' }),
  );
}

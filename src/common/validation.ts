import { ValidationPipe, type ArgumentMetadata, type ValidationError } from '@nestjs/common';
import { AppError } from './error-codes.js';
import { RESERVED_KEYS, reservedKeyError } from './http-edge.js';

export interface FieldProblem {
  field: string;
  message: string;
}

function flatten(errors: ValidationError[], parent = ''): FieldProblem[] {
  return errors.flatMap((e) => {
    const field = parent ? `${parent}.${e.property}` : e.property;
    const own = Object.values(e.constraints ?? {}).map((message) => ({ field, message }));
    return [...own, ...flatten(e.children ?? [], field)];
  });
}

/**
 * Leaves a single route param or query value as the text it came as, for its own pipe to judge.
 * Nest would convert a `number` param with `+value` before IdPipe runs, so `/jobs/1e3` would be
 * job 1000 and `/jobs/0x10` job 16 instead of a 400.
 */
class AppValidationPipe extends ValidationPipe {
  protected override transformPrimitive(value: unknown): unknown {
    return value;
  }

  override transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    return super.transform(
      metadata.type === 'query' ? withoutEmptyValues(value) : value,
      metadata,
    ) as Promise<unknown>;
  }
}

/**
 * HTML forms send every field, filled or not (`?q=&cityId=`): an empty value means "not given".
 * A reserved key (`__proto__`, `constructor`) is refused by name like any unknown key.
 */
function withoutEmptyValues(value: unknown): unknown {
  if (value === '') return undefined;
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return value;
  const reserved = RESERVED_KEYS.find((key) => Object.hasOwn(value, key));
  if (reserved) throw reservedKeyError(reserved);
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== ''));
}

/**
 * Whitelist, refuse unknown fields, transform; the 400 names every bad field, e.g.
 * `{ message: "limit must not be greater than 100", code: "VALIDATION_FAILED", details: [...] }`.
 */
export function createValidationPipe(): ValidationPipe {
  return new AppValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    transformOptions: { enableImplicitConversion: false },
    validationError: { target: false, value: false },
    stopAtFirstError: true,
    exceptionFactory: (errors) => {
      const details = flatten(errors);
      return new AppError('VALIDATION_FAILED', details.map((d) => d.message).join('; '), details);
    },
  });
}

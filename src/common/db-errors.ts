import { HttpStatus } from '@nestjs/common';
import { QueryFailedError } from 'typeorm';

export interface MappedError {
  status: number;
  code: string;
  message: string;
}

/** What a violated constraint means to a client. Names are fixed by the migrations. */
const CONSTRAINTS: Record<string, MappedError> = {
  uq_users_email: {
    status: HttpStatus.CONFLICT,
    code: 'EMAIL_TAKEN',
    message: 'An account with this email already exists',
  },
  uq_applications_job_applicant: {
    status: HttpStatus.CONFLICT,
    code: 'ALREADY_APPLIED',
    message: 'You have already applied to this job',
  },
  ck_jobs_salary: {
    status: HttpStatus.BAD_REQUEST,
    code: 'VALIDATION_FAILED',
    message: 'salaryMin must not be greater than salaryMax',
  },
};

const UNAVAILABLE: MappedError = {
  status: HttpStatus.SERVICE_UNAVAILABLE,
  code: 'DATABASE_UNAVAILABLE',
  message: 'The database is unavailable; try again shortly',
};

const CONNECTION_ERROR_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EHOSTUNREACH',
  '57P01', // admin_shutdown
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now
  '53300', // too_many_connections
]);

const CONNECTION_MESSAGES = [
  'timeout exceeded when trying to connect',
  'Connection terminated',
  'Client has encountered a connection error',
  'connection is closed',
];

interface PgError {
  code?: string;
  constraint?: string;
  column?: string;
  message?: string;
}

const camelCase = (column: string): string =>
  column.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());

/** True when the error means "the database is not reachable right now", not a bad query. */
export function isConnectionError(err: unknown): boolean {
  const e = (err instanceof QueryFailedError ? err.driverError : err) as PgError | undefined;
  if (!e) return false;
  if (e.code && (CONNECTION_ERROR_CODES.has(e.code) || e.code.startsWith('08'))) return true;
  return CONNECTION_MESSAGES.some((m) => e.message?.includes(m));
}

/** Maps a database error to a client error, or undefined when it is a real fault (500). */
export function mapDatabaseError(err: unknown): MappedError | undefined {
  if (isConnectionError(err)) return UNAVAILABLE;
  if (!(err instanceof QueryFailedError)) return undefined;
  const driver = err.driverError as PgError;
  const known = driver.constraint ? CONSTRAINTS[driver.constraint] : undefined;
  if (known) return known;
  switch (driver.code) {
    case '23505':
      return {
        status: HttpStatus.CONFLICT,
        code: 'DUPLICATE',
        message: 'This record already exists',
      };
    case '23503':
      return /^update or delete/.test(driver.message ?? '')
        ? {
            status: HttpStatus.CONFLICT,
            code: 'IN_USE',
            message: 'This record is still referenced',
          }
        : {
            status: HttpStatus.NOT_FOUND,
            code: 'REFERENCE_NOT_FOUND',
            message: 'A referenced record does not exist',
          };
    case '23502':
      return {
        status: HttpStatus.BAD_REQUEST,
        code: 'VALIDATION_FAILED',
        // the column is the API field in snake_case; naming it tells the client what to fix
        message: driver.column
          ? `${camelCase(driver.column)} must not be null`
          : 'A required field is missing',
      };
    case '22001':
    case '22003':
    case '22P02':
      return {
        status: HttpStatus.BAD_REQUEST,
        code: 'VALIDATION_FAILED',
        message: 'A value is out of range or malformed',
      };
    case '57014':
      return {
        status: HttpStatus.SERVICE_UNAVAILABLE,
        code: 'DATABASE_TIMEOUT',
        message: 'The request took too long; try again shortly',
      };
    default:
      return undefined;
  }
}

/** True when `err` is a unique violation of the named constraint. */
export function isUniqueViolation(err: unknown, constraint: string): boolean {
  if (!(err instanceof QueryFailedError)) return false;
  const driver = err.driverError as PgError;
  return driver.code === '23505' && driver.constraint === constraint;
}

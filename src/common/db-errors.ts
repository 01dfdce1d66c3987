import { QueryFailedError, QueryRunnerAlreadyReleasedError } from 'typeorm';
import { AppError } from './error-codes.js';

/** What a violated constraint means to a client. Names are fixed by the migrations. */
const CONSTRAINTS: Record<string, AppError> = {
  uq_users_email: new AppError('EMAIL_TAKEN', 'An account with this email already exists'),
  uq_applications_job_applicant: new AppError(
    'ALREADY_APPLIED',
    'You have already applied to this job',
  ),
  ck_jobs_salary: new AppError('VALIDATION_FAILED', 'salaryMin must not be greater than salaryMax'),
  uq_states_code: new AppError('NAME_TAKEN', 'code: another state has this code'),
  uq_states_name: new AppError('NAME_TAKEN', 'name: another state has this name'),
  uq_states_slug: new AppError('NAME_TAKEN', 'slug: another state has this slug'),
  uq_cities_state_name: new AppError('NAME_TAKEN', 'name: the state has another city of this name'),
  uq_cities_state_slug: new AppError(
    'NAME_TAKEN',
    'slug: the state has another city with this slug',
  ),
  uq_job_categories_name: new AppError('NAME_TAKEN', 'name: another job category has this name'),
  uq_job_categories_slug: new AppError('NAME_TAKEN', 'slug: another job category has this slug'),
};

const UNAVAILABLE = new AppError(
  'DATABASE_UNAVAILABLE',
  'The database is unavailable; try again shortly',
);

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
  // TypeORM's own word for a connection the pool dropped under the query (the server went away)
  if (err instanceof QueryRunnerAlreadyReleasedError) return true;
  const e = (err instanceof QueryFailedError ? err.driverError : err) as PgError | undefined;
  if (!e) return false;
  if (e.code && (CONNECTION_ERROR_CODES.has(e.code) || e.code.startsWith('08'))) return true;
  return CONNECTION_MESSAGES.some((m) => e.message?.includes(m));
}

/** Maps a database error to a client error, or undefined when it is a real fault (500). */
export function mapDatabaseError(err: unknown): AppError | undefined {
  if (isConnectionError(err)) return UNAVAILABLE;
  if (!(err instanceof QueryFailedError)) return undefined;
  const driver = err.driverError as PgError;
  const known = driver.constraint ? CONSTRAINTS[driver.constraint] : undefined;
  if (known) return known;
  switch (driver.code) {
    case '23505':
      return new AppError('DUPLICATE', 'This record already exists');
    case '23503':
      return /^update or delete/.test(driver.message ?? '')
        ? new AppError('IN_USE', 'This record is still referenced')
        : new AppError('REFERENCE_NOT_FOUND', 'A referenced record does not exist');
    case '23502':
      // the column is the API field in snake_case; naming it tells the client what to fix
      return new AppError(
        'VALIDATION_FAILED',
        driver.column
          ? `${camelCase(driver.column)} must not be null`
          : 'A required field is missing',
      );
    case '22001':
    case '22003':
    case '22P02':
      return new AppError('VALIDATION_FAILED', 'A value is out of range or malformed');
    case '57014':
      return new AppError('DATABASE_TIMEOUT', 'The request took too long; try again shortly');
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

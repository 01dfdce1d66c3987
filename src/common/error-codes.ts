import { HttpException } from '@nestjs/common';

/**
 * The one catalogue of error codes: every error body's `code` is a key of this object, with
 * the HTTP status it always comes with. Clients switch on `code`; the OpenAPI document lists
 * the catalogue as the enum of the error schema. Add a code here, never a bare string elsewhere.
 */
export const ERROR_CATALOGUE = {
  BAD_REQUEST: { status: 400, description: 'The request is malformed' },
  VALIDATION_FAILED: {
    status: 400,
    description: 'A field or parameter is invalid; details name each',
  },
  INVALID_JSON: { status: 400, description: 'The body is not valid JSON' },
  BODY_TOO_DEEP: {
    status: 400,
    description: 'The JSON body nests objects and arrays too deeply (32 levels at most)',
  },
  INVALID_CURSOR: {
    status: 400,
    description: 'The cursor was not issued by this server or is malformed',
  },
  FILE_REQUIRED: { status: 400, description: 'A multipart file field is missing or empty' },
  INVALID_CURRENT_PASSWORD: { status: 400, description: 'currentPassword is missing or wrong' },
  WEAK_PASSWORD: {
    status: 400,
    description: 'The password is common or easy to guess; the message says why',
  },
  UNAUTHORIZED: { status: 401, description: 'Authentication is required' },
  TOKEN_MISSING: { status: 401, description: 'No bearer token was sent' },
  TOKEN_INVALID: {
    status: 401,
    description: 'The bearer token is malformed, not signed by this server or has no expiry',
  },
  TOKEN_EXPIRED: { status: 401, description: 'The bearer token has expired; log in again' },
  TOKEN_REVOKED: {
    status: 401,
    description: 'The token was revoked (password change, deactivation or deleted account)',
  },
  INVALID_CREDENTIALS: { status: 401, description: 'Unknown e-mail or wrong password' },
  FORBIDDEN: { status: 403, description: 'Not allowed' },
  FORBIDDEN_ROLE: { status: 403, description: 'The caller’s role may not use this route' },
  ADMIN_ONLY_FIELD: { status: 403, description: 'Only an admin may set this field' },
  JOB_CLOSED_BY_ADMIN: {
    status: 403,
    description: 'An admin closed this job; only an admin can reopen it',
  },
  NOT_APPLICANT: { status: 403, description: 'Only the applicant may do this' },
  NOT_SPA_OWNER: { status: 403, description: 'The spa belongs to another employer' },
  ACCOUNT_DISABLED: { status: 403, description: 'The account is deactivated' },
  NOT_FOUND: { status: 404, description: 'No such resource (or the caller may not see it)' },
  USER_NOT_FOUND: { status: 404, description: 'No such user' },
  SPA_NOT_FOUND: { status: 404, description: 'No such spa (or not visible to the caller)' },
  JOB_NOT_FOUND: { status: 404, description: 'No such job (or not visible to the caller)' },
  JOB_NOT_OPEN: { status: 404, description: 'The job is not open for applications' },
  APPLICATION_NOT_FOUND: { status: 404, description: 'No such application (or not visible)' },
  FAILED_JOB_NOT_FOUND: {
    status: 404,
    description: 'No such job in the dead-letter queue (it may have been retried already)',
  },
  RESUME_NOT_FOUND: { status: 404, description: 'The application has no resume' },
  STATE_NOT_FOUND: { status: 404, description: 'No such state' },
  CITY_NOT_FOUND: { status: 404, description: 'No such city' },
  CATEGORY_NOT_FOUND: { status: 404, description: 'No such job category' },
  IMAGE_NOT_FOUND: { status: 404, description: 'The spa has no image of that name' },
  REFERENCE_NOT_FOUND: { status: 404, description: 'A referenced record does not exist' },
  METHOD_NOT_ALLOWED: { status: 405, description: 'The path exists but not for this method' },
  CONFLICT: { status: 409, description: 'The request conflicts with the current state' },
  DUPLICATE: { status: 409, description: 'This record already exists' },
  EMAIL_TAKEN: { status: 409, description: 'An account with this e-mail already exists' },
  ALREADY_APPLIED: { status: 409, description: 'The caller already applied to this job' },
  IN_USE: { status: 409, description: 'The record is still referenced' },
  SPA_INACTIVE: { status: 409, description: 'The spa is deactivated' },
  TOO_MANY_IMAGES: { status: 409, description: 'The spa has the most images allowed' },
  TOO_MANY_SPAS: {
    status: 409,
    description: 'The employer owns the most spas allowed (MAX_SPAS_PER_EMPLOYER)',
  },
  NAME_TAKEN: { status: 409, description: 'Another record already has this name or slug' },
  INVALID_STATUS_TRANSITION: {
    status: 409,
    description: 'The application cannot move to that status',
  },
  CANNOT_CHANGE_OWN_ACCESS: {
    status: 409,
    description: 'Admins cannot demote or deactivate themselves',
  },
  PAYLOAD_TOO_LARGE: { status: 413, description: 'The body or file is too large' },
  UNSUPPORTED_MEDIA_TYPE: {
    status: 415,
    description: 'The body’s content type is not accepted here',
  },
  UNSUPPORTED_IMAGE_TYPE: {
    status: 415,
    description: 'The image is not JPEG, PNG or WebP by content',
  },
  UNSUPPORTED_RESUME_TYPE: { status: 415, description: 'The resume is not a PDF by content' },
  RATE_LIMITED: { status: 429, description: 'Too many requests; see Retry-After' },
  UPLOAD_QUOTA_EXCEEDED: {
    status: 429,
    description: 'The account’s daily upload quota is used up (resets at 00:00 UTC)',
  },
  INTERNAL_ERROR: { status: 500, description: 'An unexpected fault (logged with the request id)' },
  SERVICE_UNAVAILABLE: { status: 503, description: 'Temporarily unavailable; see Retry-After' },
  DATABASE_UNAVAILABLE: {
    status: 503,
    description: 'The database is unreachable; see Retry-After',
  },
  DATABASE_TIMEOUT: { status: 503, description: 'The database took too long; see Retry-After' },
  NOT_READY: { status: 503, description: 'A dependency needed to serve is down' },
  SHUTTING_DOWN: { status: 503, description: 'The instance is draining for a shutdown' },
  EMAIL_NOT_VERIFIED: {
    status: 403,
    description: 'Verify the account’s e-mail address first (POST /auth/verify-email/request)',
  },
  ACCOUNT_TOKEN_INVALID: {
    status: 400,
    description: 'The e-mail link’s token is unknown (mistyped, or not for this action)',
  },
  ACCOUNT_TOKEN_EXPIRED: {
    status: 410,
    description: 'The e-mail link has expired; ask for a new one',
  },
  ACCOUNT_TOKEN_USED: {
    status: 410,
    description: 'The e-mail link was already used, or a newer one replaced it',
  },
  EMAIL_ALREADY_VERIFIED: { status: 409, description: 'The account’s e-mail is already verified' },
  EMAIL_UNCHANGED: { status: 400, description: 'The new e-mail is the account’s current one' },
  JOB_EXPIRED: {
    status: 410,
    description: 'The job has expired; `details` still names it (id, slug, title, spa)',
  },
  UNSUBSCRIBE_TOKEN_INVALID: {
    status: 400,
    description:
      'The unsubscribe link was not issued by this server (for this mail or saved search) or is malformed',
  },
  SAVED_SEARCH_NOT_FOUND: {
    status: 404,
    description: 'No such saved search (or it belongs to someone else)',
  },
  TOO_MANY_SAVED_SEARCHES: {
    status: 409,
    description: 'The caller has the most saved searches allowed (MAX_SAVED_SEARCHES)',
  },
  EXPORT_LIMIT_REACHED: {
    status: 429,
    description:
      'The account had the most data exports prepared that a day allows (DATA_EXPORT_DAILY_LIMIT); see Retry-After',
  },
  LAST_ADMIN: {
    status: 409,
    description: 'The only active admin cannot delete their account; make another admin first',
  },
} as const satisfies Record<string, { status: number; description: string }>;

export type ErrorCode = keyof typeof ERROR_CATALOGUE;
export const ERROR_CODES = Object.keys(ERROR_CATALOGUE) as ErrorCode[];

/** The code a status gets when the thrower (Nest, multer, Express) named none. */
const DEFAULT_CODES: Partial<Record<number, ErrorCode>> = {
  400: 'BAD_REQUEST',
  401: 'UNAUTHORIZED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  405: 'METHOD_NOT_ALLOWED',
  409: 'CONFLICT',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  429: 'RATE_LIMITED',
  500: 'INTERNAL_ERROR',
  503: 'SERVICE_UNAVAILABLE',
};

export function defaultCodeFor(status: number): ErrorCode | undefined {
  return DEFAULT_CODES[status];
}

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.hasOwn(ERROR_CATALOGUE, value);
}

/**
 * An error a client can act on: its status comes from the catalogue, so a code always comes
 * with the same status. `details` is per-field problems or a structured report.
 */
export class AppError extends HttpException {
  constructor(
    readonly code: ErrorCode,
    message: string,
    details?: unknown,
  ) {
    super(
      details === undefined ? { message, code } : { message, code, details },
      ERROR_CATALOGUE[code].status,
    );
  }
}

import { STATUS_CODES } from 'node:http';
import {
  Catch,
  HttpException,
  Logger,
  type ArgumentsHost,
  type ExceptionFilter,
} from '@nestjs/common';
import type { Request, Response } from 'express';
import { WWW_AUTHENTICATE_REALM } from './auth.decorators.js';
import { mapDatabaseError } from './db-errors.js';
import { defaultCodeFor, isErrorCode, type ErrorCode } from './error-codes.js';
import { requestIdOf } from './request-id.js';

export interface ErrorBody {
  statusCode: number;
  error: string;
  message: string;
  code: ErrorCode;
  details?: unknown;
  requestId: string;
}

type ErrorParts = Omit<ErrorBody, 'requestId' | 'error'>;

const INTERNAL: ErrorParts = {
  statusCode: 500,
  code: 'INTERNAL_ERROR',
  message: 'Internal server error',
};

function fromHttpException(exception: HttpException): ErrorParts {
  const status = exception.getStatus();
  if (exception.cause instanceof SyntaxError && status === 400) {
    return {
      statusCode: status,
      code: 'INVALID_JSON',
      message: `The request body is not valid JSON: ${exception.message}`,
    };
  }
  const response = exception.getResponse();
  const r = (typeof response === 'string' ? { message: response } : response) as {
    message?: unknown;
    code?: unknown;
    details?: unknown;
  };
  const message = Array.isArray(r.message)
    ? r.message.join('; ')
    : typeof r.message === 'string'
      ? r.message
      : exception.message;
  const code = isErrorCode(r.code) ? r.code : defaultCodeFor(status);
  // a status outside the catalogue (a library's 5xx, say) is answered as a fault
  if (!code) return INTERNAL;
  return { statusCode: status, message, code, details: r.details };
}

/**
 * Every error leaves in the shape of API.md: `{ statusCode, error, message, code, details?, requestId }`.
 * Known database errors become 4xx/503; anything else is logged and answered with a bare 500.
 */
@Catch()
export class AllExceptionsFilter implements ExceptionFilter {
  private readonly logger = new Logger('Exceptions');

  catch(exception: unknown, host: ArgumentsHost): void {
    const ctx = host.switchToHttp();
    const req = ctx.getRequest<Request>();
    const res = ctx.getResponse<Response>();

    const known = exception instanceof HttpException ? exception : mapDatabaseError(exception);
    const body = known ? fromHttpException(known) : INTERNAL;

    if (body.statusCode === 500) {
      this.logger.error(
        { err: exception, requestId: requestIdOf(req), method: req.method, url: req.originalUrl },
        exception instanceof Error ? exception.message : 'Unhandled exception',
      );
    } else if (body.statusCode >= 500) {
      const cause = exception instanceof Error ? exception.message : String(exception);
      this.logger.warn({ requestId: requestIdOf(req), code: body.code, cause }, body.message);
    }
    if (body.statusCode === 503 && !res.getHeader('Retry-After')) {
      res.setHeader('Retry-After', '5');
    }
    // RFC 9110 §15.5.2: every 401 names its scheme (login's wrong password included)
    if (body.statusCode === 401 && !res.getHeader('WWW-Authenticate')) {
      res.setHeader('WWW-Authenticate', WWW_AUTHENTICATE_REALM);
    }
    if (res.headersSent) {
      res.destroy();
      return;
    }
    res.status(body.statusCode).json({
      statusCode: body.statusCode,
      error: STATUS_CODES[body.statusCode] ?? 'Error',
      message: body.message,
      code: body.code,
      ...(body.details !== undefined ? { details: body.details } : {}),
      requestId: requestIdOf(req),
    } satisfies ErrorBody);
  }
}

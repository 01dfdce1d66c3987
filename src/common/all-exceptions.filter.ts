import { STATUS_CODES } from 'node:http';
import {
  Catch,
  HttpException,
  Logger,
  type ArgumentsHost,
  type ExceptionFilter,
} from '@nestjs/common';
import type { Request, Response } from 'express';
import { mapDatabaseError } from './db-errors.js';
import { requestIdOf } from './request-id.js';

export interface ErrorBody {
  statusCode: number;
  error: string;
  message: string;
  code?: string;
  details?: unknown;
  requestId?: string;
}

const DEFAULT_CODES: Record<number, string> = {
  400: 'BAD_REQUEST',
  401: 'UNAUTHORIZED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  405: 'METHOD_NOT_ALLOWED',
  409: 'CONFLICT',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  429: 'RATE_LIMITED',
  503: 'SERVICE_UNAVAILABLE',
};

function fromHttpException(exception: HttpException): Omit<ErrorBody, 'requestId' | 'error'> {
  const status = exception.getStatus();
  if (exception.cause instanceof SyntaxError && status === 400) {
    return {
      statusCode: status,
      code: 'INVALID_JSON',
      message: `The request body is not valid JSON: ${exception.message}`,
    };
  }
  const response = exception.getResponse();
  if (typeof response === 'string')
    return { statusCode: status, message: response, code: DEFAULT_CODES[status] };
  const r = response as { message?: unknown; code?: unknown; details?: unknown };
  const message = Array.isArray(r.message)
    ? r.message.join('; ')
    : typeof r.message === 'string'
      ? r.message
      : exception.message;
  return {
    statusCode: status,
    message,
    code: typeof r.code === 'string' ? r.code : DEFAULT_CODES[status],
    details: r.details,
  };
}

/**
 * Every error leaves in the shape of API.md: `{ statusCode, error, message, code?, requestId }`.
 * Known database errors become 4xx/503; anything else is logged and answered with a bare 500.
 */
@Catch()
export class AllExceptionsFilter implements ExceptionFilter {
  private readonly logger = new Logger('Exceptions');

  catch(exception: unknown, host: ArgumentsHost): void {
    const ctx = host.switchToHttp();
    const req = ctx.getRequest<Request>();
    const res = ctx.getResponse<Response>();

    let body: Omit<ErrorBody, 'requestId' | 'error'>;
    if (exception instanceof HttpException) {
      body = fromHttpException(exception);
    } else {
      const mapped = mapDatabaseError(exception);
      body = mapped
        ? { statusCode: mapped.status, code: mapped.code, message: mapped.message }
        : { statusCode: 500, code: 'INTERNAL_ERROR', message: 'Internal server error' };
    }

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
    if (res.headersSent) {
      res.destroy();
      return;
    }
    res.status(body.statusCode).json({
      statusCode: body.statusCode,
      error: STATUS_CODES[body.statusCode] ?? 'Error',
      message: body.message,
      ...(body.code ? { code: body.code } : {}),
      ...(body.details !== undefined ? { details: body.details } : {}),
      requestId: requestIdOf(req),
    } satisfies ErrorBody);
  }
}

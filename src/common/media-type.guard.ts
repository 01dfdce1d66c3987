import { Injectable, Module, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { APP_GUARD, Reflector } from '@nestjs/core';
import { DECORATORS } from '@nestjs/swagger';
import type { Request } from 'express';
import { AppError } from './error-codes.js';

const JSON_ONLY = ['application/json'];

function hasBody(req: Request): boolean {
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

/**
 * A body must be of a type the route consumes: what its `@ApiConsumes(...)` documents (the
 * upload routes: multipart), else JSON. So a form-encoded or text body on a JSON route is a 415,
 * never half-parsed into a DTO, and the OpenAPI document cannot promise what the route refuses.
 */
@Injectable()
export class MediaTypeGuard implements CanActivate {
  constructor(private readonly reflector: Reflector) {}

  canActivate(context: ExecutionContext): boolean {
    const req = context.switchToHttp().getRequest<Request>();
    if (!hasBody(req)) return true;
    const accepted =
      this.reflector.getAllAndOverride<string[] | undefined>(DECORATORS.API_CONSUMES, [
        context.getHandler(),
        context.getClass(),
      ]) ?? JSON_ONLY;
    if (req.is(accepted)) return true;
    const sent = req.headers['content-type'];
    throw new AppError(
      'UNSUPPORTED_MEDIA_TYPE',
      `${sent ? `Content-Type ${sent.split(';')[0]}` : 'A body without Content-Type'} is not accepted here; send ${accepted.join(' or ')}`,
    );
  }
}

/** Registered after the rate limiter (refused bodies are counted) and before authentication. */
@Module({ providers: [{ provide: APP_GUARD, useClass: MediaTypeGuard }] })
export class MediaTypeModule {}

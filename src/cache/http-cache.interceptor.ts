import { gunzipSync, gzipSync } from 'node:zlib';
import {
  applyDecorators,
  Injectable,
  SetMetadata,
  StreamableFile,
  UseInterceptors,
  type CallHandler,
  type ExecutionContext,
  type NestInterceptor,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request, Response } from 'express';
import { lastValueFrom, of, type Observable } from 'rxjs';
import { Public } from '../auth/decorators.js';
import type { CacheTag } from './cache-tags.js';
import { CacheService } from './cache.service.js';

const HTTP_CACHE_TAGS = 'cache:http-tags';
/** Bodies from this size up are stored gzipped too (the compression middleware's threshold). */
const GZIP_THRESHOLD = 1024;
const JSON_TYPE = 'application/json; charset=utf-8';

/**
 * A response as cached: small bodies as JSON, larger ones only gzipped (compressed once, served
 * many times; base64 so that it survives Redis' JSON). The rare client without gzip gets it
 * inflated on the fly.
 */
type CachedBody = { json: string; gz?: undefined } | { gz: string; json?: undefined };

/**
 * Caches a route's response for everyone: the route becomes @Public (no token is read), so the
 * response cannot depend on the caller. Keyed on path and normalized query; tagged for
 * invalidation. Adds `X-Cache: HIT|MISS`.
 */
export const HttpCached = (...tags: CacheTag[]) =>
  applyDecorators(
    Public(),
    SetMetadata(HTTP_CACHE_TAGS, tags),
    UseInterceptors(HttpCacheInterceptor),
  );

/** Same parameters in any order, repeated or not, give the same key. */
export function cacheKeyOf(path: string, query: Record<string, unknown>): string {
  const params = Object.keys(query)
    .sort()
    .map((k) => `${encodeURIComponent(k)}=${encodeURIComponent(JSON.stringify(query[k]))}`);
  return `http:${path}?${params.join('&')}`;
}

@Injectable()
export class HttpCacheInterceptor implements NestInterceptor {
  constructor(
    private readonly cache: CacheService,
    private readonly reflector: Reflector,
  ) {}

  async intercept(context: ExecutionContext, next: CallHandler): Promise<Observable<unknown>> {
    const tags = this.reflector.get<CacheTag[] | undefined>(HTTP_CACHE_TAGS, context.getHandler());
    const req = context.switchToHttp().getRequest<Request>();
    if (!tags || req.method !== 'GET') return next.handle();
    const res = context.switchToHttp().getResponse<Response>();

    const { value, hit } = await this.cache.wrap<CachedBody>(
      cacheKeyOf(req.path, req.query),
      tags,
      async () => toCachedBody(await lastValueFrom(next.handle())),
    );
    res.setHeader('X-Cache', hit ? 'HIT' : 'MISS');
    res.setHeader('Vary', 'Accept-Encoding');
    let body: Buffer;
    if (value.gz === undefined) {
      body = Buffer.from(value.json);
    } else if (req.acceptsEncodings('gzip') === 'gzip') {
      res.setHeader('Content-Encoding', 'gzip');
      body = Buffer.from(value.gz, 'base64');
    } else {
      body = gunzipSync(Buffer.from(value.gz, 'base64'));
    }
    // Sent as bytes: the compression middleware leaves an already-encoded body alone.
    return of(new StreamableFile(body, { type: JSON_TYPE, length: body.length }));
  }
}

function toCachedBody(result: unknown): CachedBody {
  const json = JSON.stringify(result);
  return Buffer.byteLength(json) >= GZIP_THRESHOLD
    ? { gz: gzipSync(json, { level: 6 }).toString('base64') }
    : { json };
}

import {
  applyDecorators,
  Injectable,
  SetMetadata,
  StreamableFile,
  UseInterceptors,
  type ArgumentMetadata,
  type CallHandler,
  type ExecutionContext,
  type NestInterceptor,
  type PipeTransform,
  type Type,
} from '@nestjs/common';
import { ROUTE_ARGS_METADATA } from '@nestjs/common/constants.js';
import { RouteParamtypes } from '@nestjs/common/enums/route-paramtypes.enum.js';
import { Reflector } from '@nestjs/core';
import type { Request, Response } from 'express';
import { lastValueFrom, of, type Observable } from 'rxjs';
import { Public } from '../common/auth.decorators.js';
import { createValidationPipe } from '../common/validation.js';
import { prefetchedVersions, type CacheTag } from './cache-tags.js';
import { CacheService } from './cache.service.js';
import { JSON_TYPE, present, toCachedBody, type CachedBody } from './cached-response.js';
import { LearnedRoutes } from './http-cache.fast-path.js';

export const HTTP_CACHE_TAGS = 'cache:http-tags';
/**
 * Caches a route's response for everyone: the route becomes @Public (no token is read), so the
 * response cannot depend on the caller. Keyed on the route and its validated arguments; tagged
 * for invalidation. Adds `X-Cache: HIT|MISS`. Serves HEAD from the same entries as GET.
 */
export const HttpCached = (...tags: CacheTag[]) =>
  applyDecorators(
    Public(),
    SetMetadata(HTTP_CACHE_TAGS, tags),
    UseInterceptors(HttpCacheInterceptor),
  );

/** JSON with every object's keys sorted: one text per value, whatever the order it was built in. */
function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}

/**
 * The key of a route pattern and its arguments as the route's pipes made them: every spelling of
 * one request (`/jobs/08` and `/jobs/8`, keys in another order, `?limit=20` and the default,
 * empty values, keys the DTO drops) is one entry, so a route holds at most one per valid input.
 */
export function cacheKeyOf(route: string, args: unknown[]): string {
  return `http:${route}:${canonicalJson(args)}`;
}

/** One argument of a cached handler: where it comes from and how Nest turns it into a value. */
interface ArgSpec {
  read: (req: Request) => unknown;
  metadata: ArgumentMetadata;
  pipes: PipeTransform[];
}

interface RouteArg {
  index: number;
  data?: string;
  pipes: Array<PipeTransform | Type<PipeTransform>>;
}

@Injectable()
export class HttpCacheInterceptor implements NestInterceptor {
  /** The global pipe (APP_PIPE), applied to the arguments before the key is made. */
  private readonly validation = createValidationPipe();
  private readonly specs = new WeakMap<object, ArgSpec[]>();

  constructor(
    private readonly cache: CacheService,
    private readonly reflector: Reflector,
    private readonly learned: LearnedRoutes,
  ) {}

  async intercept(context: ExecutionContext, next: CallHandler): Promise<Observable<unknown>> {
    const tags = this.reflector.get<CacheTag[] | undefined>(HTTP_CACHE_TAGS, context.getHandler());
    const req = context.switchToHttp().getRequest<Request>();
    if (!tags || (req.method !== 'GET' && req.method !== 'HEAD')) return next.handle();
    const res = context.switchToHttp().getResponse<Response>();

    // Bad input is refused here, before the cache is consulted: only valid inputs are keys.
    const args = await this.argumentsOf(context, req);
    const route = (req.route as { path: string }).path;
    const key = cacheKeyOf(route, args);
    const { value, hit } = await this.cache.wrap<CachedBody>(
      key,
      tags,
      async () => toCachedBody(await lastValueFrom(next.handle())),
      undefined,
      prefetchedVersions.get(req),
    );
    this.learned.learn(req, route, key, tags);
    const body = present(req, res, value, hit);
    // A Response sets its status over the route's 200; Express strips the body headers.
    if (body === 'not-modified') return of(new Response(null, { status: 304 }));
    // Sent as bytes: the compression middleware leaves an already-encoded body alone.
    return of(new StreamableFile(body, { type: JSON_TYPE, length: body.length }));
  }

  private async argumentsOf(context: ExecutionContext, req: Request): Promise<unknown[]> {
    const handler = context.getHandler();
    let specs = this.specs.get(handler);
    if (!specs) {
      specs = specsOf(context.getClass(), handler);
      this.specs.set(handler, specs);
    }
    const values: unknown[] = [];
    for (const spec of specs) {
      let value: unknown = await this.validation.transform(spec.read(req), spec.metadata);
      for (const pipe of spec.pipes)
        value = (await pipe.transform(value, spec.metadata)) as unknown;
      values.push(value);
    }
    return values;
  }
}

/**
 * A cached handler's arguments from its parameter decorators. Only `@Query` and `@Param` may feed
 * a shared answer: anything else (body, user, headers) could make it depend on the caller.
 */
function specsOf(controller: Type, handler: { name: string }): ArgSpec[] {
  const routeArgs =
    (Reflect.getMetadata(ROUTE_ARGS_METADATA, controller, handler.name) as
      Record<string, RouteArg> | undefined) ?? {};
  const types =
    (Reflect.getMetadata('design:paramtypes', controller.prototype as object, handler.name) as
      Array<Type | undefined> | undefined) ?? [];
  return Object.entries(routeArgs)
    .sort(([, a], [, b]) => a.index - b.index)
    .map(([key, arg]) => {
      const type = Number(key.split(':')[0]) as RouteParamtypes;
      const source =
        type === RouteParamtypes.QUERY ? 'query' : type === RouteParamtypes.PARAM ? 'param' : null;
      if (!source) {
        throw new Error(
          `@HttpCached ${controller.name}.${handler.name} takes an argument other than @Query or @Param`,
        );
      }
      const from = (req: Request): Record<string, unknown> =>
        source === 'query' ? req.query : req.params;
      return {
        read: (req: Request) => (arg.data === undefined ? from(req) : from(req)[arg.data]),
        metadata: { type: source, data: arg.data, metatype: types[arg.index] },
        // the pipes of a cached route's parameters are stateless (IdOrSlugPipe and the like)
        pipes: arg.pipes.map((p) => (typeof p === 'function' ? new p() : p)),
      };
    });
}

import { Injectable, type NestMiddleware } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { prefetchedVersions, type CacheTag } from './cache-tags.js';
import { CacheService } from './cache.service.js';
import { JSON_TYPE, present, type CachedBody } from './cached-response.js';

/**
 * Counts a request against its limits before the Nest pipeline runs (see AppThrottlerGuard):
 * false when a limit is used up (the guard then answers 429 from what was counted).
 */
export type EarlyLimiter = (req: Request, res: Response) => Promise<boolean>;

/** What the Nest pipeline learned about one raw URL of a cached route. */
export interface LearnedRoute {
  /** The route pattern (for the metrics and the log line). */
  route: string;
  key: string;
  tags: CacheTag[];
  limiter?: EarlyLimiter;
  /** What a GET served from the cache also does (counting a job view). */
  onGet: Array<() => void>;
}

/**
 * Per request, what the guards and interceptors of a cached route hand to the fast path while
 * the Nest pipeline runs: the limiter and the side effects of a GET.
 */
export const earlyLimiters = new WeakMap<Request, EarlyLimiter>();
export const onCachedGet = new WeakMap<Request, Array<() => void>>();

/** Learned URLs per process: every valid spelling of a cached request is one, so bounded. */
const MAX_LEARNED = 10_000;

/**
 * The raw URLs of cached routes, as the Nest pipeline resolved them: route, validated key, tags
 * and the request's limiter. A URL always resolves the same way (strict routing, stateless
 * pipes), so a later request for it can be answered from the local cache layer without routing,
 * validating or intercepting again (see HttpCacheFastPath).
 */
@Injectable()
export class LearnedRoutes {
  private readonly byUrl = new Map<string, LearnedRoute>();

  constructor(private readonly cache: CacheService) {}

  get(url: string): LearnedRoute | undefined {
    return this.byUrl.get(url);
  }

  learn(req: Request, route: string, key: string, tags: CacheTag[]): void {
    if (this.byUrl.has(req.originalUrl)) return;
    // oldest first out: a flood of distinct URLs cannot grow it
    if (this.byUrl.size >= MAX_LEARNED) this.byUrl.delete(this.byUrl.keys().next().value!);
    this.byUrl.set(req.originalUrl, {
      route,
      key,
      tags,
      limiter: earlyLimiters.get(req),
      onGet: onCachedGet.get(req) ?? [],
    });
  }

  /**
   * Answers from the local cache layer, as HttpCacheInterceptor would: false (nothing sent)
   * when a limit is used up or the entry is not held here.
   */
  async serve(req: Request, res: Response, learned: LearnedRoute): Promise<boolean> {
    if (learned.limiter && !(await learned.limiter(req, res))) return false;
    const value = await this.cache.peek<CachedBody>(
      learned.key,
      learned.tags,
      prefetchedVersions.get(req),
    );
    if (!value) return false;
    // the router did not run: the route pattern the metrics and the log line name
    (req as { route?: unknown }).route = { path: learned.route };
    if (req.method === 'GET') for (const effect of learned.onGet) effect();
    const body = present(req, res, value, true);
    if (body === 'not-modified') {
      res.statusCode = 304;
      res.end();
    } else {
      res.statusCode = 200;
      res.setHeader('Content-Type', JSON_TYPE);
      res.setHeader('Content-Length', body.length);
      res.end(body);
    }
    return true;
  }
}

/**
 * Cache hits answered before the Nest router: registered after the request log and the
 * metrics middleware (so hits are logged and timed like any request), after helmet, CORS and
 * the request id (their headers are already set). A hit is counted by the same limiter, reads
 * the tag versions in the limiter's Redis round trip, and is sent as the Nest path would send
 * it (HttpCacheInterceptor.serveEarly). A miss, a used-up limit, a body or an unknown URL go on
 * to the full pipeline, which learns the URL.
 */
@Injectable()
export class HttpCacheFastPath implements NestMiddleware {
  constructor(private readonly routes: LearnedRoutes) {}

  use(req: Request, res: Response, next: NextFunction): void {
    if (req.method !== 'GET' && req.method !== 'HEAD') return next();
    const learned = this.routes.get(req.originalUrl);
    // a body on a GET is the Nest path's to judge (415, 400)
    if (!learned || req.headers['content-length'] || req.headers['transfer-encoding'])
      return next();
    this.routes.serve(req, res, learned).then(
      (served) => served || next(),
      () => next(),
    );
  }
}

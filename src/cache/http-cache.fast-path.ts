import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { Injectable, Optional } from '@nestjs/common';
import type { Express, Request, RequestHandler, Response } from 'express';
import { PinoLogger } from 'nestjs-pino';
import { logRequest } from '../common/logging.js';
import { MetricsService, type HitRecorder } from '../metrics/metrics.service.js';
import { receivedAt, requestSlot } from '../common/request-slot.js';
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
  /** What the router would have set as `req.route` (the metrics label it by its pattern). */
  matched: { readonly path: string };
  key: string;
  tags: CacheTag[];
  limiter?: EarlyLimiter;
  /** What a GET served from the cache also does (counting a job view). */
  onGet: Array<() => void>;
  /** Its metrics by method and status (GET 200, GET 304, HEAD 200, HEAD 304), bound on first use. */
  recorders: Array<HitRecorder | undefined>;
}

/**
 * Per request, what the guards and interceptors of a cached route hand to the fast path while
 * the Nest pipeline runs: the limiter and the side effects of a GET.
 */
export const earlyLimiters = requestSlot<EarlyLimiter>('early limiter');
export const onCachedGet = requestSlot<Array<() => void>>('on cached get');

/** Learned URLs per process: every valid spelling of a cached request is one, so bounded. */
const MAX_LEARNED = 10_000;

/**
 * The raw URLs of cached routes, as the Nest pipeline resolved them: route, validated key, tags
 * and the request's limiter. A URL always resolves the same way (strict routing, stateless
 * pipes), so a later request for it can be answered from the local cache layer without routing,
 * validating or intercepting again (see answerHitsFirst).
 */
@Injectable()
export class LearnedRoutes {
  private readonly byUrl = new Map<string, LearnedRoute>();

  constructor(
    private readonly cache: CacheService,
    @Optional() private readonly metrics?: MetricsService,
  ) {}

  get(url: string): LearnedRoute | undefined {
    return this.byUrl.get(url);
  }

  learn(req: Request, route: string, key: string, tags: CacheTag[]): void {
    if (this.byUrl.has(req.originalUrl)) return;
    // oldest first out: a flood of distinct URLs cannot grow it
    if (this.byUrl.size >= MAX_LEARNED) this.byUrl.delete(this.byUrl.keys().next().value!);
    this.byUrl.set(req.originalUrl, {
      matched: Object.freeze({ path: route }),
      key,
      tags,
      limiter: earlyLimiters.get(req),
      onGet: onCachedGet.get(req) ?? [],
      recorders: [],
    });
  }

  /**
   * Answers from the local cache layer, as HttpCacheInterceptor would: false (nothing sent)
   * when a limit is used up or the entry is not held here. `beforeSend` runs once it is sure
   * to answer.
   */
  async serve(
    req: Request,
    res: Response,
    learned: LearnedRoute,
    beforeSend: () => void,
  ): Promise<boolean> {
    if (learned.limiter && !(await learned.limiter(req, res))) return false;
    const value = await this.cache.peek<CachedBody>(
      learned.key,
      learned.tags,
      prefetchedVersions.get(req),
    );
    if (!value) return false;
    beforeSend();
    // the router did not run: the route pattern the metrics and the log line name
    (req as { route?: unknown }).route = learned.matched;
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
    this.record(req, res.statusCode, learned);
    return true;
  }

  /** The request's duration, the hit and the lookup, as httpMetrics and cacheLookup count them. */
  private record(req: Request, status: number, learned: LearnedRoute): void {
    if (!this.metrics) return;
    const i = (req.method === 'HEAD' ? 2 : 0) + (status === 304 ? 1 : 0);
    const recorder = (learned.recorders[i] ??= this.metrics.hitRecorder(
      learned.matched.path,
      req.method,
      status,
      learned.tags,
    ));
    recorder((performance.now() - receivedAt.get(req)!) / 1000);
  }
}

const noop = () => undefined;

/**
 * Cache hits answered in front of Express, from the first byte of a learned URL's request: no
 * router, no middleware stack, no Nest pipeline. The request gets Express' request methods (as
 * Express' own `app.handle` gives them: the limiter reads `req.ips`), is counted by the same
 * limiter (which reads the tag versions in its Redis round trip), then gets the edge, the bytes
 * as the Nest path sends them (present), the request's metrics (recorded in place, see
 * hitRecorder) and the request logger's line. `edge`: the header middlewares Express runs first
 * for every request, here run only once the hit is sure (so that nothing is built for the
 * response while the limiter waits on Redis); each must only set headers on a GET, and call next
 * at once. A miss, a used-up limit, a body or an unknown URL go
 * on to Express, whose pipeline learns the URL.
 */
export function answerHitsFirst(
  app: Express,
  server: Server,
  routes: LearnedRoutes,
  edge: RequestHandler[],
): void {
  const express = server.listeners('request')[0] as (
    req: IncomingMessage,
    res: ServerResponse,
  ) => void;
  server.removeListener('request', express);
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const learned =
      req.method === 'GET' || req.method === 'HEAD' ? routes.get(req.url!) : undefined;
    // a body on a GET is the Nest path's to judge (415, 400)
    if (!learned || req.headers['content-length'] || req.headers['transfer-encoding'])
      return express(req, res);
    receivedAt.set(req, performance.now());
    const request = Object.setPrototypeOf(req, app.request) as Request;
    const response = res as Response;
    request.originalUrl = req.url!;
    const runEdge = () => {
      for (const handler of edge) handler(request, response, noop);
    };
    routes.serve(request, response, learned, runEdge).then(
      (served) =>
        served ? logRequest(req, res, performance.now() - receivedAt.get(req)!) : express(req, res),
      (err: unknown) => {
        // a fault once the answer is out is reported, and the request never answered twice
        if (res.headersSent) PinoLogger.root?.error({ err }, 'cache hit failed after its answer');
        else express(req, res);
      },
    );
  });
}

import type { ServerResponse } from 'node:http';
import { RequestMethod } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import compression from 'compression';
import cors from 'cors';
import type { RequestHandler, Response } from 'express';
import helmet from 'helmet';
import { Logger } from 'nestjs-pino';
import { answerHitsFirst, LearnedRoutes } from './cache/http-cache.fast-path.js';
import {
  API_PREFIX,
  bodyLimitError,
  judgeJsonBody,
  mountFallbacks,
  noStoreByDefault,
  strictRouting,
} from './common/http-edge.js';
import { requestIdMiddleware } from './common/request-id.js';
import type { AppConfig } from './config/app-config.js';
import { httpMetrics } from './metrics/http-metrics.middleware.js';
import { MetricsService } from './metrics/metrics.service.js';
import { setupOpenApi } from './openapi/openapi.js';

const JSON_BODY_LIMIT = '100kb';
const UPLOAD_MAX_AGE_SECONDS = 2_592_000;

/**
 * Everything main.ts and the tests share, so that tests exercise the real HTTP stack:
 * strict routing with JSON 404/405 fallbacks, request ids, metrics, security headers, proxy
 * trust, CORS, the cache's fast path, compression, body limits and checks, prefix, docs, static
 * uploads and shutdown hooks.
 */
export function setupApp(app: NestExpressApplication, config: AppConfig): void {
  strictRouting(app);
  mountFallbacks(app);
  app.useLogger(app.get(Logger));
  app.disable('x-powered-by');
  // The cache's strong ETags are the only validators: Express' weak ones would hash every
  // response, per-user no-store ones included, for revalidations that cannot happen.
  app.set('etag', false);
  app.set('trust proxy', config.throttle.trustProxy);
  app.use(httpMetrics(app.get(MetricsService)));
  app.use(noStoreByDefault);
  // the headers every response carries, cache hits answered in front of Express included (those
  // are measured by the fast path itself, and carry their own Cache-Control)
  const edge: RequestHandler[] = [
    requestIdMiddleware,
    // The headers that matter for a JSON API (and the docs page); the HTML-only ones would add
    // ~300 bytes to every response for nothing.
    fixedHeaders(
      helmet({
        contentSecurityPolicy: false,
        crossOriginEmbedderPolicy: false,
        crossOriginOpenerPolicy: false,
        crossOriginResourcePolicy: { policy: 'cross-origin' },
        originAgentCluster: false,
        xDnsPrefetchControl: false,
        xDownloadOptions: false,
        xPermittedCrossDomainPolicies: false,
        xXssProtection: false,
      }),
    ),
  ];
  // the middleware Nest's enableCors mounts, held so that the front answers carry it too
  if (config.corsOrigins.length > 0) {
    edge.push(
      cors({
        origin: config.corsOrigins.includes('*') ? '*' : config.corsOrigins,
        methods: ['GET', 'POST', 'PATCH', 'DELETE'],
        allowedHeaders: ['Authorization', 'Content-Type', 'X-Request-Id'],
        exposedHeaders: [
          'X-Request-Id',
          'X-Cache',
          'Retry-After',
          'RateLimit-Limit',
          'RateLimit-Remaining',
          'RateLimit-Reset',
        ],
      }),
    );
  }
  for (const handler of edge) app.use(handler);
  // Cache hits of learned URLs carry the edge, and skip everything else.
  answerHitsFirst(
    app.getHttpAdapter().getInstance(),
    app.getHttpServer(),
    app.get(LearnedRoutes),
    edge,
  );
  app.use(compression({ threshold: 1024 }));
  app.useBodyParser('json', { limit: JSON_BODY_LIMIT });
  app.use(bodyLimitError(JSON_BODY_LIMIT));
  app.use(judgeJsonBody);
  app.useStaticAssets(config.uploads.publicDir, {
    prefix: '/uploads/',
    index: false,
    dotfiles: 'deny',
    // a missing file or a directory falls through to the JSON 404 (no HTML redirect page)
    fallthrough: true,
    redirect: false,
    setHeaders: (res: ServerResponse) => {
      res.setHeader('Cache-Control', `public, max-age=${UPLOAD_MAX_AGE_SECONDS}, immutable`);
    },
  });
  app.setGlobalPrefix(API_PREFIX, {
    exclude: ['health', 'health/live', 'health/ready', 'metrics'].map((path) => ({
      path,
      method: RequestMethod.GET,
    })),
  });
  setupOpenApi(app);
  app.enableShutdownHooks();
}

/**
 * A middleware that only sets fixed response headers (helmet's, with the options above: none
 * reads the request), run once at boot and replayed as one middleware instead of eight.
 */
function fixedHeaders(middleware: RequestHandler): RequestHandler {
  const set: Array<[string, string | number | readonly string[]]> = [];
  const removed: string[] = [];
  const probe = {
    setHeader: (name: string, value: string | number | readonly string[]) =>
      set.push([name, value]),
    removeHeader: (name: string) => removed.push(name),
  };
  let done = false;
  middleware({} as never, probe as unknown as Response, () => (done = true));
  if (!done) throw new Error('fixedHeaders: the middleware did not call next() synchronously');
  return (_req, res, next) => {
    for (const [name, value] of set) res.setHeader(name, value);
    for (const name of removed) res.removeHeader(name);
    next();
  };
}

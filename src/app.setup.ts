import type { ServerResponse } from 'node:http';
import { RequestMethod } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import compression from 'compression';
import helmet from 'helmet';
import { Logger } from 'nestjs-pino';
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
import { setupOpenApi } from './openapi/openapi.js';

const JSON_BODY_LIMIT = '100kb';
const UPLOAD_MAX_AGE_SECONDS = 2_592_000;

/**
 * Everything main.ts and the tests share, so that tests exercise the real HTTP stack:
 * strict routing with JSON 404/405 fallbacks, request ids, security headers, proxy trust,
 * compression, CORS, body limits and checks, prefix, docs, static uploads and shutdown hooks.
 */
export function setupApp(app: NestExpressApplication, config: AppConfig): void {
  strictRouting(app);
  mountFallbacks(app);
  app.use(requestIdMiddleware);
  app.use(noStoreByDefault);
  app.useLogger(app.get(Logger));
  app.disable('x-powered-by');
  // The cache's strong ETags are the only validators: Express' weak ones would hash every
  // response, per-user no-store ones included, for revalidations that cannot happen.
  app.set('etag', false);
  app.set('trust proxy', config.throttle.trustProxy);
  app.use(
    // The headers that matter for a JSON API (and the docs page); the HTML-only ones would add
    // ~300 bytes to every response for nothing.
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
  );
  app.use(compression({ threshold: 1024 }));
  if (config.corsOrigins.length > 0) {
    app.enableCors({
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
    });
  }
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

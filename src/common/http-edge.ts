import { METHODS } from 'node:http';
import type { ExpressAdapter, NestExpressApplication } from '@nestjs/platform-express';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { AppError } from './error-codes.js';

export const API_PREFIX = 'api/v1';
/** How every API route's pattern starts (probes and /metrics are excluded from the prefix). */
export const API_ROUTE_PREFIX = `/${API_PREFIX}/`;

/** Deeper JSON than any DTO nests; recursive transformers overflow the stack far below 100 kB. */
export const MAX_JSON_DEPTH = 32;

interface RouterFlags {
  caseSensitive?: boolean;
  strict?: boolean;
  stack: RouteLayer[];
}

interface RouteLayer {
  route?: { methods: Record<string, boolean | undefined> };
  match(path: string): boolean;
}

function routerOf(app: NestExpressApplication): RouterFlags {
  return (app.getHttpAdapter().getInstance() as unknown as { router: RouterFlags }).router;
}

/**
 * One spelling per route: `/API/v1/jobs`, `/api/v1/jobs/` and the like are 404s instead of
 * aliases (each alias would be a path the limiter and the cache must recognise). Must run before
 * the routes are registered. The adapter made the router with Express' defaults, and Express reads
 * its two settings only then, so the router's own flags are set as well.
 */
export function strictRouting(app: NestExpressApplication): void {
  app.set('case sensitive routing', true);
  app.set('strict routing', true);
  const router = routerOf(app);
  router.caseSensitive = true;
  router.strict = true;
}

/** A route for every method is a middleware mount (Nest's `forRoutes`) or a catch-all. */
function answersEveryMethod(methods: Record<string, boolean | undefined>): boolean {
  return methods._all === true || METHODS.every((m) => methods[m.toLowerCase()]);
}

/** The methods the routes matching `path` answer (HEAD wherever GET is), none for an unknown path. */
function allowedMethods(router: RouterFlags, path: string): string[] {
  const methods = new Set<string>();
  for (const layer of router.stack) {
    const route = layer.route;
    if (!route || answersEveryMethod(route.methods) || !layer.match(path)) continue;
    for (const method of Object.keys(route.methods)) methods.add(method.toUpperCase());
    if (route.methods.get) methods.add('HEAD');
  }
  return [...methods];
}

/**
 * What no route answered. A known path with another method is a 405 with `Allow` (OPTIONS gets
 * the `Allow` alone); anything else reaches Nest's not-found handler, which Nest mounts only under
 * the global prefix: it is mounted at the root as well, so that `/nope`, `/API/...` and a missing
 * `/uploads/...` file are JSON 404s like every other error, never Express' HTML page.
 */
export function mountFallbacks(app: NestExpressApplication): void {
  const router = routerOf(app);
  const adapter = app.getHttpAdapter() as ExpressAdapter;
  const setNotFoundHandler = adapter.setNotFoundHandler.bind(adapter);
  const methodNotAllowed: RequestHandler = (req, res, next) => {
    const allowed = allowedMethods(router, req.path);
    if (allowed.length === 0 || allowed.includes(req.method)) return next();
    res.setHeader('Allow', allowed.join(', '));
    if (req.method === 'OPTIONS') {
      res.status(204).end();
      return;
    }
    next(
      new AppError(
        'METHOD_NOT_ALLOWED',
        `${req.method} is not allowed here; this path answers ${allowed.join(', ')}`,
      ),
    );
  };
  adapter.setNotFoundHandler = (handler, prefix, excludedRoutes) => {
    app.use(methodNotAllowed);
    const result: unknown = setNotFoundHandler(handler, prefix, excludedRoutes);
    app.use(handler);
    return result;
  };
}

/** Every response is `no-store` unless it says otherwise (public cached GETs, static files). */
export function noStoreByDefault(_req: Request, res: Response, next: NextFunction): void {
  res.setHeader('Cache-Control', 'no-store');
  next();
}

/** True when `root` nests more than `max` levels of objects/arrays (iterative: no stack to overflow). */
export function nestsDeeperThan(root: unknown, max: number): boolean {
  const pending: Array<[unknown, number]> = [[root, 1]];
  while (pending.length > 0) {
    const [value, depth] = pending.pop()!;
    if (value === null || typeof value !== 'object') continue;
    if (depth > max) return true;
    for (const child of Object.values(value)) pending.push([child, depth + 1]);
  }
  return false;
}

/**
 * Keys that name an object's machinery rather than data: class-transformer makes `__proto__` the
 * DTO's prototype and skips the others silently, so each is refused by name instead.
 */
export const RESERVED_KEYS = ['__proto__', 'constructor', 'prototype'];

/** The first reserved key an object in `root` has as its own, if any. */
export function reservedKeyIn(root: unknown): string | undefined {
  const pending: unknown[] = [root];
  while (pending.length > 0) {
    const value = pending.pop();
    if (value === null || typeof value !== 'object') continue;
    const reserved = RESERVED_KEYS.find((key) => Object.hasOwn(value, key));
    if (reserved) return reserved;
    pending.push(...(Object.values(value) as unknown[]));
  }
  return undefined;
}

/** The 400 for a reserved key, in the shape of every validation error. */
export function reservedKeyError(key: string): AppError {
  const message = `property ${key} should not exist`;
  return new AppError('VALIDATION_FAILED', message, [{ field: key, message }]);
}

/**
 * Judges a parsed JSON body before anything recursive (class-transformer, class-validator, the
 * logger) walks it: too deep is a 400, and so is a reserved key (`__proto__` and the like),
 * named like any unknown field.
 */
export function judgeJsonBody(req: Request, _res: Response, next: NextFunction): void {
  const body: unknown = req.body;
  if (body !== null && typeof body === 'object') {
    if (nestsDeeperThan(body, MAX_JSON_DEPTH)) {
      return next(
        new AppError(
          'BODY_TOO_DEEP',
          `The JSON body nests deeper than ${MAX_JSON_DEPTH} levels of objects and arrays`,
        ),
      );
    }
    const reserved = reservedKeyIn(body);
    if (reserved) return next(reservedKeyError(reserved));
  }
  next();
}

/** The body parser's "too large" names the limit instead of saying "request entity too large". */
export function bodyLimitError(limit: string) {
  return (err: unknown, _req: Request, _res: Response, next: NextFunction): void => {
    const tooLarge = (err as { type?: unknown } | null)?.type === 'entity.too.large';
    next(
      tooLarge
        ? new AppError(
            'PAYLOAD_TOO_LARGE',
            `The JSON body is too large: at most ${limit} is accepted`,
          )
        : err,
    );
  };
}

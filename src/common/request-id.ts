import { randomUUID } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';

const SANE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,64}$/;

/** The id requestIdMiddleware gave this request. */
export function requestIdOf(req: Request): string {
  return typeof req.id === 'string' ? req.id : '';
}

/** Gives every request an id (the client's own when it is sane) and echoes it in X-Request-Id. */
export function requestIdMiddleware(req: Request, res: Response, next: NextFunction): void {
  const incoming = req.headers['x-request-id'];
  const id =
    typeof incoming === 'string' && SANE_REQUEST_ID.test(incoming) ? incoming : randomUUID();
  req.id = id;
  res.setHeader('X-Request-Id', id);
  next();
}

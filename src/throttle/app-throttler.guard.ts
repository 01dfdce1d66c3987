import { Injectable, type ExecutionContext } from '@nestjs/common';
import { ThrottlerGuard } from '@nestjs/throttler';
import { THROTTLER_SKIP } from '@nestjs/throttler/dist/throttler.constants.js';
import type { Request, Response } from 'express';
import { API_ROUTE_PREFIX } from '../common/http-edge.js';
import { AppError } from '../common/error-codes.js';
import { clientAddress } from './client-address.js';
import { ResilientThrottlerStorage, type Hit } from './resilient-throttler.storage.js';

/**
 * The global limiter. One budget per client across all routes (keys name the limit and the
 * client, never the route), the client being `req.ip` as Express derives it from TRUST_PROXY
 * (see clientAddress for hops that are not addresses).
 * Every limit that applies to a request is counted in one storage call (one Redis round trip).
 * Answers with IETF `RateLimit-Limit/Remaining/Reset` headers for the tightest limit and, when
 * one is exceeded, 429 with a plain `Retry-After` in seconds.
 */
@Injectable()
export class AppThrottlerGuard extends ThrottlerGuard {
  override async canActivate(context: ExecutionContext): Promise<boolean> {
    const req = context.switchToHttp().getRequest<Request>();
    // Decided by the route the router matched, not by how the path was spelled: only routes
    // under the API prefix are limited (probes and /metrics are not; /docs is no Nest route).
    const route = (req.route as { path?: unknown } | undefined)?.path;
    if (typeof route === 'string' && !route.startsWith(API_ROUTE_PREFIX)) return true;
    const targets = [context.getHandler(), context.getClass()];
    const active = this.throttlers.filter(
      (t) =>
        !this.reflector.getAllAndOverride<boolean>(THROTTLER_SKIP + t.name, targets) &&
        !(t.skipIf ?? this.commonOptions.skipIf)?.(context),
    );
    if (active.length === 0) return true;

    const tracker = await this.getTracker(req);
    const hits: Hit[] = active.map((t) => ({
      key: `${t.name}:${tracker}`,
      ttl: t.ttl as number,
      limit: t.limit as number,
    }));
    const records = await (this.storageService as ResilientThrottlerStorage).incrementAll(hits);

    const res = context.switchToHttp().getResponse<Response>();
    let tightest = 0;
    records.forEach((r, i) => {
      const left = hits[i].limit - r.totalHits;
      if (left < hits[tightest].limit - records[tightest].totalHits) tightest = i;
    });
    res.setHeader('RateLimit-Limit', hits[tightest].limit);
    res.setHeader(
      'RateLimit-Remaining',
      Math.max(0, hits[tightest].limit - records[tightest].totalHits),
    );
    res.setHeader('RateLimit-Reset', records[tightest].timeToExpire);

    const blocked = records
      .map((r, i) => ({ r, name: active[i].name!, limit: hits[i].limit }))
      .filter(({ r }) => r.isBlocked)
      .sort((a, b) => b.r.timeToBlockExpire - a.r.timeToBlockExpire)[0];
    if (blocked) {
      res.setHeader('Retry-After', blocked.r.timeToBlockExpire);
      throw new AppError(
        'RATE_LIMITED',
        `Too many requests: the ${blocked.name} limit of ${blocked.limit} is used up; retry in ${blocked.r.timeToBlockExpire} s`,
      );
    }
    return true;
  }

  /** The client address (junk in X-Forwarded-For never makes a bucket), IPv6 by /64. */
  protected override getTracker(req: Request): Promise<string> {
    return super.getTracker({ ip: clientAddress(req) });
  }
}

import { Injectable, type ExecutionContext } from '@nestjs/common';
import { ThrottlerGuard, type ThrottlerOptions } from '@nestjs/throttler';
import { normalizeIp } from '@nestjs/throttler/dist/ip.js';
import { THROTTLER_SKIP } from '@nestjs/throttler/dist/throttler.constants.js';
import type { Request, Response } from 'express';
import { prefetchedVersions, type CacheTag } from '../cache/cache-tags.js';
import { earlyLimiters, type EarlyLimiter } from '../cache/http-cache.fast-path.js';
import { HTTP_CACHE_TAGS } from '../cache/http-cache.interceptor.js';
import { API_ROUTE_PREFIX } from '../common/http-edge.js';
import { AppError } from '../common/error-codes.js';
import { requestSlot } from '../common/request-slot.js';
import { clientAddress } from './client-address.js';
import { ResilientThrottlerStorage, type Hit } from './resilient-throttler.storage.js';

/** A limit that a request found used up. */
interface Exceeded {
  name: string;
  limit: number;
  retryAfter: number;
}

/** Requests counted before the Nest pipeline (by the cache's fast path): never twice. */
const countedEarly = requestSlot<Exceeded | null>('counted early');

/**
 * The global limiter. One budget per client across all routes (keys name the limit and the
 * client, never the route), the client being `req.ip` as Express derives it from TRUST_PROXY
 * (see clientAddress for hops that are not addresses).
 * Every limit that applies to a request is counted in one storage call (one Redis round trip,
 * which also reads a cached route's tag versions). Answers with IETF
 * `RateLimit-Limit/Remaining/Reset` headers for the tightest limit and, when one is exceeded,
 * 429 with a plain `Retry-After` in seconds.
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

    // a cached GET's tag versions come back with the counts: one round trip per request
    const tags =
      req.method === 'GET' || req.method === 'HEAD'
        ? this.reflector.get<CacheTag[] | undefined>(HTTP_CACHE_TAGS, context.getHandler())
        : undefined;
    // the same URL later: counted by the cache's fast path with these very limits
    if (tags) earlyLimiters.set(req, this.earlyLimiter(active, tags));
    const exceeded = countedEarly.has(req)
      ? countedEarly.get(req)
      : await this.count(req, context.switchToHttp().getResponse<Response>(), active, tags);
    if (exceeded) {
      throw new AppError(
        'RATE_LIMITED',
        `Too many requests: the ${exceeded.name} limit of ${exceeded.limit} is used up; retry in ${exceeded.retryAfter} s`,
      );
    }
    return true;
  }

  /**
   * The limiter a learned URL keeps (see LearnedRoutes.learn), made here rather than in
   * canActivate: a closure made there would share canActivate's scope, which the filter above
   * captures `context` into, and every learned URL would keep alive the whole first request that
   * taught it (its request, response, logger, middleware closures: ~10 KB each, ~75 MB for the
   * bench's 7,352 URLs).
   */
  private earlyLimiter(active: ThrottlerOptions[], tags: CacheTag[]): EarlyLimiter {
    return (req, res) =>
      this.count(req, res, active, tags).then((exceeded) => {
        countedEarly.set(req, exceeded);
        return !exceeded;
      });
  }

  /** Counts the request against every active limit, sets the headers; the limit it exceeds. */
  private async count(
    req: Request,
    res: Response,
    active: ThrottlerOptions[],
    tags: CacheTag[] | undefined,
  ): Promise<Exceeded | null> {
    const tracker = this.trackerOf(req);
    const hits: Hit[] = active.map((t) => ({
      key: `${t.name}:${tracker}`,
      client: tracker,
      ttl: t.ttl as number,
      limit: t.limit as number,
    }));
    const { records, versions } = await (
      this.storageService as ResilientThrottlerStorage
    ).incrementAll(hits, tags);
    if (versions) prefetchedVersions.set(req, versions);

    let tightest = 0;
    let blocked = -1;
    for (let i = 0; i < records.length; i++) {
      const r = records[i];
      if (hits[i].limit - r.totalHits < hits[tightest].limit - records[tightest].totalHits)
        tightest = i;
      // the limit blocked longest is the one to wait for
      if (r.isBlocked && (blocked < 0 || r.timeToBlockExpire > records[blocked].timeToBlockExpire))
        blocked = i;
    }
    res.setHeader('RateLimit-Limit', hits[tightest].limit);
    res.setHeader(
      'RateLimit-Remaining',
      Math.max(0, hits[tightest].limit - records[tightest].totalHits),
    );
    res.setHeader('RateLimit-Reset', records[tightest].timeToExpire);

    if (blocked < 0) return null;
    const retryAfter = records[blocked].timeToBlockExpire;
    res.setHeader('Retry-After', retryAfter);
    return { name: active[blocked].name!, limit: hits[blocked].limit, retryAfter };
  }

  /** The client address (junk in X-Forwarded-For never makes a bucket), IPv6 by /64. */
  private trackerOf(req: Request): string {
    return normalizeIp(clientAddress(req), this.ipv6SubnetPrefix);
  }

  protected override getTracker(req: Request): Promise<string> {
    return Promise.resolve(this.trackerOf(req));
  }
}

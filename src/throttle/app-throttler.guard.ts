import { HttpException, HttpStatus, Injectable, type ExecutionContext } from '@nestjs/common';
import { ThrottlerGuard } from '@nestjs/throttler';
import type { ThrottlerRequest } from '@nestjs/throttler/dist/throttler.guard.interface.js';
import type { Request, Response } from 'express';

interface Tightest {
  remaining: number;
}

const tightest = new WeakMap<Request, Tightest>();

/**
 * The global limiter. One budget per client across all routes (keys name the limit and the
 * client, never the route), the client being `req.ip` as Express computes it from TRUST_PROXY.
 * Answers with IETF `RateLimit-Limit/Remaining/Reset` headers for the tightest limit and, when
 * exceeded, 429 with a plain `Retry-After` in seconds.
 */
@Injectable()
export class AppThrottlerGuard extends ThrottlerGuard {
  protected override async handleRequest(props: ThrottlerRequest): Promise<boolean> {
    const { context, limit, ttl, throttler, blockDuration, getTracker, generateKey } = props;
    const req = context.switchToHttp().getRequest<Request>();
    const res = context.switchToHttp().getResponse<Response>();
    const tracker = await getTracker(req, context);
    const key = generateKey(context, tracker, throttler.name!);
    const record = await this.storageService.increment(
      key,
      ttl,
      limit,
      blockDuration,
      throttler.name!,
    );

    const remaining = Math.max(0, limit - record.totalHits);
    const previous = tightest.get(req);
    if (!previous || remaining < previous.remaining || record.isBlocked) {
      tightest.set(req, { remaining });
      res.setHeader('RateLimit-Limit', limit);
      res.setHeader('RateLimit-Remaining', remaining);
      res.setHeader('RateLimit-Reset', record.timeToExpire);
    }
    if (record.isBlocked) {
      res.setHeader('Retry-After', record.timeToBlockExpire);
      throw new HttpException(
        {
          message: `Too many requests: the ${throttler.name} limit of ${limit} is used up; retry in ${record.timeToBlockExpire} s`,
          code: 'RATE_LIMITED',
        },
        HttpStatus.TOO_MANY_REQUESTS,
      );
    }
    return true;
  }

  protected override shouldSkip(context: ExecutionContext): Promise<boolean> {
    // Only the API is limited: probes, /metrics, /docs and static files never are.
    return Promise.resolve(!context.switchToHttp().getRequest<Request>().path.startsWith('/api/'));
  }
}

import { createHash } from 'node:crypto';
import {
  applyDecorators,
  Inject,
  Injectable,
  SetMetadata,
  UseGuards,
  type CanActivate,
  type ExecutionContext,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request, Response } from 'express';
import type { AuthUser } from '../common/auth-user.js';
import { AppError } from '../common/error-codes.js';
import type { AppConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/config.module.js';
import { clientAddress } from '../throttle/client-address.js';
import { ResilientThrottlerStorage, type Hit } from '../throttle/resilient-throttler.storage.js';

export type AccountFlow =
  | 'verify-email-request'
  | 'verify-email'
  | 'password-reset-request'
  | 'password-reset'
  | 'email-change';

type Subject = 'ip' | 'account' | 'email';

interface Limit {
  per: Subject;
  /** Requests per hour. */
  limit: number;
}

const HOUR_MS = 3_600_000;

/**
 * Each flow's own budget, per hour, on top of the global per-client limits: per client address
 * always, and per account (signed-in flows) or per e-mail address asked about (reset), so that
 * neither many addresses nor many accounts get around them. Counted like every limit, in Redis
 * when configured (shared by every process) with the in-memory fallback.
 */
export const ACCOUNT_LIMITS: Record<AccountFlow, Limit[]> = {
  'verify-email-request': [
    { per: 'ip', limit: 10 },
    { per: 'account', limit: 3 },
  ],
  'verify-email': [{ per: 'ip', limit: 20 }],
  'password-reset-request': [
    { per: 'ip', limit: 10 },
    { per: 'email', limit: 3 },
  ],
  'password-reset': [{ per: 'ip', limit: 10 }],
  'email-change': [
    { per: 'ip', limit: 10 },
    { per: 'account', limit: 3 },
  ],
};

const FLOW_KEY = 'accounts:flow';

/** An e-mail as a bucket name: normalized as stored, hashed (no address in Redis keys). */
function emailBucket(value: unknown): string | undefined {
  if (typeof value !== 'string' || value.length > 254) return undefined;
  const email = value.trim().toLowerCase();
  return email ? createHash('sha256').update(email).digest('base64url').slice(0, 22) : undefined;
}

@Injectable()
export class AccountLimitGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly storage: ResilientThrottlerStorage,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (!this.config.throttle.enabled) return true;
    const flow = this.reflector.get<AccountFlow>(FLOW_KEY, context.getHandler());
    const http = context.switchToHttp();
    const req = http.getRequest<Request & { user?: AuthUser }>();
    const body = req.body as { email?: unknown } | undefined;
    const limits = ACCOUNT_LIMITS[flow].flatMap((l) => {
      const who =
        l.per === 'ip'
          ? clientAddress(req)
          : l.per === 'account'
            ? req.user && String(req.user.id)
            : emailBucket(body?.email);
      if (!who) return [];
      const client = `${flow}:${l.per}:${who}`;
      const hit: Hit = { key: `account:${client}`, client, ttl: HOUR_MS, limit: l.limit };
      return [{ ...l, hit }];
    });
    if (limits.length === 0) return true;
    const { records } = await this.storage.incrementAll(limits.map((l) => l.hit));
    const blocked = records
      .map((r, i) => ({ r, l: limits[i] }))
      .filter(({ r }) => r.isBlocked)
      .sort((a, b) => b.r.timeToBlockExpire - a.r.timeToBlockExpire)[0];
    if (!blocked) return true;
    http.getResponse<Response>().setHeader('Retry-After', blocked.r.timeToBlockExpire);
    const per = { ip: 'client address', account: 'account', email: 'e-mail address' }[
      blocked.l.per
    ];
    throw new AppError(
      'RATE_LIMITED',
      `Too many requests: the ${flow} limit of ${blocked.l.limit} per ${per} and hour is used up; retry in ${blocked.r.timeToBlockExpire} s`,
    );
  }
}

/** Counts the route against its flow's limits (ACCOUNT_LIMITS). */
export const AccountLimit = (flow: AccountFlow) =>
  applyDecorators(SetMetadata(FLOW_KEY, flow), UseGuards(AccountLimitGuard));

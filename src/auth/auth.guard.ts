import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { JwtService, TokenExpiredError } from '@nestjs/jwt';
import type { Request, Response } from 'express';
import type { AuthUser } from '../common/auth-user.js';
import { PUBLIC_KEY, ROLES_KEY, WWW_AUTHENTICATE_REALM } from '../common/auth.decorators.js';
import { AppError, type ErrorCode } from '../common/error-codes.js';
import { UsersService } from '../users/users.service.js';
import type { UserRole } from '../users/user.entity.js';
import { VERIFIED_EMAIL_KEY } from './verified-email.decorator.js';

export interface TokenPayload {
  sub: string;
  /** The user's token version when issued; a password change or a deactivation bumps it. */
  tv: number;
}

/** The one algorithm tokens are signed and verified with: `none`, HS512, RS256... are refused. */
export const TOKEN_ALGORITHM = 'HS256';

/** RFC 9110 §11.6.1: the scheme is case-insensitive; the token68 itself holds no spaces. */
const BEARER = /^bearer +([A-Za-z0-9._~+/-]+=*)$/i;

/**
 * A 401 with the RFC 6750 §3.1 challenge: no `error` attribute when no token was sent,
 * `invalid_request` for an Authorization header that is not one token, else `invalid_token`.
 */
function refuse(
  res: Response,
  code: ErrorCode,
  message: string,
  error?: 'invalid_request' | 'invalid_token',
): AppError {
  res.setHeader(
    'WWW-Authenticate',
    error
      ? `${WWW_AUTHENTICATE_REALM}, error="${error}", error_description="${message}"`
      : WWW_AUTHENTICATE_REALM,
  );
  return new AppError(code, message);
}

/**
 * Global guard: every route needs a valid bearer token unless it is @Public(). The user is
 * read from the database on each request, so deactivation, role changes and password changes
 * take effect on the very next request. @Roles() then restricts by role (403), and
 * @VerifiedEmail() to accounts whose address is verified (403).
 */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly jwt: JwtService,
    private readonly users: UsersService,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC_KEY, targets)) return true;

    const http = context.switchToHttp();
    const req = http.getRequest<Request & { user?: AuthUser }>();
    const res = http.getResponse<Response>();
    const header = req.headers.authorization?.trim() ?? '';
    if (!/^bearer(\s|$)/i.test(header)) {
      throw refuse(res, 'TOKEN_MISSING', 'A bearer token is required');
    }
    const token = BEARER.exec(header)?.[1];
    if (!token)
      throw refuse(res, 'TOKEN_INVALID', 'The bearer token is malformed', 'invalid_request');

    let payload: TokenPayload & { exp?: unknown };
    try {
      payload = await this.jwt.verifyAsync(token, { algorithms: [TOKEN_ALGORITHM] });
    } catch (err) {
      if (err instanceof TokenExpiredError) {
        throw refuse(res, 'TOKEN_EXPIRED', 'The token has expired', 'invalid_token');
      }
      throw refuse(res, 'TOKEN_INVALID', 'The token is invalid', 'invalid_token');
    }
    // jsonwebtoken accepts a token without `exp` as valid forever; ours always carry one
    if (typeof payload.exp !== 'number') {
      throw refuse(res, 'TOKEN_INVALID', 'The token has no expiry', 'invalid_token');
    }
    const id = Number(payload.sub);
    const user = Number.isSafeInteger(id) ? await this.users.findForAuth(id) : null;
    if (!user || !user.isActive || user.tokenVersion !== payload.tv) {
      throw refuse(res, 'TOKEN_REVOKED', 'The token is no longer valid', 'invalid_token');
    }
    req.user = { id: user.id, role: user.role };

    const roles = this.reflector.getAllAndOverride<UserRole[] | undefined>(ROLES_KEY, targets);
    if (roles && !roles.includes(user.role)) {
      throw new AppError('FORBIDDEN_ROLE', `This action is for ${roles.join(' or ')} accounts`);
    }
    const mustBeVerified = this.reflector.getAllAndOverride<boolean>(VERIFIED_EMAIL_KEY, targets);
    if (mustBeVerified && user.role !== 'admin' && user.emailVerifiedAt === null) {
      throw new AppError(
        'EMAIL_NOT_VERIFIED',
        'Verify your e-mail address first: follow the link mailed to you, or ask for a new one with POST /api/v1/auth/verify-email/request',
      );
    }
    return true;
  }
}

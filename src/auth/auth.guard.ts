import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { JwtService } from '@nestjs/jwt';
import type { Request } from 'express';
import { UsersService } from '../users/users.service.js';
import type { UserRole } from '../users/user.entity.js';
import type { AuthUser } from './auth-user.js';
import { PUBLIC_KEY, ROLES_KEY } from './decorators.js';
import { AppError } from '../common/error-codes.js';

export interface TokenPayload {
  sub: string;
  /** The user's token version when issued; a password change bumps it. */
  tv: number;
}

const unauthorized = (message: string) => new AppError('UNAUTHORIZED', message);

/**
 * Global guard: every route needs a valid bearer token unless it is @Public(). The user is
 * read from the database on each request, so deactivation, role changes and password changes
 * take effect on the very next request. @Roles() then restricts by role (403).
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

    const req = context.switchToHttp().getRequest<Request & { user?: AuthUser }>();
    const [scheme, token] = (req.headers.authorization ?? '').split(' ');
    if (scheme !== 'Bearer' || !token) throw unauthorized('A bearer token is required');

    let payload: TokenPayload;
    try {
      payload = await this.jwt.verifyAsync<TokenPayload>(token, { algorithms: ['HS256'] });
    } catch {
      throw unauthorized('The token is invalid or expired');
    }
    const id = Number(payload.sub);
    const user = Number.isSafeInteger(id) ? await this.users.findForAuth(id) : null;
    if (!user || !user.isActive || user.tokenVersion !== payload.tv) {
      throw unauthorized('The token is no longer valid');
    }
    req.user = { id: user.id, role: user.role };

    const roles = this.reflector.getAllAndOverride<UserRole[] | undefined>(ROLES_KEY, targets);
    if (roles && !roles.includes(user.role)) {
      throw new AppError('FORBIDDEN_ROLE', `This action is for ${roles.join(' or ')} accounts`);
    }
    return true;
  }
}

import { createParamDecorator, SetMetadata, type ExecutionContext } from '@nestjs/common';
import type { Request } from 'express';
import type { UserRole } from '../users/user.entity.js';
import type { AuthUser } from './auth-user.js';

export const PUBLIC_KEY = 'auth:public';
export const ROLES_KEY = 'auth:roles';

/** The RFC 6750 challenge every 401 carries (the auth guard adds the `error` attributes). */
export const WWW_AUTHENTICATE_REALM = 'Bearer realm="spajobs"';

/** No token needed, and none is read: the response must not depend on the caller. */
export const Public = () => SetMetadata(PUBLIC_KEY, true);

/** Only these roles may call the route (after authentication). */
export const Roles = (...roles: UserRole[]) => SetMetadata(ROLES_KEY, roles);

export const CurrentUser = createParamDecorator(
  (_: unknown, ctx: ExecutionContext): AuthUser =>
    ctx.switchToHttp().getRequest<Request & { user: AuthUser }>().user,
);

import type { UserRole } from '../users/user.entity.js';

/** The caller, as the auth guard found them in the database on this request. */
export interface AuthUser {
  id: number;
  role: UserRole;
}

export const isAdmin = (user: AuthUser): boolean => user.role === 'admin';

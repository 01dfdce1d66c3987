import { isAdmin, type AuthUser } from '../common/auth-user.js';

/**
 * The one ownership rule behind spas, their jobs and those jobs' applications: admins, and the
 * owner while they are still an employer. The role is the caller's current one (the auth guard
 * reloads it on every request), so a demoted owner loses access on their next request.
 */
export function mayManage(actor: AuthUser, ownerId: number): boolean {
  return isAdmin(actor) || (actor.role === 'employer' && actor.id === ownerId);
}

/**
 * What the public may see of a spa (and so of its jobs): active, and its owner still an active
 * employer or admin (`owner_listed`, kept by a trigger on users). SQL over the alias `s`.
 */
export const SPA_LISTED = 's.is_active AND s.owner_listed';

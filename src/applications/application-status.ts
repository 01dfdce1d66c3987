import { APPLICATION_STATUSES, type ApplicationStatus } from './application.entity.js';

/**
 * Where the employer may move an application next. `hired` is final; a rejected candidate may be
 * reconsidered; `withdrawn` is the applicant's own move (see WITHDRAWABLE) and final.
 */
export const NEXT_STATUSES: Record<ApplicationStatus, readonly ApplicationStatus[]> = {
  submitted: ['reviewed', 'shortlisted', 'rejected'],
  reviewed: ['shortlisted', 'rejected'],
  shortlisted: ['reviewed', 'hired', 'rejected'],
  rejected: ['reviewed'],
  hired: [],
  withdrawn: [],
};

/** The statuses an employer may set (withdrawing is the applicant's alone). */
export const EMPLOYER_STATUSES = APPLICATION_STATUSES.filter((s) => s !== 'withdrawn');

/** The applicant may withdraw until the employer has decided (rejected or hired). */
export const WITHDRAWABLE: readonly ApplicationStatus[] = ['submitted', 'reviewed', 'shortlisted'];

/** The statuses from which `to` can be reached. */
export function statusesLeadingTo(to: ApplicationStatus): ApplicationStatus[] {
  return (Object.keys(NEXT_STATUSES) as ApplicationStatus[]).filter((from) =>
    NEXT_STATUSES[from].includes(to),
  );
}

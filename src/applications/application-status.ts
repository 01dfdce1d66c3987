import type { ApplicationStatus } from './application.entity.js';

/**
 * Where an application may go next. `hired` is final; a rejected candidate may be reconsidered.
 */
export const NEXT_STATUSES: Record<ApplicationStatus, readonly ApplicationStatus[]> = {
  submitted: ['reviewed', 'shortlisted', 'rejected'],
  reviewed: ['shortlisted', 'rejected'],
  shortlisted: ['reviewed', 'hired', 'rejected'],
  rejected: ['reviewed'],
  hired: [],
};

/** The statuses from which `to` can be reached. */
export function statusesLeadingTo(to: ApplicationStatus): ApplicationStatus[] {
  return (Object.keys(NEXT_STATUSES) as ApplicationStatus[]).filter((from) =>
    NEXT_STATUSES[from].includes(to),
  );
}

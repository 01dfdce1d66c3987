/** The scheduled scan for new matches (every minute) and the daily digest run. */
export const ALERT_SCAN = 'saved-searches.scan';
export const ALERT_SCAN_CRON = '* * * * *';
export const DIGEST_RUN = 'saved-searches.digest-run';
/** 07:00 UTC: morning in the Americas' time zones, where the spas are. */
export const DIGEST_RUN_CRON = '0 7 * * *';

/** One mail per (search, job) of an instant search. */
export const INSTANT_ALERT = 'saved-searches.instant-alert';
export interface InstantAlertJob {
  searchId: number;
  jobId: number;
}

/** One mail per digest of a daily search (its alerts carry the digest's id). */
export const DIGEST_MAIL = 'saved-searches.digest-mail';
export interface DigestMailJob {
  searchId: number;
  digestId: string;
}

/**
 * Where the app keeps rows about a person, in one place: what the export reads and what the
 * account deletion erases are both derived from this list, so a table cannot be exported and
 * forgotten by the deletion (or the reverse). Each `select` returns one `row` (jsonb) per
 * record about user `$1`, never a secret (password hash, token version, token hashes); the
 * export turns the keys into camelCase.
 *
 * `erase` is what the deletion does with those rows, inside its transaction:
 * - a DELETE, for rows that exist only for the person;
 * - nothing here (`undefined`) for rows that others keep: the applications the employer keeps
 *   and the spas and jobs, which AccountDeletionService anonymises or closes itself.
 */
export interface PersonalTable {
  /** The key of the section in the export document. */
  section: string;
  select: string;
  erase?: string;
}

const SEARCH_IDS = 'SELECT id::text FROM saved_searches WHERE user_id = $1';

/**
 * The notices mailed to the person, tied by the id each kind's key starts with
 * (`<kind>:<id>[:...]`): their applications, spas' applications and jobs, account tokens and
 * exports. The keys hold ids only, but they say what happened to whom.
 */
const NOTICES_TO_USER = `
  CASE
    WHEN n.kind IN ('application-status', 'application-withdrawn') THEN
      split_part(n.notice_key, ':', 2) IN (SELECT id::text FROM applications WHERE applicant_id = $1)
    WHEN n.kind = 'application-received' THEN
      split_part(n.notice_key, ':', 2) IN (
        SELECT a.id::text FROM applications a
          JOIN jobs j ON j.id = a.job_id JOIN spas s ON s.id = j.spa_id WHERE s.owner_id = $1)
    WHEN n.kind = 'job-expiring' THEN
      split_part(n.notice_key, ':', 2) IN (
        SELECT j.id::text FROM jobs j JOIN spas s ON s.id = j.spa_id WHERE s.owner_id = $1)
    WHEN n.kind = 'applications-digest' THEN split_part(n.notice_key, ':', 2) = ($1::int)::text
    WHEN n.kind IN ('verify-email', 'change-email', 'password-reset', 'email-change-notice') THEN
      split_part(n.notice_key, ':', 2) IN (SELECT id::text FROM account_tokens WHERE user_id = $1)
    WHEN n.kind = 'saved-search-alert' THEN
      split_part(split_part(n.notice_key, ':', 2), '.', 1) IN (${SEARCH_IDS})
    WHEN n.kind = 'saved-search-digest' THEN
      split_part(n.notice_key, ':', 2) IN (
        SELECT digest_id::text FROM saved_search_alerts WHERE search_id::text IN (${SEARCH_IDS}))
    WHEN n.kind = 'data-export-ready' THEN
      split_part(n.notice_key, ':', 2) IN (SELECT id::text FROM data_exports WHERE user_id = $1)
    ELSE false
  END`;

export const PERSONAL_TABLES: readonly PersonalTable[] = [
  {
    section: 'applications',
    // the job and spa named, as the applicant saw them when applying; never another person
    select: `
      SELECT to_jsonb(a) || jsonb_build_object('jobTitle', j.title, 'spaName', s.name) AS row
        FROM applications a JOIN jobs j ON j.id = a.job_id JOIN spas s ON s.id = j.spa_id
       WHERE a.applicant_id = $1 ORDER BY a.id`,
  },
  {
    section: 'spas',
    select: `
      SELECT to_jsonb(s) - 'search_vector' - 'owner_listed' AS row
        FROM spas s WHERE s.owner_id = $1 ORDER BY s.id`,
  },
  {
    section: 'jobs',
    // the jobs of their spas, and those they posted on someone else's spa as an admin
    select: `
      SELECT to_jsonb(j) - 'search_vector' AS row
        FROM jobs j
       WHERE j.spa_id IN (SELECT id FROM spas WHERE owner_id = $1) OR j.created_by = $1
       ORDER BY j.id`,
  },
  {
    section: 'uploadUsage',
    select: `SELECT to_jsonb(u) - 'user_id' AS row FROM upload_usage u WHERE u.user_id = $1 ORDER BY u.day`,
    erase: `DELETE FROM upload_usage WHERE user_id = $1`,
  },
  {
    section: 'sentNotices',
    // first: notices are tied through the rows of the tables below
    select: `SELECT to_jsonb(n) AS row FROM sent_notices n WHERE ${NOTICES_TO_USER} ORDER BY n.sent_at`,
    erase: `DELETE FROM sent_notices n WHERE ${NOTICES_TO_USER}`,
  },
  {
    section: 'savedSearchAlerts',
    // before saved_searches: tied through them
    select: `
      SELECT to_jsonb(a) AS row FROM saved_search_alerts a
       WHERE a.search_id IN (SELECT id FROM saved_searches WHERE user_id = $1)
       ORDER BY a.search_id, a.job_id`,
    erase: `
      DELETE FROM saved_search_alerts
       WHERE search_id IN (SELECT id FROM saved_searches WHERE user_id = $1)`,
  },
  {
    section: 'savedSearches',
    select: `SELECT to_jsonb(s) - 'user_id' AS row FROM saved_searches s WHERE s.user_id = $1 ORDER BY s.id`,
    erase: `DELETE FROM saved_searches WHERE user_id = $1`,
  },
  {
    section: 'noticePreferences',
    select: `SELECT to_jsonb(p) - 'user_id' AS row FROM notice_preferences p WHERE p.user_id = $1`,
    erase: `DELETE FROM notice_preferences WHERE user_id = $1`,
  },
  {
    section: 'accountTokens',
    // what each single-use token was for and when it was used; never its hash
    select: `
      SELECT jsonb_build_object('id', t.id, 'purpose', t.purpose, 'newEmail', t.new_email,
               'createdAt', t.created_at, 'expiresAt', t.expires_at, 'usedAt', t.used_at) AS row
        FROM account_tokens t WHERE t.user_id = $1 ORDER BY t.id`,
    erase: `DELETE FROM account_tokens WHERE user_id = $1`,
  },
  {
    section: 'dataExports',
    // the requests, not earlier documents
    select: `
      SELECT to_jsonb(e) - 'document' - 'user_id' AS row
        FROM data_exports e WHERE e.user_id = $1 ORDER BY e.id`,
    erase: `DELETE FROM data_exports WHERE user_id = $1`,
  },
];

/** The account row as its owner may see it: never the password hash or the token version. */
export const USER_ROW = `
  SELECT to_jsonb(u) - 'password_hash' - 'token_version' AS row FROM users u WHERE u.id = $1`;

/** snake_case keys to camelCase, one level deep (the rows are flat). */
export function camelRow(row: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(row).map(([k, v]) => [
      k.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase()),
      v,
    ]),
  );
}

/**
 * Every queue job, wherever it is: sent but not relayed yet (`queue_outbox`, state `outbox`) or
 * in pg-boss (its state). For `FROM ${ALL_JOBS} WHERE name = $1 ...`.
 */
export const ALL_JOBS = `(
  SELECT id::text AS id, name, data, state::text AS state FROM pgboss.job
  UNION ALL
  SELECT job_id::text, name, data, 'outbox' FROM queue_outbox
) AS jobs`;

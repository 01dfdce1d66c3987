import type { DataSource } from 'typeorm';
import { hashPassword } from '../../users/password.js';
import {
  EMPLOYMENT_TYPE_CYCLE,
  JOB_DESCRIPTIONS,
  SPA_DESCRIPTIONS,
  SPA_NAME_FIRST,
  SPA_NAME_SECOND,
  SPECIALTIES,
  TITLE_QUALIFIERS,
} from './vocabulary.js';
import { selectRows } from '../sql.js';

const LOAD_PASSWORD = 'spajobs-load';
const BATCH = 20_000;

async function count(ds: DataSource, sql: string): Promise<number> {
  const [{ n }] = await selectRows<{ n: string }>(ds, sql);
  return Number(n);
}

/**
 * The large deterministic dataset of the load tests, generated inside PostgreSQL
 * (generate_series and arithmetic on the row number, no randomness): `jobs` jobs in
 * jobs/50 spas of jobs/200 employers, spread over every city. Re-running only adds what is
 * missing, so `--jobs 200000` after `--jobs 50000` tops the dataset up.
 */
export async function seedLoadDataset(
  ds: DataSource,
  jobs: number,
  log: (msg: string) => void = console.log,
): Promise<void> {
  const employers = Math.max(10, Math.ceil(jobs / 200));
  const spas = Math.max(10, Math.ceil(jobs / 50));

  const haveEmployers = await count(
    ds,
    `SELECT count(*) AS n FROM users WHERE email LIKE 'load-employer-%'`,
  );
  if (haveEmployers < employers) {
    const hash = await hashPassword(LOAD_PASSWORD);
    await ds.query(
      `INSERT INTO users (email, password_hash, full_name, role, email_verified_at)
       SELECT 'load-employer-' || g || '@spajobs.test', $1, 'Load Employer ' || g, 'employer', now()
       FROM generate_series($2::int, $3::int) g`,
      [hash, haveEmployers + 1, employers],
    );
  }

  const haveSpas = await count(ds, `SELECT count(*) AS n FROM spas WHERE slug LIKE 'load-spa-%'`);
  if (haveSpas < spas) {
    await ds.query(
      `WITH cs AS (SELECT array_agg(id ORDER BY id) AS ids, array_agg(state_id ORDER BY id) AS sids,
                          array_agg(name ORDER BY id) AS names, count(*)::int AS n FROM cities),
            us AS (SELECT array_agg(id ORDER BY id) AS ids, count(*)::int AS n
                   FROM users WHERE email LIKE 'load-employer-%')
       INSERT INTO spas (owner_id, name, slug, description, address, state_id, city_id, rating,
                         is_verified, created_at)
       SELECT us.ids[1 + g % us.n],
              ($1::text[])[1 + g % cardinality($1::text[])] || ' ' ||
                ($2::text[])[1 + (g / 7) % cardinality($2::text[])] || ' ' || cs.names[x.ci],
              'load-spa-' || g,
              ($3::text[])[1 + g % cardinality($3::text[])],
              (100 + g % 9000) || ' Main Street',
              cs.sids[x.ci], cs.ids[x.ci],
              3 + (g % 21) / 10.0,
              g % 3 <> 0,
              timestamptz '2025-01-01' + g * interval '2 hours'
       FROM generate_series($4::int, $5::int) g
       CROSS JOIN cs CROSS JOIN us
       CROSS JOIN LATERAL (SELECT 1 + ((g::bigint * 7919) % cs.n)::int AS ci) x`,
      [SPA_NAME_FIRST, SPA_NAME_SECOND, SPA_DESCRIPTIONS, haveSpas + 1, spas],
    );
  }
  log(`load dataset: ${employers} employers, ${spas} spas`);

  const haveJobs = await count(ds, `SELECT count(*) AS n FROM jobs WHERE slug LIKE 'load-job-%'`);
  for (let from = haveJobs + 1; from <= jobs; from += BATCH) {
    const to = Math.min(jobs, from + BATCH - 1);
    const started = Date.now();
    await ds.query(
      `WITH sp AS (SELECT array_agg(id ORDER BY id) AS ids, array_agg(city_id ORDER BY id) AS cities,
                          array_agg(state_id ORDER BY id) AS states, array_agg(owner_id ORDER BY id) AS owners,
                          array_agg(name ORDER BY id) AS names, count(*)::int AS n
                   FROM spas WHERE slug LIKE 'load-spa-%'),
            cat AS (SELECT array_agg(id ORDER BY id) AS ids, array_agg(name ORDER BY id) AS names,
                           count(*)::int AS n FROM job_categories)
       INSERT INTO jobs (spa_id, category_id, state_id, city_id, title, slug, description, employment_type,
                         salary_min, salary_max, is_active, is_featured, view_count, expires_at,
                         created_by, created_at)
       SELECT sp.ids[x.k], cat.ids[x.c], sp.states[x.k], sp.cities[x.k],
              ($1::text[])[1 + g % cardinality($1::text[])] || ' ' || cat.names[x.c],
              'load-job-' || g,
              ($2::text[])[1 + g % cardinality($2::text[])] || ' Specialties: ' ||
                ($3::text[])[1 + (g * 31) % cardinality($3::text[])] || ', ' ||
                ($3::text[])[1 + (g * 17 + 5) % cardinality($3::text[])] || '. Join the team at ' ||
                sp.names[x.k] || '.',
              ($4::text[])[1 + g % cardinality($4::text[])],
              CASE WHEN g % 4 = 0 THEN NULL ELSE 25000 + (g * 37 % 50) * 1000 END,
              CASE WHEN g % 4 = 0 THEN NULL ELSE 30000 + (g * 37 % 50) * 1000 + (g * 13 % 20) * 1000 END,
              g % 50 <> 0,
              g % 40 = 0,
              (g::bigint * 7919 % 5000)::int,
              CASE WHEN g % 33 = 0 THEN timestamptz '2026-02-01' END,
              sp.owners[x.k],
              timestamptz '2025-12-01' + ((g::bigint * 157) % 475200) * interval '1 minute'
       FROM generate_series($5::int, $6::int) g
       CROSS JOIN sp CROSS JOIN cat
       CROSS JOIN LATERAL (SELECT 1 + ((g::bigint * 2654435761) % sp.n)::int AS k,
                                  1 + ((g::bigint * 40503) % cat.n)::int AS c) x`,
      [TITLE_QUALIFIERS, JOB_DESCRIPTIONS, SPECIALTIES, [...EMPLOYMENT_TYPE_CYCLE], from, to],
    );
    log(`load dataset: jobs ${from}..${to} in ${Date.now() - started} ms`);
  }
  await ds.query(`ANALYZE users, spas, jobs`);
}

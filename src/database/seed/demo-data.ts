import type { QueryRunner } from 'typeorm';
import { hashPassword } from '../../users/password.js';
import { slugify } from '../../common/slug.js';
import { selectRows, type SqlRunner } from '../sql.js';
import {
  EMPLOYMENT_TYPE_CYCLE,
  JOB_DESCRIPTIONS,
  JOB_REQUIREMENTS,
  JOB_TITLES,
  prng,
  SPA_DESCRIPTIONS,
  SPA_NAME_FIRST,
  SPA_NAME_SECOND,
} from './vocabulary.js';

/**
 * Development-only accounts with published passwords: never seeded when NODE_ENV=production
 * (the config refuses it), and disabled at a production boot if the database has them
 * (DemoSeeder). They are written straight to the database, so the password rules of the API
 * do not apply to them.
 */
export const DEMO_ADMIN = { email: 'admin@spajobs.local', password: 'spajobs-admin-demo' };
export const DEMO_USER_PASSWORD = 'spajobs-demo';
const EMPLOYERS = 10;
const SEEKERS = 5;
const employerEmail = (n: number) => `employer${n}@spajobs.local`;
const seekerEmail = (n: number) => `seeker${n}@spajobs.local`;
/** Every demo account's e-mail (lower-case, as stored). */
export const DEMO_EMAILS: readonly string[] = [
  DEMO_ADMIN.email,
  ...Array.from({ length: EMPLOYERS }, (_, i) => employerEmail(i + 1)),
  ...Array.from({ length: SEEKERS }, (_, i) => seekerEmail(i + 1)),
];
const SPAS = 50;
const JOBS_PER_SPA = 10;
const DAY_MS = 86_400_000;

interface Row {
  id: number;
}

const pick = <T>(rand: () => number, items: readonly T[]): T =>
  items[Math.floor(rand() * items.length)];

/**
 * Seeds the demo dataset once: an admin, employers, job seekers, ~50 spas and ~500 jobs.
 * Returns false when it was already there. Runs inside the caller's advisory lock.
 */
export async function seedDemoData(runner: QueryRunner): Promise<boolean> {
  const existing = await selectRows(runner, `SELECT 1 FROM users WHERE lower(email) = $1`, [
    DEMO_ADMIN.email,
  ]);
  if (existing.length > 0) return false;

  const rand = prng(20261127);
  const [adminHash, userHash] = await Promise.all([
    hashPassword(DEMO_ADMIN.password),
    hashPassword(DEMO_USER_PASSWORD),
  ]);
  const cities = await selectRows<{ id: number; state_id: number; name: string }>(
    runner,
    `SELECT id, state_id, name FROM cities ORDER BY id`,
  );
  const categories = await selectRows<{ id: number; slug: string; name: string }>(
    runner,
    `SELECT id, slug, name FROM job_categories ORDER BY id`,
  );

  await runner.startTransaction();
  try {
    const users = [
      { email: DEMO_ADMIN.email, hash: adminHash, name: 'Demo Admin', role: 'admin' },
      ...Array.from({ length: EMPLOYERS }, (_, i) => ({
        email: employerEmail(i + 1),
        hash: userHash,
        name: `Demo Employer ${i + 1}`,
        role: 'employer',
      })),
      ...Array.from({ length: SEEKERS }, (_, i) => ({
        email: seekerEmail(i + 1),
        hash: userHash,
        name: `Demo Job Seeker ${i + 1}`,
        role: 'job_seeker',
      })),
    ];
    const userIds = await selectRows<Row>(
      runner,
      // verified, as if each had followed their verification link (employers post jobs)
      `INSERT INTO users (email, password_hash, full_name, role, email_verified_at)
       SELECT *, now() FROM unnest($1::text[], $2::text[], $3::text[], $4::text[])
       RETURNING id`,
      [
        users.map((u) => u.email),
        users.map((u) => u.hash),
        users.map((u) => u.name),
        users.map((u) => u.role),
      ],
    );
    const employerIds = userIds.slice(1, 1 + EMPLOYERS).map((r) => r.id);

    const now = Date.now();
    const spas = Array.from({ length: SPAS }, (_, i) => {
      const city = pick(rand, cities);
      const name = `${SPA_NAME_FIRST[i % SPA_NAME_FIRST.length]} ${pick(rand, SPA_NAME_SECOND)}`;
      return {
        owner: employerIds[i % EMPLOYERS],
        name,
        slug: `${slugify(`${name} ${city.name}`)}-${i + 1}`,
        description: pick(rand, SPA_DESCRIPTIONS),
        address: `${100 + Math.floor(rand() * 9800)} Main Street`,
        state: city.state_id,
        city: city.id,
        rating: Math.round((3 + rand() * 2) * 10) / 10,
        verified: rand() < 0.6,
        created: new Date(now - Math.floor(rand() * 365) * DAY_MS).toISOString(),
      };
    });
    const spaIds = await selectRows<Row>(
      runner,
      `INSERT INTO spas (owner_id, name, slug, description, address, state_id, city_id, rating, is_verified, created_at)
       SELECT * FROM unnest($1::int[], $2::text[], $3::text[], $4::text[], $5::text[], $6::int[], $7::int[],
                            $8::numeric[], $9::bool[], $10::timestamptz[])
       RETURNING id`,
      [
        spas.map((s) => s.owner),
        spas.map((s) => s.name),
        spas.map((s) => s.slug),
        spas.map((s) => s.description),
        spas.map((s) => s.address),
        spas.map((s) => s.state),
        spas.map((s) => s.city),
        spas.map((s) => s.rating),
        spas.map((s) => s.verified),
        spas.map((s) => s.created),
      ],
    );

    const jobs = spas.flatMap((spa, s) =>
      Array.from({ length: JOBS_PER_SPA }, (_, j) => {
        const n = s * JOBS_PER_SPA + j;
        const category = pick(rand, categories);
        const title = pick(rand, JOB_TITLES[category.slug] ?? [category.name]);
        const salaryMin = rand() < 0.75 ? 28_000 + Math.floor(rand() * 42) * 1000 : null;
        const roll = rand();
        return {
          spa: spaIds[s].id,
          category: category.id,
          state: spa.state,
          city: spa.city,
          title,
          slug: `${slugify(`${title} ${spa.name}`)}-${n + 1}`,
          description: `${pick(rand, JOB_DESCRIPTIONS)} ${pick(rand, JOB_DESCRIPTIONS)}`,
          requirements: pick(rand, JOB_REQUIREMENTS),
          type: EMPLOYMENT_TYPE_CYCLE[n % EMPLOYMENT_TYPE_CYCLE.length],
          salaryMin,
          salaryMax: salaryMin === null ? null : salaryMin + 5000 + Math.floor(rand() * 20) * 1000,
          active: roll >= 0.04,
          featured: rand() < 0.08,
          views: Math.floor(rand() * 500),
          // a few expired postings show that listings hide them
          expires: roll >= 0.04 && roll < 0.08 ? new Date(now - DAY_MS).toISOString() : null,
          createdBy: spa.owner,
          created: new Date(now - Math.floor(rand() * 60 * DAY_MS)).toISOString(),
        };
      }),
    );
    await runner.query(
      `INSERT INTO jobs (spa_id, category_id, state_id, city_id, title, slug, description, requirements,
                         employment_type, salary_min, salary_max, is_active, is_featured, view_count,
                         expires_at, created_by, created_at)
       SELECT * FROM unnest($1::int[], $2::int[], $3::int[], $4::int[], $5::text[], $6::text[], $7::text[],
                            $8::text[], $9::text[], $10::int[], $11::int[], $12::bool[], $13::bool[],
                            $14::int[], $15::timestamptz[], $16::int[], $17::timestamptz[])`,
      [
        jobs.map((j) => j.spa),
        jobs.map((j) => j.category),
        jobs.map((j) => j.state),
        jobs.map((j) => j.city),
        jobs.map((j) => j.title),
        jobs.map((j) => j.slug),
        jobs.map((j) => j.description),
        jobs.map((j) => j.requirements),
        jobs.map((j) => j.type),
        jobs.map((j) => j.salaryMin),
        jobs.map((j) => j.salaryMax),
        jobs.map((j) => j.active),
        jobs.map((j) => j.featured),
        jobs.map((j) => j.views),
        jobs.map((j) => j.expires),
        jobs.map((j) => j.createdBy),
        jobs.map((j) => j.created),
      ],
    );
    await seedApplications(
      runner,
      userIds.slice(1 + EMPLOYERS).map((r) => r.id),
      spaIds.map((r) => r.id),
    );
    await runner.commitTransaction();
    await runner.query('ANALYZE users, spas, jobs');
    return true;
  } catch (err) {
    await runner.rollbackTransaction();
    throw err;
  }
}

const APPLICATIONS_PER_SEEKER = 2;

/**
 * Each demo job seeker applies to an open job of two spas, so that every demo employer has an
 * application to review (and, when the app seeds, a notice in the outbox: see DemoSeeder).
 */
async function seedApplications(
  runner: QueryRunner,
  seekerIds: number[],
  spaIds: number[],
): Promise<void> {
  const spasApplied = seekerIds.flatMap((_, i) =>
    Array.from({ length: APPLICATIONS_PER_SEEKER }, (__, k) => spaIds[i + k * SEEKERS]),
  );
  const jobs = await selectRows<{ id: number; spa_id: number }>(
    runner,
    `SELECT DISTINCT ON (spa_id) id, spa_id FROM jobs
      WHERE spa_id = ANY($1::int[]) AND is_active AND expires_at IS NULL
      ORDER BY spa_id, id`,
    [spasApplied],
  );
  const jobOf = new Map(jobs.map((j) => [j.spa_id, j.id]));
  const rows = spasApplied.flatMap((spaId, n) => {
    const jobId = jobOf.get(spaId);
    return jobId === undefined
      ? []
      : [{ jobId, seekerId: seekerIds[Math.floor(n / APPLICATIONS_PER_SEEKER)] }];
  });
  await runner.query(
    `INSERT INTO applications (job_id, applicant_id, cover_letter)
     SELECT j, a, 'I would love to join your team: I am licensed and available to start soon.'
       FROM unnest($1::int[], $2::int[]) AS x(j, a)`,
    [rows.map((r) => r.jobId), rows.map((r) => r.seekerId)],
  );
}

/** The demo job seekers' applications (for their notices). */
export async function demoApplicationIds(runner: SqlRunner): Promise<number[]> {
  const rows = await selectRows<Row>(
    runner,
    `SELECT a.id FROM applications a JOIN users u ON u.id = a.applicant_id
      WHERE lower(u.email) = ANY($1::text[]) ORDER BY a.id`,
    [DEMO_EMAILS],
  );
  return rows.map((r) => r.id);
}

import pg from 'pg';
import { SPECIALTIES } from '../src/database/seed/vocabulary.js';

/**
 * The mixed workload of the load test, as request paths in proportion:
 * 60% job lists (filters, sorts, later pages), 20% job details, 10% spa lists and details,
 * 5% searches, 5% locations. Ids come from the database; later pages use cursors fetched
 * through the API beforehand (with the same secret the server signs them with).
 */
export interface Workload {
  paths: string[];
  clients: string[];
}

const MIX = { jobLists: 60, jobDetails: 20, spas: 10, search: 5, locations: 5 };
const CLIENTS = 20_000;
const SIZE = 40_000;

/** Deterministic pseudo-random choices, so every run replays the same workload. */
function chooser(seed: number) {
  let s = seed >>> 0;
  const next = () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
  return {
    next,
    pick: <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)],
  };
}

export function clientAddresses(): string[] {
  return Array.from(
    { length: CLIENTS },
    (_, i) => `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`,
  );
}

export async function buildWorkload(
  databaseUrl: string,
  baseUrl: string,
  clients: string[],
): Promise<Workload> {
  const db = new pg.Client({ connectionString: databaseUrl });
  await db.connect();
  const ids = async (sql: string) => (await db.query<{ id: number }>(sql)).rows.map((r) => r.id);
  const [states, cities, categories, spas, jobs, slugs] = await Promise.all([
    ids(`SELECT id FROM states`),
    ids(`SELECT DISTINCT city_id AS id FROM jobs`),
    ids(`SELECT id FROM job_categories`),
    ids(`SELECT id FROM spas WHERE is_active ORDER BY id LIMIT 2000`),
    ids(
      `SELECT id FROM jobs WHERE is_active AND (expires_at IS NULL OR expires_at > now()) ORDER BY (id * 7919) % 100003 LIMIT 3000`,
    ),
    db.query<{ slug: string }>(
      `SELECT slug FROM jobs WHERE is_active AND (expires_at IS NULL OR expires_at > now()) ORDER BY id DESC LIMIT 500`,
    ),
  ]);
  await db.end();

  const r = chooser(20261127);
  const sorts = ['newest', 'newest', 'popular', 'salary'];
  const types = ['full_time', 'part_time', 'contract'];
  const listFilters = (): string => {
    const roll = r.next();
    const sort = `sort=${r.pick(sorts)}`;
    if (roll < 0.2) return sort;
    if (roll < 0.45) return `stateId=${r.pick(states)}&${sort}`;
    if (roll < 0.65) return `cityId=${r.pick(cities)}&${sort}`;
    if (roll < 0.8) return `categoryId=${r.pick(categories)}&${sort}`;
    if (roll < 0.9) return `stateId=${r.pick(states)}&categoryId=${r.pick(categories)}`;
    if (roll < 0.95)
      return `employmentType=${r.pick(types)}&salaryMin=${40_000 + Math.floor(r.next() * 4) * 5000}`;
    return 'featured=true';
  };

  // Later pages: walk a few pages of some lists now, keeping their cursors.
  const later: string[] = [];
  for (let i = 0; i < 150; i++) {
    let query = listFilters();
    for (let page = 2; page <= 4; page++) {
      const res = await fetch(`${baseUrl}/api/v1/jobs?${query}`, {
        headers: { 'x-forwarded-for': clients[(i * 31 + page) % clients.length] },
      });
      if (!res.ok) throw new Error(`workload: GET /api/v1/jobs?${query} answered ${res.status}`);
      const body = (await res.json()) as { nextCursor: string | null };
      if (!body.nextCursor) break;
      query = `${query.replace(/&?cursor=[^&]*/, '')}&cursor=${encodeURIComponent(body.nextCursor)}`;
      later.push(`/api/v1/jobs?${query}`);
    }
  }

  const words = [
    ...SPECIALTIES.filter((w) => !w.includes(' ')),
    'massage',
    'esthetician',
    'manager',
    'nail',
    'yoga',
  ];
  const make: Record<keyof typeof MIX, () => string> = {
    jobLists: () =>
      r.next() < 0.25 && later.length ? r.pick(later) : `/api/v1/jobs?${listFilters()}`,
    jobDetails: () =>
      r.next() < 0.8 ? `/api/v1/jobs/${r.pick(jobs)}` : `/api/v1/jobs/${r.pick(slugs.rows).slug}`,
    spas: () => {
      const roll = r.next();
      if (roll < 0.5) return `/api/v1/spas/${r.pick(spas)}`;
      if (roll < 0.8) return `/api/v1/spas?stateId=${r.pick(states)}`;
      return `/api/v1/spas?sort=rating${r.next() < 0.5 ? `&cityId=${r.pick(cities)}` : ''}`;
    },
    search: () =>
      `/api/v1/jobs?q=${encodeURIComponent(r.pick(words))}${r.next() < 0.3 ? `&stateId=${r.pick(states)}` : ''}`,
    locations: () => {
      const roll = r.next();
      if (roll < 0.3) return '/api/v1/states';
      if (roll < 0.8) return `/api/v1/cities?stateId=${r.pick(states)}&limit=100`;
      return '/api/v1/job-categories';
    },
  };
  const paths: string[] = [];
  for (const [kind, weight] of Object.entries(MIX) as Array<[keyof typeof MIX, number]>) {
    for (let i = 0; i < (SIZE * weight) / 100; i++) paths.push(make[kind]());
  }
  // shuffle (deterministically) so that every stretch of the run has the same mix
  for (let i = paths.length - 1; i > 0; i--) {
    const j = Math.floor(r.next() * (i + 1));
    [paths[i], paths[j]] = [paths[j], paths[i]];
  }
  return { paths, clients };
}

import type { SelectQueryBuilder } from 'typeorm';
import { SPA_LISTED } from '../spas/spa-access.js';
import type { JobDto, JobSummaryDto, OwnJobDto, OwnJobSummaryDto } from './dto/job.dto.js';
import type { EmploymentType, Job } from './job.entity.js';

/** One row of the joined job queries, as the driver returns it. */
export interface JobRow {
  id: number;
  slug: string;
  title: string;
  excerpt: string;
  employment_type: EmploymentType;
  salary_min: number | null;
  salary_max: number | null;
  is_featured: boolean;
  view_count: number;
  expires_at: Date | null;
  created_at: Date;
  spa_id: number;
  spa_slug: string;
  spa_name: string;
  spa_verified: boolean;
  spa_rating: string;
  category_id: number;
  category_name: string;
  category_slug: string;
  city_id: number;
  city_name: string;
  city_slug: string;
  state_id: number;
  state_code: string;
  state_name: string;
  state_slug: string;
}

export interface JobDetailRow extends JobRow {
  description: string;
  requirements: string | null;
  is_active: boolean;
  closed_by_admin: boolean;
  updated_at: Date;
}

/**
 * Selects a job with its spa, category, city and state in one query (never one per row).
 * `detail` adds the full texts.
 */
export function selectJobs(qb: SelectQueryBuilder<Job>, detail = false): SelectQueryBuilder<Job> {
  qb.select([
    'j.id AS id',
    'j.slug AS slug',
    'j.title AS title',
    'left(j.description, 200) AS excerpt',
    'j.employment_type AS employment_type',
    'j.salary_min AS salary_min',
    'j.salary_max AS salary_max',
    'j.is_featured AS is_featured',
    'j.view_count AS view_count',
    'j.expires_at AS expires_at',
    'j.created_at AS created_at',
    's.id AS spa_id',
    's.slug AS spa_slug',
    's.name AS spa_name',
    's.is_verified AS spa_verified',
    's.rating AS spa_rating',
    'cat.id AS category_id',
    'cat.name AS category_name',
    'cat.slug AS category_slug',
    'c.id AS city_id',
    'c.name AS city_name',
    'c.slug AS city_slug',
    'st.id AS state_id',
    'st.code AS state_code',
    'st.name AS state_name',
    'st.slug AS state_slug',
  ])
    .innerJoin('j.spa', 's')
    .innerJoin('j.category', 'cat')
    .innerJoin('j.city', 'c')
    .innerJoin('j.state', 'st');
  if (detail) {
    qb.addSelect(['j.description AS description', 'j.requirements AS requirements']).addSelect([
      'j.is_active AS is_active',
      'j.closed_by_admin AS closed_by_admin',
      'j.updated_at AS updated_at',
    ]);
  }
  return qb;
}

/**
 * Open means: active, not expired, and its spa listed (active, its owner an active employer or
 * admin). The public sees nothing else. Needs the spa joined as `s`.
 */
export const JOB_OPEN = `j.is_active AND (j.expires_at IS NULL OR j.expires_at > now()) AND ${SPA_LISTED}`;

/** Open but for its expiry: the public detail answers 410 Gone for it (not 404). */
export const JOB_EXPIRED = `j.is_active AND j.expires_at <= now() AND ${SPA_LISTED}`;

export function whereOpen(qb: SelectQueryBuilder<Job>): SelectQueryBuilder<Job> {
  return qb.andWhere(JOB_OPEN);
}

export function toJobSummary(this: void, r: JobRow): JobSummaryDto {
  return {
    id: r.id,
    slug: r.slug,
    title: r.title,
    excerpt: r.excerpt,
    employmentType: r.employment_type,
    salaryMin: r.salary_min,
    salaryMax: r.salary_max,
    isFeatured: r.is_featured,
    viewCount: r.view_count,
    expiresAt: r.expires_at,
    createdAt: r.created_at,
    spa: {
      id: r.spa_id,
      slug: r.spa_slug,
      name: r.spa_name,
      isVerified: r.spa_verified,
      rating: Number(r.spa_rating),
    },
    category: { id: r.category_id, name: r.category_name, slug: r.category_slug },
    city: { id: r.city_id, name: r.city_name, slug: r.city_slug },
    state: { id: r.state_id, code: r.state_code, name: r.state_name, slug: r.state_slug },
  };
}

/** A row of the owner's list: it also tells whether the job is closed, and by whom. */
export interface OwnJobRow extends JobRow {
  is_active: boolean;
  closed_by_admin: boolean;
}

/** The owner's list shows closed and expired jobs too, so it says which they are. */
export function selectOwnJobs(qb: SelectQueryBuilder<Job>): SelectQueryBuilder<Job> {
  return selectJobs(qb).addSelect([
    'j.is_active AS is_active',
    'j.closed_by_admin AS closed_by_admin',
  ]);
}

export function toOwnJobSummary(this: void, r: OwnJobRow): OwnJobSummaryDto {
  return { ...toJobSummary(r), isActive: r.is_active, closedByAdmin: r.closed_by_admin };
}

export function toOwnJob(this: void, r: JobDetailRow): OwnJobDto {
  return { ...toJobDetail(r), closedByAdmin: r.closed_by_admin };
}

export function toJobDetail(this: void, r: JobDetailRow): JobDto {
  return {
    ...toJobSummary(r),
    description: r.description,
    requirements: r.requirements,
    isActive: r.is_active,
    updatedAt: r.updated_at,
  };
}

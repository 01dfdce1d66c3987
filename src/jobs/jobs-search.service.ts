import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Repository, SelectQueryBuilder } from 'typeorm';
import { CursorCodec } from '../common/cursor.js';
import { paginate, withKeyset, type Keyset, type SortKey } from '../common/keyset.js';
import type { Page } from '../common/page.js';
import type { AuthUser } from '../common/auth-user.js';
import type { JobSummaryDto, OwnJobSummaryDto } from './dto/job.dto.js';
import type { JobSort, ListJobsQueryDto, ListMyJobsQueryDto } from './dto/job-input.dto.js';
import { Job } from './job.entity.js';
import {
  selectJobs,
  selectOwnJobs,
  toJobSummary,
  toOwnJobSummary,
  whereOpen,
  type JobRow,
  type OwnJobRow,
} from './jobs.query.js';

const BY_ID: SortKey<JobRow> = { column: 'j.id', type: 'int', of: (r) => r.id };

/** Newest first: also the order of the owner's list (under another cursor name). */
const NEWEST_KEYS: readonly SortKey<JobRow>[] = [
  { column: 'j.created_at', type: 'date', of: (r) => r.created_at.toISOString() },
  BY_ID,
];

/**
 * Each order is a (key, id) pair walked by keyset: the index for that order finds the page
 * directly, so page 500 costs what page 1 costs, and rows inserted meanwhile never shift a page.
 */
/** Its own name: a public list's cursor cannot be replayed on the owner's list, nor the reverse. */
const MINE_ORDER: Keyset<OwnJobRow> = { name: 'mine', dir: 'DESC', keys: NEWEST_KEYS };

const ORDERS: Record<JobSort, Keyset<JobRow>> = {
  newest: { name: 'newest', dir: 'DESC', keys: NEWEST_KEYS },
  popular: {
    name: 'popular',
    dir: 'DESC',
    keys: [{ column: 'j.view_count', type: 'int', of: (r) => r.view_count }, BY_ID],
  },
  salary: {
    name: 'salary',
    dir: 'DESC',
    keys: [
      { column: 'COALESCE(j.salary_min, 0)', type: 'int', of: (r) => r.salary_min ?? 0 },
      BY_ID,
    ],
  },
};

@Injectable()
export class JobsSearchService {
  constructor(
    @InjectRepository(Job) private readonly jobs: Repository<Job>,
    private readonly cursors: CursorCodec,
  ) {}

  list(query: ListJobsQueryDto): Promise<Page<JobSummaryDto>> {
    return paginate(this.filtered(query), ORDERS[query.sort ?? 'newest'], {
      ...query,
      codec: this.cursors,
      map: toJobSummary,
      raw: true,
    });
  }

  /**
   * The jobs of the caller's spas, closed, expired and those of deactivated spas included,
   * newest first. Never cached: it depends on the caller.
   */
  mine(actor: AuthUser, query: ListMyJobsQueryDto): Promise<Page<OwnJobSummaryDto>> {
    const qb = selectOwnJobs(this.jobs.createQueryBuilder('j')).where('s.owner_id = :ownerId', {
      ownerId: actor.id,
    });
    if (query.spaId !== undefined) qb.andWhere('j.spa_id = :spaId', { spaId: query.spaId });
    return paginate(qb, MINE_ORDER, {
      ...query,
      codec: this.cursors,
      map: toOwnJobSummary,
      raw: true,
    });
  }

  /** The exact SQL a list request runs (also used to check its plan). */
  listQuery(query: ListJobsQueryDto): SelectQueryBuilder<Job> {
    return withKeyset(this.filtered(query), ORDERS[query.sort ?? 'newest'], {
      ...query,
      codec: this.cursors,
    });
  }

  private filtered(query: ListJobsQueryDto): SelectQueryBuilder<Job> {
    const qb = whereOpen(selectJobs(this.jobs.createQueryBuilder('j')));
    if (query.stateId !== undefined)
      qb.andWhere('j.state_id = :stateId', { stateId: query.stateId });
    if (query.cityId !== undefined) qb.andWhere('j.city_id = :cityId', { cityId: query.cityId });
    if (query.spaId !== undefined) qb.andWhere('j.spa_id = :spaId', { spaId: query.spaId });
    if (query.categoryId !== undefined)
      qb.andWhere('j.category_id = :categoryId', { categoryId: query.categoryId });
    if (query.employmentType)
      qb.andWhere('j.employment_type = :type', { type: query.employmentType });
    if (query.featured !== undefined)
      qb.andWhere('j.is_featured = :featured', { featured: query.featured });
    if (query.salaryMin !== undefined)
      qb.andWhere('j.salary_min >= :salaryMin', { salaryMin: query.salaryMin });
    if (query.q)
      qb.andWhere(`j.search_vector @@ websearch_to_tsquery('english', :q)`, { q: query.q });
    return qb;
  }
}

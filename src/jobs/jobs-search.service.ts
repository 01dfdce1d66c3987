import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Repository, SelectQueryBuilder } from 'typeorm';
import { CursorCodec, type CursorValue } from '../common/cursor.js';
import { DEFAULT_PAGE_SIZE, toPage, type Page } from '../common/page.js';
import type { JobSummaryDto } from './dto/job.dto.js';
import type { JobSort, ListJobsQueryDto } from './dto/job-input.dto.js';
import { Job } from './job.entity.js';
import { selectJobs, toJobSummary, whereOpen, type JobRow } from './jobs.query.js';

/**
 * Each order is a (key, id) pair walked by keyset: the index for that order finds the page
 * directly, so page 500 costs what page 1 costs, and rows inserted meanwhile never shift a page.
 */
const ORDERS: Record<
  JobSort,
  { key: string; types: ['string' | 'number', 'number']; cursorOf: (r: JobRow) => CursorValue[] }
> = {
  newest: {
    key: 'j.created_at',
    types: ['string', 'number'],
    cursorOf: (r) => [r.created_at.toISOString(), r.id],
  },
  popular: {
    key: 'j.view_count',
    types: ['number', 'number'],
    cursorOf: (r) => [r.view_count, r.id],
  },
  salary: {
    key: 'COALESCE(j.salary_min, 0)',
    types: ['number', 'number'],
    cursorOf: (r) => [r.salary_min ?? 0, r.id],
  },
};

@Injectable()
export class JobsSearchService {
  constructor(
    @InjectRepository(Job) private readonly jobs: Repository<Job>,
    private readonly cursors: CursorCodec,
  ) {}

  async list(query: ListJobsQueryDto): Promise<Page<JobSummaryDto>> {
    const limit = query.limit ?? DEFAULT_PAGE_SIZE;
    const sort = query.sort ?? 'newest';
    const rows = await this.listQuery(query)
      .limit(limit + 1)
      .getRawMany<JobRow>();
    return toPage(rows, limit, toJobSummary, (last) =>
      this.cursors.encode({ o: sort, v: ORDERS[sort].cursorOf(last) }),
    );
  }

  /** The exact SQL a list request runs (also used to check its plan). */
  listQuery(query: ListJobsQueryDto): SelectQueryBuilder<Job> {
    const sort = query.sort ?? 'newest';
    const order = ORDERS[sort];
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
    if (query.cursor) {
      const [key, id] = this.cursors.decode(query.cursor, sort, order.types);
      qb.andWhere(`(${order.key}, j.id) < (:key, :id)`, { key, id });
    }
    return qb.orderBy(order.key, 'DESC').addOrderBy('j.id', 'DESC');
  }
}

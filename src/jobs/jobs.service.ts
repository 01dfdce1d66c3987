import { Inject, Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
import { isAdmin, type AuthUser } from '../common/auth-user.js';
import { CacheService } from '../cache/cache.service.js';
import type { AppConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/config.module.js';
import { CategoriesService } from '../categories/categories.service.js';
import { isUniqueViolation } from '../common/db-errors.js';
import { definedOnly } from '../common/defined.js';
import type { IdOrSlug } from '../common/id.pipe.js';
import { insertWithUniqueSlug, slugify } from '../common/slug.js';
import { LocationsService } from '../locations/locations.service.js';
import { SpasService } from '../spas/spas.service.js';
import type { JobDto, OwnJobDto } from './dto/job.dto.js';
import type { CreateJobDto, UpdateJobDto } from './dto/job-input.dto.js';
import { Job } from './job.entity.js';
import { mayManage } from '../spas/spa-access.js';
import {
  JOB_EXPIRED,
  JOB_OPEN,
  selectJobs,
  toJobDetail,
  toOwnJob,
  whereOpen,
  type JobDetailRow,
  type JobRow,
} from './jobs.query.js';
import { AppError } from '../common/error-codes.js';

const notFound = (id: number | string) => new AppError('JOB_NOT_FOUND', `Job ${id} not found`);

/** A job as its ownership check loaded it. */
export interface JobOwnership {
  id: number;
  spaId: number;
  ownerId: number;
  closedByAdmin: boolean;
  salaryMin: number | null;
  salaryMax: number | null;
  spaActive: boolean;
}

@Injectable()
export class JobsService {
  constructor(
    @InjectRepository(Job) private readonly jobs: Repository<Job>,
    private readonly spas: SpasService,
    private readonly categories: CategoriesService,
    private readonly locations: LocationsService,
    private readonly cache: CacheService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async create(actor: AuthUser, dto: CreateJobDto): Promise<OwnJobDto> {
    const spa = await this.spas.manageable(actor, dto.spaId);
    if (!spa.isActive) {
      throw new AppError('SPA_INACTIVE', `Spa ${spa.id} is deactivated`);
    }
    this.checkAdminOnly(actor, dto.isFeatured);
    checkSalary(dto.salaryMin ?? null, dto.salaryMax ?? null);
    checkExpiry(dto.expiresAt);
    await this.categories.assertExists(dto.categoryId);
    const city = await this.locations.getCity(spa.cityId);

    const inserted = await insertWithUniqueSlug(
      slugify(`${dto.title} ${city.name}`, 180),
      (err) => isUniqueViolation(err, 'uq_jobs_slug'),
      (slug) =>
        this.jobs.insert({
          spaId: spa.id,
          categoryId: dto.categoryId,
          stateId: spa.stateId,
          cityId: spa.cityId,
          title: dto.title,
          slug,
          description: dto.description,
          requirements: dto.requirements ?? null,
          employmentType: dto.employmentType ?? 'full_time',
          salaryMin: dto.salaryMin ?? null,
          salaryMax: dto.salaryMax ?? null,
          expiresAt: dto.expiresAt ?? this.defaultExpiry(),
          isFeatured: dto.isFeatured ?? false,
          createdBy: actor.id,
        }),
      true,
    );
    await this.cache.invalidate('jobs');
    return this.view(inserted.identifiers[0].id as number);
  }

  async update(actor: AuthUser, id: number, dto: UpdateJobDto): Promise<OwnJobDto> {
    const job = await this.manageable(actor, id);
    this.checkAdminOnly(actor, dto.isFeatured);
    const closedByAdmin = () =>
      new AppError(
        'JOB_CLOSED_BY_ADMIN',
        `Job ${id} was closed by an admin; only an admin can reopen it`,
      );
    const reopensAsOwner = dto.isActive === true && !isAdmin(actor);
    if (reopensAsOwner && job.closedByAdmin) throw closedByAdmin();
    checkSalary(
      dto.salaryMin !== undefined ? dto.salaryMin : job.salaryMin,
      dto.salaryMax !== undefined ? dto.salaryMax : job.salaryMax,
    );
    checkExpiry(dto.expiresAt);
    if (dto.categoryId !== undefined) await this.categories.assertExists(dto.categoryId);
    const changes: Partial<Job> = definedOnly(dto);
    if (dto.expiresAt !== undefined) {
      // null: a fresh JOB_TTL_DAYS; a new expiry is one the expiry scan has yet to deal with
      changes.expiresAt = dto.expiresAt ?? this.defaultExpiry();
      changes.expiryProcessedAt = null;
    }
    // an admin's closing sticks until an admin reopens
    if (dto.isActive !== undefined && isAdmin(actor)) changes.closedByAdmin = !dto.isActive;
    if (Object.keys(changes).length > 0) {
      // conditional, so an admin's closing that lands meanwhile is not undone by the owner
      const result = await this.jobs.update(
        reopensAsOwner ? { id, closedByAdmin: false } : { id },
        changes,
      );
      if (!result.affected) throw closedByAdmin();
      await this.cache.invalidate('jobs');
    }
    return this.view(id);
  }

  /**
   * Another JOB_TTL_DAYS from now, and open again: an expired (or closed) job comes back in
   * lists and its detail. The owner's or an admin's call, checked as PATCH checks it: a job an
   * admin closed only an admin renews (JOB_CLOSED_BY_ADMIN).
   */
  renew(actor: AuthUser, id: number): Promise<OwnJobDto> {
    return this.update(actor, id, { isActive: true, expiresAt: this.defaultExpiry() });
  }

  /**
   * Soft delete: the job leaves every public read; its applications stay with the owner. An
   * admin's closing sticks: the owner cannot reopen it.
   */
  async remove(actor: AuthUser, id: number): Promise<void> {
    await this.manageable(actor, id);
    await this.jobs.update(
      { id },
      isAdmin(actor) ? { isActive: false, closedByAdmin: true } : { isActive: false },
    );
    await this.cache.invalidate('jobs');
  }

  /**
   * An open job (see `JOB_OPEN`), by id or slug. One that is open but for its expiry is a 410
   * that still names it (title, spa), so that search engines drop the page; anything else, 404.
   */
  async getOpen(ref: IdOrSlug): Promise<JobDto> {
    const byRef = ref.id !== undefined ? 'j.id = :id' : 'j.slug = :slug';
    const row = await whereOpen(selectJobs(this.jobs.createQueryBuilder('j'), true))
      .andWhere(byRef, ref)
      .getRawOne<JobDetailRow>();
    if (row) return toJobDetail(row);
    const expired = await selectJobs(this.jobs.createQueryBuilder('j'))
      .where(JOB_EXPIRED)
      .andWhere(byRef, ref)
      .getRawOne<JobRow>();
    if (!expired) throw notFound(ref.id ?? ref.slug);
    throw new AppError(
      'JOB_EXPIRED',
      `Job ${ref.id ?? ref.slug} expired on ${new Date(expired.expires_at!).toISOString()}`,
      {
        id: expired.id,
        slug: expired.slug,
        title: expired.title,
        expiresAt: expired.expires_at,
        spa: { id: expired.spa_id, slug: expired.spa_slug, name: expired.spa_name },
      },
    );
  }

  /** The id of an open job that accepts applications, or 404. */
  async assertOpen(id: number): Promise<void> {
    const open = await whereOpen(
      this.jobs.createQueryBuilder('j').select('j.id').innerJoin('j.spa', 's'),
    )
      .andWhere('j.id = :id', { id })
      .getExists();
    if (!open) throw new AppError('JOB_NOT_OPEN', `Job ${id} is not open for applications`);
  }

  /** A job of the caller's, whatever its state (closed, expired, its spa deactivated). */
  async getOwn(actor: AuthUser, id: number): Promise<OwnJobDto> {
    await this.ownership(actor, id);
    return this.view(id);
  }

  /**
   * The one ownership check for a job, whatever its state (applications outlive postings): its
   * spa's owner while an employer, or an admin (`mayManage`). Someone else's job is a 403 while
   * the public can see it anyway, else a 404 like a missing one.
   */
  async ownership(actor: AuthUser, id: number): Promise<JobOwnership> {
    const job = await this.jobs
      .createQueryBuilder('j')
      .innerJoin('j.spa', 's')
      .select([
        'j.id AS id',
        'j.spa_id AS "spaId"',
        's.owner_id AS "ownerId"',
        'j.closed_by_admin AS "closedByAdmin"',
        'j.salary_min AS "salaryMin"',
        'j.salary_max AS "salaryMax"',
        's.is_active AS "spaActive"',
        `(${JOB_OPEN}) AS "isOpen"`,
      ])
      .where('j.id = :id', { id })
      .getRawOne<JobOwnership & { isOpen: boolean }>();
    if (!job) throw notFound(id);
    if (!mayManage(actor, job.ownerId)) {
      if (!job.isOpen) throw notFound(id);
      throw new AppError('NOT_SPA_OWNER', 'This job belongs to another employer’s spa');
    }
    return job;
  }

  /** A job `actor` may change: `ownership`, and (for non-admins) its spa still active, else 404. */
  private async manageable(actor: AuthUser, id: number): Promise<JobOwnership> {
    const job = await this.ownership(actor, id);
    if (!job.spaActive && !isAdmin(actor)) throw notFound(id);
    return job;
  }

  /** What a job gets when its poster sets no expiry, and what a renewal gives. */
  private defaultExpiry(): Date {
    return new Date(Date.now() + this.config.jobs.ttlDays * 86_400_000);
  }

  private checkAdminOnly(actor: AuthUser, isFeatured: boolean | undefined): void {
    if (isFeatured !== undefined && !isAdmin(actor)) {
      throw new AppError('ADMIN_ONLY_FIELD', 'Only admins may set isFeatured');
    }
  }

  private async view(id: number): Promise<OwnJobDto> {
    const row = await selectJobs(this.jobs.createQueryBuilder('j'), true)
      .where('j.id = :id', { id })
      .getRawOne<JobDetailRow>();
    if (!row) throw notFound(id);
    return toOwnJob(row);
  }
}

function checkSalary(min: number | null, max: number | null): void {
  if (min !== null && max !== null && min > max) {
    throw new AppError('VALIDATION_FAILED', 'salaryMin must not be greater than salaryMax', [
      { field: 'salaryMin', message: 'salaryMin must not be greater than salaryMax' },
    ]);
  }
}

function checkExpiry(expiresAt: Date | null | undefined): void {
  if (expiresAt && expiresAt.getTime() <= Date.now()) {
    throw new AppError('VALIDATION_FAILED', 'expiresAt must be in the future', [
      { field: 'expiresAt', message: 'expiresAt must be in the future' },
    ]);
  }
}

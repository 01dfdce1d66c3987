import { Injectable, NotFoundException } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
import { isAdmin, type AuthUser } from '../auth/auth-user.js';
import { CacheService } from '../cache/cache.service.js';
import { CategoriesService } from '../categories/categories.service.js';
import { isUniqueViolation } from '../common/db-errors.js';
import { definedOnly } from '../common/defined.js';
import type { IdOrSlug } from '../common/id.pipe.js';
import { insertWithUniqueSlug, slugify } from '../common/slug.js';
import { LocationsService } from '../locations/locations.service.js';
import { SpasService } from '../spas/spas.service.js';
import type { JobDto } from './dto/job.dto.js';
import type { CreateJobDto, UpdateJobDto } from './dto/job-input.dto.js';
import { Job } from './job.entity.js';
import { selectJobs, toJobDetail, whereOpen, type JobDetailRow } from './jobs.query.js';
import { AppError } from '../common/error-codes.js';

const notFound = (id: number | string) => new AppError('JOB_NOT_FOUND', `Job ${id} not found`);

/** Who may see and handle a job's applications: the spa's owner (and admins). */
export interface JobOwnership {
  id: number;
  spaId: number;
  ownerId: number;
}

@Injectable()
export class JobsService {
  constructor(
    @InjectRepository(Job) private readonly jobs: Repository<Job>,
    private readonly spas: SpasService,
    private readonly categories: CategoriesService,
    private readonly locations: LocationsService,
    private readonly cache: CacheService,
  ) {}

  async create(actor: AuthUser, dto: CreateJobDto): Promise<JobDto> {
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
          expiresAt: dto.expiresAt ?? null,
          isFeatured: dto.isFeatured ?? false,
          createdBy: actor.id,
        }),
      true,
    );
    await this.cache.invalidate('jobs');
    return this.view(inserted.identifiers[0].id as number);
  }

  async update(actor: AuthUser, id: number, dto: UpdateJobDto): Promise<JobDto> {
    const job = await this.manageable(actor, id);
    this.checkAdminOnly(actor, dto.isFeatured);
    checkSalary(
      dto.salaryMin !== undefined ? dto.salaryMin : job.salaryMin,
      dto.salaryMax !== undefined ? dto.salaryMax : job.salaryMax,
    );
    checkExpiry(dto.expiresAt);
    if (dto.categoryId !== undefined) await this.categories.assertExists(dto.categoryId);
    const changes = definedOnly(dto);
    if (Object.keys(changes).length > 0) {
      await this.jobs.update({ id }, changes);
      await this.cache.invalidate('jobs');
    }
    return this.view(id);
  }

  /** Soft delete: the job leaves every public read; its applications stay with the owner. */
  async remove(actor: AuthUser, id: number): Promise<void> {
    await this.manageable(actor, id);
    await this.jobs.update({ id }, { isActive: false });
    await this.cache.invalidate('jobs');
  }

  /** An open job (active, unexpired, active spa), by id or slug. */
  async getOpen(ref: IdOrSlug): Promise<JobDto> {
    const row = await whereOpen(selectJobs(this.jobs.createQueryBuilder('j'), true))
      .andWhere(ref.id !== undefined ? 'j.id = :id' : 'j.slug = :slug', ref)
      .getRawOne<JobDetailRow>();
    if (!row) throw notFound(ref.id ?? ref.slug);
    return toJobDetail(row);
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

  /** The job and its spa's owner, whatever the job's state (applications outlive postings). */
  async ownership(id: number): Promise<JobOwnership> {
    const job = await this.jobs.findOne({ select: { id: true, spaId: true }, where: { id } });
    const ownerId = job ? await this.spas.ownerOf(job.spaId) : null;
    if (!job || ownerId === null) throw notFound(id);
    return { id: job.id, spaId: job.spaId, ownerId };
  }

  /** A job whose spa `actor` may manage: 404 when absent (or its spa deactivated), 403 when not theirs. */
  private async manageable(actor: AuthUser, id: number): Promise<Job> {
    const job = await this.jobs.findOneBy({ id });
    if (!job) throw notFound(id);
    try {
      await this.spas.manageable(actor, job.spaId);
    } catch (err) {
      if (err instanceof NotFoundException) throw notFound(id);
      throw err;
    }
    return job;
  }

  private checkAdminOnly(actor: AuthUser, isFeatured: boolean | undefined): void {
    if (isFeatured !== undefined && !isAdmin(actor)) {
      throw new AppError('ADMIN_ONLY_FIELD', 'Only admins may set isFeatured');
    }
  }

  private async view(id: number): Promise<JobDto> {
    const row = await selectJobs(this.jobs.createQueryBuilder('j'), true)
      .where('j.id = :id', { id })
      .getRawOne<JobDetailRow>();
    if (!row) throw notFound(id);
    return toJobDetail(row);
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

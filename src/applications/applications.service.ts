import { Injectable, StreamableFile } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Repository, SelectQueryBuilder } from 'typeorm';
import { isAdmin, type AuthUser } from '../auth/auth-user.js';
import { CursorCodec } from '../common/cursor.js';
import { DEFAULT_PAGE_SIZE, toPage, type Page } from '../common/page.js';
import { JobsService } from '../jobs/jobs.service.js';
import { UploadsService, type IncomingFile } from '../uploads/uploads.service.js';
import { Application, type ApplicationStatus } from './application.entity.js';
import { statusesLeadingTo } from './application-status.js';
import type { ApplicationDto, ApplyDto, ListApplicationsQueryDto } from './dto/application.dto.js';
import { AppError } from '../common/error-codes.js';

const ORDER = 'newest';
const notFound = (id: number) =>
  new AppError('APPLICATION_NOT_FOUND', `Application ${id} not found`);

/** An application with what is needed to decide who may see or change it. */
type Loaded = Application & {
  job: NonNullable<Application['job']> & { spa: { ownerId: number; name: string } };
};

@Injectable()
export class ApplicationsService {
  constructor(
    @InjectRepository(Application) private readonly applications: Repository<Application>,
    private readonly jobs: JobsService,
    private readonly uploads: UploadsService,
    private readonly cursors: CursorCodec,
  ) {}

  /**
   * One application per job seeker and open job: the unique constraint turns a second try
   * (even a concurrent one) into a 409. A resume is checked (PDF by content) before anything is written.
   */
  async apply(
    actor: AuthUser,
    jobId: number,
    dto: ApplyDto,
    file: IncomingFile | undefined,
  ): Promise<ApplicationDto> {
    await this.jobs.assertOpen(jobId);
    const resume = file ? await this.uploads.checkResume(file) : undefined;
    const resumeFile = resume ? await this.uploads.storeResume(resume) : null;
    let id: number;
    try {
      const result = await this.applications.insert({
        jobId,
        applicantId: actor.id,
        coverLetter: dto.coverLetter ?? null,
        resumeFile,
        resumeSize: resume?.length ?? null,
      });
      id = result.identifiers[0].id as number;
    } catch (err) {
      if (resumeFile) await this.uploads.removeResume(resumeFile);
      throw err;
    }
    return toDto(await this.load(id));
  }

  mine(actor: AuthUser, query: ListApplicationsQueryDto): Promise<Page<ApplicationDto>> {
    return this.page(this.joined().where('a.applicant_id = :id', { id: actor.id }), query);
  }

  /** Applications to one job: its spa's owner and admins only. */
  async forJob(
    actor: AuthUser,
    jobId: number,
    query: ListApplicationsQueryDto,
  ): Promise<Page<ApplicationDto>> {
    const job = await this.jobs.ownership(jobId);
    if (job.ownerId !== actor.id && !isAdmin(actor)) {
      throw new AppError('NOT_SPA_OWNER', 'Only the spa’s owner sees its applications');
    }
    return this.page(this.joined().where('a.job_id = :jobId', { jobId }), query);
  }

  async get(actor: AuthUser, id: number): Promise<ApplicationDto> {
    return toDto(await this.visible(actor, id));
  }

  /** Moves an application along NEXT_STATUSES; the update is conditional, so racing moves cannot skip a rule. */
  async updateStatus(
    actor: AuthUser,
    id: number,
    status: ApplicationStatus,
  ): Promise<ApplicationDto> {
    const app = await this.visible(actor, id);
    if (app.job.spa.ownerId !== actor.id && !isAdmin(actor)) {
      throw new AppError('NOT_SPA_OWNER', 'Only the spa’s owner changes an application’s status');
    }
    if (app.status !== status) {
      const from = statusesLeadingTo(status);
      const result =
        from.length === 0
          ? { affected: 0 }
          : await this.applications
              .createQueryBuilder()
              .update()
              .set({ status })
              .where('id = :id AND status IN (:...from)', { id, from })
              .execute();
      if (!result.affected) {
        const current = (await this.load(id)).status;
        throw new AppError(
          'INVALID_STATUS_TRANSITION',
          `An application cannot move from ${current} to ${status}`,
        );
      }
    }
    return toDto(await this.load(id));
  }

  /** The resume, for the applicant, the spa's owner and admins; 404 for everyone else. */
  async resume(actor: AuthUser, id: number): Promise<StreamableFile> {
    await this.visible(actor, id);
    const row = await this.applications.findOne({
      select: { id: true, resumeFile: true },
      where: { id },
    });
    if (!row?.resumeFile) throw new AppError('RESUME_NOT_FOUND', 'This application has no resume');
    return new StreamableFile(this.uploads.openResume(row.resumeFile), {
      type: 'application/pdf',
      disposition: `attachment; filename="resume-${id}.pdf"`,
    });
  }

  /** The application if `actor` is its applicant, the spa's owner or an admin; otherwise 404 (it stays secret). */
  private async visible(actor: AuthUser, id: number): Promise<Loaded> {
    const app = await this.applications
      .createQueryBuilder('a')
      .innerJoinAndSelect('a.job', 'j')
      .innerJoinAndSelect('j.spa', 's')
      .innerJoinAndSelect('a.applicant', 'u')
      .where('a.id = :id', { id })
      .getOne();
    if (!app) throw notFound(id);
    const loaded = app as Loaded;
    if (loaded.applicantId !== actor.id && loaded.job.spa.ownerId !== actor.id && !isAdmin(actor))
      throw notFound(id);
    return loaded;
  }

  private async load(id: number): Promise<Loaded> {
    return (await this.joined().where('a.id = :id', { id }).getOneOrFail()) as Loaded;
  }

  private joined(): SelectQueryBuilder<Application> {
    return this.applications
      .createQueryBuilder('a')
      .innerJoinAndSelect('a.job', 'j')
      .innerJoinAndSelect('j.spa', 's')
      .innerJoinAndSelect('a.applicant', 'u');
  }

  private async page(
    qb: SelectQueryBuilder<Application>,
    query: ListApplicationsQueryDto,
  ): Promise<Page<ApplicationDto>> {
    const limit = query.limit ?? DEFAULT_PAGE_SIZE;
    if (query.cursor) {
      const [createdAt, id] = this.cursors.decode(query.cursor, ORDER, ['string', 'number']);
      // own parameter names: `qb` already binds its filter (e.g. :id in mine()), which must not be overwritten
      qb.andWhere('(a.created_at, a.id) < (:cursorCreatedAt, :cursorId)', {
        cursorCreatedAt: createdAt,
        cursorId: id,
      });
    }
    const rows = await qb
      .orderBy('a.created_at', 'DESC')
      .addOrderBy('a.id', 'DESC')
      .limit(limit + 1)
      .getMany();
    return toPage(rows as Loaded[], limit, toDto, (last) =>
      this.cursors.encode({ o: ORDER, v: [last.createdAt.toISOString(), last.id] }),
    );
  }
}

function toDto(this: void, a: Loaded): ApplicationDto {
  return {
    id: a.id,
    status: a.status,
    coverLetter: a.coverLetter,
    hasResume: a.resumeSize !== null,
    job: {
      id: a.job.id,
      slug: a.job.slug,
      title: a.job.title,
      spaId: a.job.spaId,
      spaName: a.job.spa.name,
    },
    applicant: {
      id: a.applicant!.id,
      fullName: a.applicant!.fullName,
      email: a.applicant!.email,
      phone: a.applicant!.phone,
    },
    createdAt: a.createdAt,
    updatedAt: a.updatedAt,
  };
}

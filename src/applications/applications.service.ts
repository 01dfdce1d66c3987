import { Injectable, StreamableFile } from '@nestjs/common';
import type { Request } from 'express';
import { InjectRepository } from '@nestjs/typeorm';
import type { Repository, SelectQueryBuilder } from 'typeorm';
import type { AuthUser } from '../common/auth-user.js';
import { CursorCodec } from '../common/cursor.js';
import { paginate, type Keyset } from '../common/keyset.js';
import type { Page } from '../common/page.js';
import { JobsService } from '../jobs/jobs.service.js';
import { ApplicationReceivedNotice } from '../notices/application-received.notice.js';
import { ApplicationStatusNotice } from '../notices/application-status.notice.js';
import { mayManage } from '../spas/spa-access.js';
import { UploadsService } from '../uploads/uploads.service.js';
import { Application, type ApplicationStatus } from './application.entity.js';
import { statusesLeadingTo, WITHDRAWABLE } from './application-status.js';
import {
  ApplyDto,
  type ApplicationDto,
  type ListApplicationsQueryDto,
} from './dto/application.dto.js';
import { AppError } from '../common/error-codes.js';

const notFound = (id: number) =>
  new AppError('APPLICATION_NOT_FOUND', `Application ${id} not found`);

/** An application with what is needed to decide who may see or change it. */
type Loaded = Application & {
  job: NonNullable<Application['job']> & { spa: { ownerId: number; name: string } };
};

const NEWEST: Keyset<Loaded> = {
  name: 'newest',
  dir: 'DESC',
  keys: [
    { column: 'a.created_at', type: 'date', of: (a) => a.createdAt.toISOString() },
    { column: 'a.id', type: 'int', of: (a) => a.id },
  ],
};

@Injectable()
export class ApplicationsService {
  constructor(
    @InjectRepository(Application) private readonly applications: Repository<Application>,
    private readonly jobs: JobsService,
    private readonly uploads: UploadsService,
    private readonly cursors: CursorCodec,
    private readonly notices: ApplicationReceivedNotice,
    private readonly statusNotices: ApplicationStatusNotice,
  ) {}

  /**
   * One application per job seeker and open job: the unique constraint turns a second try
   * (even a concurrent one) into a 409. A resume is checked (PDF by content) before anything is written.
   */
  async apply(
    actor: AuthUser,
    jobId: number,
    json: ApplyDto,
    req: Request,
  ): Promise<ApplicationDto> {
    // everything that can refuse is asked before a multipart body is read
    await this.jobs.assertOpen(jobId);
    if (await this.applications.existsBy({ jobId, applicantId: actor.id })) {
      throw new AppError('ALREADY_APPLIED', 'You have already applied to this job');
    }
    const received = await this.uploads.receive(req, actor, 'resume', 'resume', ApplyDto);
    const dto = received.fields ?? json;
    const resume = received.file ? await this.uploads.keep(actor, received.file) : undefined;
    let id: number;
    try {
      // the owner's notice is a row of the same transaction: committed together or not at all
      id = await this.applications.manager.transaction(async (tx) => {
        const result = await tx.insert(Application, {
          jobId,
          applicantId: actor.id,
          coverLetter: dto.coverLetter ?? null,
          resumeFile: resume?.name ?? null,
          resumeSize: resume?.size ?? null,
        });
        const inserted = result.identifiers[0].id as number;
        await this.notices.enqueue(tx, inserted);
        return inserted;
      });
    } catch (err) {
      if (resume) await this.uploads.release(resume);
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
    await this.jobs.ownership(actor, jobId);
    return this.page(this.joined().where('a.job_id = :jobId', { jobId }), query);
  }

  async get(actor: AuthUser, id: number): Promise<ApplicationDto> {
    return toDto(await this.visible(actor, id));
  }

  /**
   * Moves an application along NEXT_STATUSES; the update is conditional, so racing moves cannot
   * skip a rule. The applicant's notice is enqueued in the same transaction.
   */
  async updateStatus(
    actor: AuthUser,
    id: number,
    status: ApplicationStatus,
  ): Promise<ApplicationDto> {
    const app = await this.visible(actor, id);
    if (!mayManage(actor, app.job.spa.ownerId)) {
      throw new AppError('NOT_SPA_OWNER', 'Only the spa’s owner changes an application’s status');
    }
    if (app.status !== status) {
      const from = statusesLeadingTo(status);
      const moved =
        from.length > 0 &&
        (await this.applications.manager.transaction(async (tx) => {
          const result = await tx
            .createQueryBuilder()
            .update(Application)
            .set({ status })
            .where('id = :id AND status IN (:...from)', { id, from })
            .execute();
          if (!result.affected) return false;
          await this.statusNotices.enqueueStatusChange(tx, id, status);
          return true;
        }));
      if (!moved) {
        const current = (await this.load(id)).status;
        throw new AppError(
          'INVALID_STATUS_TRANSITION',
          `An application cannot move from ${current} to ${status}`,
        );
      }
    }
    return toDto(await this.load(id));
  }

  /**
   * The applicant takes back an application that is not decided yet (not rejected, not hired).
   * Its resume is deleted at once, so the employer can no longer download it; the row stays, so
   * the employer's list shows it as withdrawn. Conditional, so a racing move or a second
   * withdrawal is a 409. The applicant's confirmation is enqueued in the same transaction.
   */
  async withdraw(actor: AuthUser, id: number): Promise<ApplicationDto> {
    const app = await this.visible(actor, id);
    if (app.applicantId !== actor.id) {
      throw new AppError('NOT_APPLICANT', 'Only the applicant may withdraw an application');
    }
    const { resumeFile } = await this.applications.findOneOrFail({
      select: { id: true, resumeFile: true },
      where: { id },
    });
    const withdrawn = await this.applications.manager.transaction(async (tx) => {
      const result = await tx
        .createQueryBuilder()
        .update(Application)
        .set({ status: 'withdrawn', resumeFile: null, resumeSize: null })
        .where('id = :id AND status IN (:...from)', { id, from: WITHDRAWABLE })
        .execute();
      if (!result.affected) return false;
      await this.statusNotices.enqueueWithdrawal(tx, id);
      return true;
    });
    if (!withdrawn) {
      const current = (await this.load(id)).status;
      throw new AppError(
        'INVALID_STATUS_TRANSITION',
        current === 'withdrawn'
          ? `Application ${id} is already withdrawn`
          : `An application that is ${current} can no longer be withdrawn`,
      );
    }
    if (resumeFile) await this.uploads.removeResume(resumeFile);
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

  /**
   * The one visibility check for an application: its applicant, its job's spa owner while an
   * employer (`mayManage`), or an admin; otherwise 404 (it stays secret). A demoted employer
   * loses their spas' applicants at once.
   */
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
    if (loaded.applicantId !== actor.id && !mayManage(actor, loaded.job.spa.ownerId))
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

  private page(
    qb: SelectQueryBuilder<Application>,
    query: ListApplicationsQueryDto,
  ): Promise<Page<ApplicationDto>> {
    return paginate(qb, NEWEST, { ...query, codec: this.cursors, map: toDto });
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

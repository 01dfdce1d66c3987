import { randomUUID } from 'node:crypto';
import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import type { AppConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/config.module.js';
import { selectRows } from '../database/sql.js';
import { composeMail, oneLine } from '../mail/mail-text.js';
import { MailService } from '../mail/mail.service.js';
import { QueueService } from '../queue/queue.service.js';
import { NoticePreferences } from './notice-preferences.js';
import { SentNotices } from './sent-notices.js';

export const APPLICATION_STATUS_CHANGED = 'notice.application-status';
export const APPLICATION_WITHDRAWN = 'notice.application-withdrawn';
const STATUS_KIND = 'application-status';
const WITHDRAWN_KIND = 'application-withdrawn';

interface StatusChangedJob {
  applicationId: number;
  status: string;
  /** One per change: an application can reach the same status twice (rejected, reconsidered). */
  change: string;
}

interface WithdrawnJob {
  applicationId: number;
}

interface ApplicantRow {
  applicantId: number;
  applicantEmail: string;
  applicantName: string;
  jobTitle: string;
  spaName: string;
}

const STATUS_WORDS: Record<string, string> = {
  submitted: 'is submitted again',
  reviewed: 'has been reviewed',
  shortlisted: 'has been shortlisted',
  rejected: 'was not successful this time',
  hired: 'was successful: you are hired',
};

/**
 * What the applicant hears: each status change the employer makes, and the confirmation of
 * their own withdrawal. Only the job and spa are named: never the employer's e-mail or phone.
 * The withdrawal confirmation answers the applicant's own action (transactional: no
 * unsubscribe header); both can still be turned off in the preferences.
 */
@Injectable()
export class ApplicationStatusNotice implements OnModuleInit {
  constructor(
    private readonly queue: QueueService,
    private readonly mail: MailService,
    private readonly sent: SentNotices,
    private readonly preferences: NoticePreferences,
    private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async onModuleInit(): Promise<void> {
    await this.queue.register<StatusChangedJob>(APPLICATION_STATUS_CHANGED, (data, job) =>
      this.statusChanged(data, job.id),
    );
    await this.queue.register<WithdrawnJob>(APPLICATION_WITHDRAWN, (data, job) =>
      this.withdrawn(data.applicationId, job.id),
    );
  }

  /** In the transaction that changes the status. */
  enqueueStatusChange(
    manager: EntityManager,
    applicationId: number,
    status: string,
  ): Promise<string> {
    const data: StatusChangedJob = { applicationId, status, change: randomUUID() };
    return this.queue.send(manager, APPLICATION_STATUS_CHANGED, data);
  }

  /** In the transaction that withdraws the application. */
  enqueueWithdrawal(manager: EntityManager, applicationId: number): Promise<string> {
    return this.queue.send(manager, APPLICATION_WITHDRAWN, { applicationId });
  }

  private async statusChanged(data: StatusChangedJob, queueJobId: string): Promise<void> {
    const key = `${STATUS_KIND}:${data.applicationId}:${data.change}`;
    if (await this.sent.has(key)) return;
    const row = await this.applicant(data.applicationId);
    if (!row || !(await this.preferences.get(row.applicantId)).statusChanges) return;
    const messageId = this.mail.messageId(STATUS_KIND, `${data.applicationId}-${data.change}`);
    const unsubscribeUrl = this.preferences.unsubscribeUrl(row.applicantId, 'statusChanges');
    const title = oneLine(row.jobTitle);
    await this.mail.send({
      to: row.applicantEmail,
      subject: `Your application: ${title}`,
      ...composeMail({
        greeting: `Hello ${oneLine(row.applicantName)},`,
        paragraphs: [
          `Your application to "${title}" at ${oneLine(row.spaName)} ${STATUS_WORDS[data.status] ?? `is now ${data.status}`}.`,
        ],
        link: {
          label: 'See your application',
          url: `${this.config.publicUrl}/api/v1/applications/${data.applicationId}`,
        },
        footer: { label: 'Stop mails about status changes', url: unsubscribeUrl },
      }),
      messageId,
      unsubscribeUrl,
    });
    await this.sent.record(key, STATUS_KIND, messageId, queueJobId);
  }

  private async withdrawn(applicationId: number, queueJobId: string): Promise<void> {
    const key = `${WITHDRAWN_KIND}:${applicationId}`;
    if (await this.sent.has(key)) return;
    const row = await this.applicant(applicationId);
    if (!row || !(await this.preferences.get(row.applicantId)).withdrawals) return;
    const messageId = this.mail.messageId(WITHDRAWN_KIND, applicationId);
    const title = oneLine(row.jobTitle);
    await this.mail.send({
      to: row.applicantEmail,
      subject: `Application withdrawn: ${title}`,
      ...composeMail({
        greeting: `Hello ${oneLine(row.applicantName)},`,
        paragraphs: [
          `You withdrew your application to "${title}" at ${oneLine(row.spaName)}. Its resume has been deleted; the employer no longer sees it.`,
        ],
      }),
      messageId,
    });
    await this.sent.record(key, WITHDRAWN_KIND, messageId, queueJobId);
  }

  private async applicant(applicationId: number): Promise<ApplicantRow | undefined> {
    const [row] = await selectRows<ApplicantRow>(
      this.dataSource,
      `SELECT u.id AS "applicantId", u.email AS "applicantEmail", u.full_name AS "applicantName",
              j.title AS "jobTitle", s.name AS "spaName"
         FROM applications a
         JOIN users u ON u.id = a.applicant_id
         JOIN jobs j ON j.id = a.job_id
         JOIN spas s ON s.id = j.spa_id
        WHERE a.id = $1 AND u.is_active`,
      [applicationId],
    );
    return row;
  }
}

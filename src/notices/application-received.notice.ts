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

export const APPLICATION_RECEIVED = 'notice.application-received';
const KIND = 'application-received';

interface ApplicationReceivedJob {
  applicationId: number;
}

interface NoticeRow {
  applicantName: string;
  jobId: number;
  jobTitle: string;
  spaName: string;
  ownerId: number;
  ownerEmail: string;
  ownerName: string;
}

/**
 * "Someone applied": the spa's owner gets the applicant's name and the job, never the
 * applicant's e-mail or phone (those they read in the app, where access is checked). Only for
 * owners who chose one mail per application (the default); the others get the daily digest
 * (ApplicationsDigestNotice) or nothing.
 */
@Injectable()
export class ApplicationReceivedNotice implements OnModuleInit {
  constructor(
    private readonly queue: QueueService,
    private readonly mail: MailService,
    private readonly sent: SentNotices,
    private readonly preferences: NoticePreferences,
    private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onModuleInit(): Promise<void> {
    return this.queue.register<ApplicationReceivedJob>(APPLICATION_RECEIVED, (data, job) =>
      this.deliver(data.applicationId, job.id),
    );
  }

  /** In the transaction that inserts the application: no application, no notice, and back. */
  enqueue(manager: EntityManager, applicationId: number): Promise<string> {
    return this.queue.send(manager, APPLICATION_RECEIVED, { applicationId });
  }

  private async deliver(applicationId: number, queueJobId: string): Promise<void> {
    const key = `${KIND}:${applicationId}`;
    if (await this.sent.has(key)) return;
    const [row] = await selectRows<NoticeRow>(
      this.dataSource,
      `SELECT u.full_name AS "applicantName", j.id AS "jobId", j.title AS "jobTitle",
              s.name AS "spaName", o.id AS "ownerId", o.email AS "ownerEmail",
              o.full_name AS "ownerName"
         FROM applications a
         JOIN users u ON u.id = a.applicant_id
         JOIN jobs j ON j.id = a.job_id
         JOIN spas s ON s.id = j.spa_id
         JOIN users o ON o.id = s.owner_id
        WHERE a.id = $1 AND o.is_active`,
      [applicationId],
    );
    if (!row) return; // the application or its owner's account is gone: nobody to tell
    // asked at send time: a choice made after the application was enqueued still counts
    if ((await this.preferences.get(row.ownerId)).applications !== 'instant') return;
    const messageId = this.mail.messageId(KIND, applicationId);
    const unsubscribeUrl = this.preferences.unsubscribeUrl(row.ownerId, 'applications');
    const applicant = oneLine(row.applicantName);
    const title = oneLine(row.jobTitle);
    await this.mail.send({
      to: row.ownerEmail,
      subject: `New application: ${title}`,
      ...composeMail({
        greeting: `Hello ${oneLine(row.ownerName)},`,
        paragraphs: [`${applicant} applied to "${title}" at ${oneLine(row.spaName)}.`],
        link: {
          label: 'Review the applications',
          url: `${this.config.publicUrl}/api/v1/jobs/${row.jobId}/applications`,
        },
        footer: { label: 'Stop these mails', url: unsubscribeUrl },
      }),
      messageId,
      unsubscribeUrl,
    });
    await this.sent.record(key, KIND, messageId, queueJobId);
  }
}

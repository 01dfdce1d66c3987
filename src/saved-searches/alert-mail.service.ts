import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { AppConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/config.module.js';
import { selectRows } from '../database/sql.js';
import type { JobRow } from '../jobs/jobs.query.js';
import { JobsSearchService } from '../jobs/jobs-search.service.js';
import { MailService } from '../mail/mail.service.js';
import { SentNotices } from '../notices/sent-notices.js';
import { QueueService } from '../queue/queue.service.js';
import { alertMail, type AlertJob } from './alert-mail.js';
import {
  DIGEST_MAIL,
  INSTANT_ALERT,
  type DigestMailJob,
  type InstantAlertJob,
} from './alert-queues.js';
import { matchingJobsQuery } from './matching-jobs.js';
import type { AlertFrequency } from './saved-search.entity.js';
import { unsubscribeUrl } from './unsubscribe-link.js';

interface Recipient {
  name: string;
  frequency: AlertFrequency;
  userId: number;
  email: string;
  fullName: string;
}

/**
 * Mails the alerts the scan recorded: each once (sent_notices), to the search's owner while they
 * are still an active, verified job seeker, listing only the jobs still open when it is sent,
 * with the no-login link that turns this search's alerts off (also as List-Unsubscribe).
 */
@Injectable()
export class AlertMailService implements OnModuleInit {
  constructor(
    private readonly queue: QueueService,
    private readonly mail: MailService,
    private readonly sent: SentNotices,
    private readonly search: JobsSearchService,
    private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async onModuleInit(): Promise<void> {
    await this.queue.register<InstantAlertJob>(INSTANT_ALERT, (data, job) =>
      this.deliver(
        'saved-search-alert',
        `${data.searchId}.${data.jobId}`,
        data.searchId,
        [data.jobId],
        job.id,
      ),
    );
    await this.queue.register<DigestMailJob>(DIGEST_MAIL, async (data, job) => {
      const rows = await selectRows<{ jobId: number }>(
        this.dataSource,
        `SELECT job_id AS "jobId" FROM saved_search_alerts
          WHERE digest_id = $1 AND search_id = $2 ORDER BY job_id`,
        [data.digestId, data.searchId],
      );
      await this.deliver(
        'saved-search-digest',
        data.digestId,
        data.searchId,
        rows.map((r) => r.jobId),
        job.id,
      );
    });
  }

  private async deliver(
    kind: string,
    key: string,
    searchId: number,
    jobIds: number[],
    queueJobId: string,
  ): Promise<void> {
    const noticeKey = `${kind}:${key}`;
    if (await this.sent.has(noticeKey)) return;
    const [to] = await selectRows<Recipient>(
      this.dataSource,
      `SELECT ss.name, ss.frequency, ss.user_id AS "userId", u.email, u.full_name AS "fullName"
         FROM saved_searches ss
         JOIN users u ON u.id = ss.user_id
        WHERE ss.id = $1 AND u.is_active AND u.role = 'job_seeker'
          AND u.email_verified_at IS NOT NULL`,
      [searchId],
    );
    // deleted, unsubscribed or no longer a seeker's since the match: nothing to send
    if (!to || to.frequency === 'off' || jobIds.length === 0) return;
    const jobs = await this.openJobs(jobIds);
    if (jobs.length === 0) return;
    const unsubscribe = unsubscribeUrl(
      this.config.publicUrl,
      this.config.auth.secretKey,
      searchId,
      to.userId,
    );
    const messageId = this.mail.messageId(kind, key);
    await this.mail.send({
      to: to.email,
      ...alertMail(to.fullName, to.name, jobs, unsubscribe),
      messageId,
      unsubscribeUrl: unsubscribe,
    });
    await this.sent.record(noticeKey, kind, messageId, queueJobId);
  }

  /** Those of `jobIds` still open, newest first, as the mail shows them. */
  private async openJobs(jobIds: number[]): Promise<AlertJob[]> {
    const [sql, params] = matchingJobsQuery(this.search, {}, jobIds);
    const rows = await selectRows<JobRow>(this.dataSource, sql, params);
    return rows.map((r) => ({
      title: r.title,
      spaName: r.spa_name,
      cityName: r.city_name,
      stateCode: r.state_code,
      url: `${this.config.publicUrl}/api/v1/jobs/${r.slug}`,
    }));
  }
}

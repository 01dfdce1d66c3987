import { Inject, Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { AppConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/config.module.js';
import { withAdvisoryLock } from '../database/advisory-lock.js';
import { selectRows } from '../database/sql.js';
import { composeMail, oneLine } from '../mail/mail-text.js';
import { MailService } from '../mail/mail.service.js';
import { QueueService } from '../queue/queue.service.js';
import { NoticePreferences } from './notice-preferences.js';
import { SentNotices } from './sent-notices.js';

export const JOB_EXPIRING_SCAN = 'notice.job-expiring-scan';
const KIND = 'job-expiring';
const HOURLY = '0 * * * *';
/** Concurrent scans (a scheduled one and a manual one) take turns, so none mails twice. */
const SCAN_LOCK = 8_123_456_811;
const WARN_DAYS = 3;

interface ExpiringRow {
  jobId: number;
  title: string;
  expiresAt: Date;
  spaName: string;
  ownerId: number;
  ownerEmail: string;
  ownerName: string;
}

/**
 * "Your job expires in three days": an hourly scan mails the owner of every open job that
 * expires within WARN_DAYS, once per job and expiry date (`job-expiring:<jobId>:<date>`), so a
 * renewed job is warned again before its new expiry, and a second scan sends nothing.
 */
@Injectable()
export class JobExpiringNotice implements OnModuleInit {
  private readonly logger = new Logger(JobExpiringNotice.name);

  constructor(
    private readonly queue: QueueService,
    private readonly mail: MailService,
    private readonly sent: SentNotices,
    private readonly preferences: NoticePreferences,
    private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onModuleInit(): Promise<void> {
    return this.queue.schedule(JOB_EXPIRING_SCAN, HOURLY, async (_data, job) => {
      await this.scan(job.id);
    });
  }

  /** Mails every warning due and not yet sent; returns how many went out. */
  scan(queueJobId?: string): Promise<number> {
    const embedded = this.config.database.type === 'pglite';
    return withAdvisoryLock(this.dataSource, SCAN_LOCK, embedded, async () => {
      const rows = await selectRows<ExpiringRow>(
        this.dataSource,
        `SELECT j.id AS "jobId", j.title, j.expires_at AS "expiresAt", s.name AS "spaName",
                o.id AS "ownerId", o.email AS "ownerEmail", o.full_name AS "ownerName"
           FROM jobs j
           JOIN spas s ON s.id = j.spa_id
           JOIN users o ON o.id = s.owner_id
           LEFT JOIN notice_preferences p ON p.user_id = o.id
          WHERE j.is_active AND s.is_active AND o.is_active
            AND j.expires_at > now() AND j.expires_at <= now() + make_interval(days => $1)
            AND coalesce(p.job_expiring, true)
          ORDER BY j.expires_at`,
        [WARN_DAYS],
      );
      let sent = 0;
      let failed: Error | undefined;
      for (const row of rows) {
        try {
          if (await this.warn(row, queueJobId ?? null)) sent++;
        } catch (err) {
          // the others still go; the scan fails after them and is retried
          failed ??= err instanceof Error ? err : new Error(String(err));
          this.logger.warn(`job ${row.jobId}: expiry warning failed: ${(err as Error).message}`);
        }
      }
      if (failed) throw failed;
      return sent;
    });
  }

  private async warn(row: ExpiringRow, queueJobId: string | null): Promise<boolean> {
    const date = new Date(row.expiresAt).toISOString().slice(0, 10);
    const key = `${KIND}:${row.jobId}:${date}`;
    if (await this.sent.has(key)) return false;
    const messageId = this.mail.messageId(KIND, `${row.jobId}-${date}`);
    const unsubscribeUrl = this.preferences.unsubscribeUrl(row.ownerId, 'jobExpiring');
    const title = oneLine(row.title);
    await this.mail.send({
      to: row.ownerEmail,
      subject: `Your job expires on ${date}: ${title}`,
      ...composeMail({
        greeting: `Hello ${oneLine(row.ownerName)},`,
        paragraphs: [
          `Your job "${title}" at ${oneLine(row.spaName)} expires on ${new Date(row.expiresAt).toUTCString()} and then leaves the listings.`,
          `To keep it open for another ${this.config.jobs.ttlDays} days, renew it (POST /api/v1/jobs/${row.jobId}/renew).`,
        ],
        link: {
          label: 'Your job',
          url: `${this.config.publicUrl}/api/v1/jobs/mine/${row.jobId}`,
        },
        footer: { label: 'Stop expiry warnings', url: unsubscribeUrl },
      }),
      messageId,
      unsubscribeUrl,
    });
    await this.sent.record(key, KIND, messageId, queueJobId);
    return true;
  }
}

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

export const APPLICATIONS_DIGEST = 'notice.applications-digest';
const KIND = 'applications-digest';
/** Every day at 07:00 UTC. */
const DAILY = '0 7 * * *';
const DIGEST_LOCK = 8_123_456_812;
/** Lines listed in one digest; the rest are counted. */
const MAX_LINES = 50;

interface OwnerRow {
  ownerId: number;
  email: string;
  fullName: string;
  since: Date;
}

interface DigestLine {
  applicantName: string;
  jobTitle: string;
  spaName: string;
}

/**
 * The daily digest for owners who chose `applications: daily`: one mail listing the
 * applications their spas' jobs received since the last digest (`digest_until`, moved on
 * after each), once per owner and day (`applications-digest:<owner>:<date>`). Names and jobs
 * only: never an applicant's e-mail or phone.
 */
@Injectable()
export class ApplicationsDigestNotice implements OnModuleInit {
  private readonly logger = new Logger(ApplicationsDigestNotice.name);

  constructor(
    private readonly queue: QueueService,
    private readonly mail: MailService,
    private readonly sent: SentNotices,
    private readonly preferences: NoticePreferences,
    private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onModuleInit(): Promise<void> {
    return this.queue.schedule(APPLICATIONS_DIGEST, DAILY, async (_data, job) => {
      await this.run(job.id);
    });
  }

  /** Mails every digest due today and not sent yet; returns how many went out. */
  run(queueJobId?: string): Promise<number> {
    const embedded = this.config.database.type === 'pglite';
    return withAdvisoryLock(this.dataSource, DIGEST_LOCK, embedded, async () => {
      const [{ until }] = await selectRows<{ until: Date }>(
        this.dataSource,
        'SELECT now() AS until',
      );
      const owners = await selectRows<OwnerRow>(
        this.dataSource,
        `SELECT u.id AS "ownerId", u.email, u.full_name AS "fullName",
                coalesce(p.digest_until, $1::timestamptz - interval '1 day') AS since
           FROM notice_preferences p
           JOIN users u ON u.id = p.user_id
          WHERE p.applications = 'daily' AND u.is_active`,
        [until],
      );
      let sent = 0;
      let failed: Error | undefined;
      for (const owner of owners) {
        try {
          if (await this.digest(owner, until, queueJobId ?? null)) sent++;
        } catch (err) {
          failed ??= err instanceof Error ? err : new Error(String(err));
          this.logger.warn(`owner ${owner.ownerId}: digest failed: ${(err as Error).message}`);
        }
      }
      if (failed) throw failed;
      return sent;
    });
  }

  private async digest(owner: OwnerRow, until: Date, queueJobId: string | null): Promise<boolean> {
    const date = new Date(until).toISOString().slice(0, 10);
    const key = `${KIND}:${owner.ownerId}:${date}`;
    if (await this.sent.has(key)) return false;
    const lines = await selectRows<DigestLine & { total: number }>(
      this.dataSource,
      `SELECT u.full_name AS "applicantName", j.title AS "jobTitle", s.name AS "spaName",
              count(*) OVER ()::int AS total
         FROM spas s
         JOIN jobs j ON j.spa_id = s.id
         JOIN applications a ON a.job_id = j.id
         JOIN users u ON u.id = a.applicant_id
        WHERE s.owner_id = $1 AND a.created_at >= $2 AND a.created_at < $3
        ORDER BY a.created_at, a.id
        LIMIT $4`,
      [owner.ownerId, owner.since, until, MAX_LINES],
    );
    let mailed = false;
    if (lines.length > 0) {
      const total = lines[0].total;
      const messageId = this.mail.messageId(KIND, `${owner.ownerId}-${date}`);
      const unsubscribeUrl = this.preferences.unsubscribeUrl(owner.ownerId, 'applications');
      const listed = lines.map(
        (l) =>
          `- ${oneLine(l.applicantName)} applied to "${oneLine(l.jobTitle)}" at ${oneLine(l.spaName)}`,
      );
      if (total > lines.length) listed.push(`… and ${total - lines.length} more`);
      await this.mail.send({
        to: owner.email,
        subject: `${total} new application${total === 1 ? '' : 's'} (${date})`,
        ...composeMail({
          greeting: `Hello ${oneLine(owner.fullName)},`,
          paragraphs: [
            `Your jobs received ${total} application(s) since the last digest:`,
            ...listed,
          ],
          link: { label: 'Your jobs', url: `${this.config.publicUrl}/api/v1/jobs/mine` },
          footer: { label: 'Stop these mails', url: unsubscribeUrl },
        }),
        messageId,
        unsubscribeUrl,
      });
      mailed = true;
      await this.sent.record(key, KIND, messageId, queueJobId);
    }
    // the next digest starts where this one ended (also after an empty day)
    await this.dataSource.query(
      'UPDATE notice_preferences SET digest_until = $2 WHERE user_id = $1',
      [owner.ownerId, until],
    );
    return mailed;
  }
}

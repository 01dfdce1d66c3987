import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { AppConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/config.module.js';
import { selectRows } from '../database/sql.js';
import { escapeHtml, oneLine } from '../mail/mail-text.js';
import { MailService } from '../mail/mail.service.js';
import { SentNotices } from '../notices/sent-notices.js';

/** The kind of sent_notices rows (`data-export-ready:<export id>`, see personal-data.ts). */
export const EXPORT_READY_KIND = 'data-export-ready';

/**
 * "Your data export is ready": transactional (the person asked for it), so no unsubscribe
 * link. It carries no data, only where to download it (signed in) and until when.
 */
@Injectable()
export class ExportReadyNotice {
  constructor(
    private readonly mail: MailService,
    private readonly sent: SentNotices,
    private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async deliver(exportId: number, queueJobId: string): Promise<void> {
    const key = `${EXPORT_READY_KIND}:${exportId}`;
    if (await this.sent.has(key)) return;
    const [row] = await selectRows<{ email: string; fullName: string; expiresAt: Date }>(
      this.dataSource,
      `SELECT u.email, u.full_name AS "fullName", e.expires_at AS "expiresAt"
         FROM data_exports e JOIN users u ON u.id = e.user_id
        WHERE e.id = $1 AND e.status = 'ready' AND u.is_active`,
      [exportId],
    );
    if (!row) return; // superseded, expired or the account is gone: nothing to announce
    const messageId = this.mail.messageId(EXPORT_READY_KIND, exportId);
    const link = `${this.config.publicUrl}/api/v1/users/me/export`;
    const until = row.expiresAt.toISOString().replace('T', ' ').slice(0, 16);
    const name = oneLine(row.fullName);
    await this.mail.send({
      to: row.email,
      subject: 'Your spajobs data export is ready',
      text: [
        `Hello ${name},`,
        '',
        'The copy of your data you asked for is ready. Download it, signed in, from',
        link,
        '',
        `It is deleted on ${until} UTC. If you did not ask for it, change your password.`,
      ].join('\n'),
      html: [
        `<p>Hello ${escapeHtml(name)},</p>`,
        `<p>The copy of your data you asked for is ready. <a href="${escapeHtml(link)}">Download it</a> (signed in).</p>`,
        `<p>It is deleted on ${escapeHtml(until)} UTC. If you did not ask for it, change your password.</p>`,
      ].join('\n'),
      messageId,
    });
    await this.sent.record(key, EXPORT_READY_KIND, messageId, queueJobId);
  }
}

import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import type { AppConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/config.module.js';
import { selectRows } from '../database/sql.js';
import { MailService } from '../mail/mail.service.js';
import { SentNotices } from '../notices/sent-notices.js';
import { QueueService } from '../queue/queue.service.js';
import { emailChangeNotice, tokenMail } from './account-mail-content.js';
import {
  openToken,
  sealToken,
  TOKEN_TTL_MS,
  type IssuedToken,
  type TokenPurpose,
} from './account-tokens.js';

export const ACCOUNT_MAIL = 'mail.account';

type AccountMailJob =
  | { kind: 'token'; tokenId: number; sealed: string }
  | { kind: 'email-change-notice'; tokenId: number; to: string };

interface TokenMailRow {
  purpose: TokenPurpose;
  newEmail: string | null;
  open: boolean;
  verified: boolean;
  email: string;
  name: string;
}

const KIND: Record<TokenPurpose, string> = {
  verify_email: 'verify-email',
  change_email: 'change-email',
  password_reset: 'password-reset',
};

/**
 * The account mails (transactional: no unsubscribe link), enqueued in the transaction that
 * makes their token and sent from the queue, each once (SentNotices), with a Message-ID per
 * token. A token that was used or replaced before its mail went out is not mailed, nor a
 * verification link to an address verified meanwhile.
 */
@Injectable()
export class AccountMails implements OnModuleInit {
  constructor(
    private readonly queue: QueueService,
    private readonly mail: MailService,
    private readonly sent: SentNotices,
    private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onModuleInit(): Promise<void> {
    return this.queue.register<AccountMailJob>(ACCOUNT_MAIL, (data, job) =>
      data.kind === 'token'
        ? this.deliverToken(data.tokenId, data.sealed, job.id)
        : this.deliverNotice(data.tokenId, data.to, job.id),
    );
  }

  /** The token's link, mailed once the caller's transaction commits. */
  sendToken(manager: EntityManager, issued: IssuedToken): Promise<string> {
    const sealed = sealToken(this.config.auth.secretKey, issued.token);
    return this.queue.send(manager, ACCOUNT_MAIL, { kind: 'token', tokenId: issued.id, sealed });
  }

  /** Tells the current address that a change to another one was asked for. */
  sendEmailChangeNotice(manager: EntityManager, tokenId: number, to: string): Promise<string> {
    return this.queue.send(manager, ACCOUNT_MAIL, { kind: 'email-change-notice', tokenId, to });
  }

  /** Where each link leads: the API's own verification route, the client's reset page. */
  linkFor(purpose: TokenPurpose, token: string): string {
    const base = this.config.publicUrl;
    return purpose === 'password_reset'
      ? `${base}/reset-password?token=${token}`
      : `${base}/api/v1/auth/verify-email?token=${token}`;
  }

  private async deliverToken(tokenId: number, sealed: string, queueJobId: string): Promise<void> {
    const [row] = await selectRows<TokenMailRow>(
      this.dataSource,
      `SELECT t.purpose, t.new_email AS "newEmail", (t.used_at IS NULL AND t.expires_at > now()) AS open,
              u.email_verified_at IS NOT NULL AS verified, u.email, u.full_name AS name
         FROM account_tokens t JOIN users u ON u.id = t.user_id
        WHERE t.id = $1`,
      [tokenId],
    );
    // used, replaced or expired, the account gone or (verification) verified: nothing to send
    if (!row?.open || (row.purpose === 'verify_email' && row.verified)) return;
    const kind = KIND[row.purpose];
    const key = `${kind}:${tokenId}`;
    if (await this.sent.has(key)) return;
    const link = this.linkFor(row.purpose, openToken(this.config.auth.secretKey, sealed));
    const messageId = this.mail.messageId(kind, tokenId);
    await this.mail.send({
      to: row.purpose === 'change_email' ? row.newEmail! : row.email,
      ...tokenMail(row.purpose, row, link, TOKEN_TTL_MS[row.purpose] / 3_600_000),
      messageId,
    });
    await this.sent.record(key, kind, messageId, queueJobId);
  }

  private async deliverNotice(tokenId: number, to: string, queueJobId: string): Promise<void> {
    const kind = 'email-change-notice';
    const key = `${kind}:${tokenId}`;
    if (await this.sent.has(key)) return;
    const [row] = await selectRows<{ name: string; newEmail: string }>(
      this.dataSource,
      `SELECT u.full_name AS name, t.new_email AS "newEmail"
         FROM account_tokens t JOIN users u ON u.id = t.user_id WHERE t.id = $1`,
      [tokenId],
    );
    if (!row) return;
    const messageId = this.mail.messageId(kind, tokenId);
    await this.mail.send({ to, ...emailChangeNotice(row, row.newEmail), messageId });
    await this.sent.record(key, kind, messageId, queueJobId);
  }
}

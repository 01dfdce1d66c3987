import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationShutdown,
  type OnModuleInit,
} from '@nestjs/common';
import nodemailer, { type Transporter } from 'nodemailer';
import type { AppConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/config.module.js';

export interface MailMessage {
  to: string;
  subject: string;
  text: string;
  html: string;
  /**
   * Stable per notice (`<kind.id@domain>`, see `messageId`): a resent notice carries the same id,
   * so mail systems that deduplicate see one message, and the outbox keeps one file.
   */
  messageId: string;
  /**
   * Non-transactional mail only: where the recipient turns this kind of mail off, with no login.
   * Sent as `List-Unsubscribe` with `List-Unsubscribe-Post: List-Unsubscribe=One-Click`
   * (RFC 8058), so the URL must turn the mail off on a POST of that form body.
   */
  unsubscribeUrl?: string;
}

/** Outages fail fast (the queue retries) instead of holding a worker for minutes. */
const SMTP_TIMEOUTS = { connectionTimeout: 10_000, greetingTimeout: 10_000, socketTimeout: 30_000 };
const LINK = /https?:\/\/[^\s<>"]+/g;

/**
 * Sends mail through MAIL_URL (SMTP, pooled), or without it writes each message to
 * MAIL_OUTBOX_DIR as `<message id>.eml` and logs its links. Callers are queue handlers: a
 * failure throws, and the queue retries.
 */
@Injectable()
export class MailService implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(MailService.name);
  private readonly transport: Transporter;
  private readonly domain: string;

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {
    const { url, from } = config.mail;
    this.transport = url
      ? nodemailer.createTransport({
          url,
          pool: true,
          maxConnections: 3,
          ...SMTP_TIMEOUTS,
        })
      : nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'unix' });
    this.domain = /@([^>\s]+)>?\s*$/.exec(from)?.[1] ?? 'spajobs.local';
  }

  get mode(): 'smtp' | 'outbox' {
    return this.config.mail.url ? 'smtp' : 'outbox';
  }

  onModuleInit(): void {
    if (this.mode === 'outbox' && this.config.env === 'production') {
      this.logger.warn(
        `MAIL_URL is not set: mails are written to ${this.config.mail.outboxDir}, not sent`,
      );
    }
  }

  /** A Message-ID for one notice: the same for every attempt at sending it. */
  messageId(kind: string, key: string | number): string {
    return `<${kind}.${key}@${this.domain}>`;
  }

  async send(message: MailMessage): Promise<void> {
    const info = (await this.transport.sendMail({
      from: this.config.mail.from,
      to: message.to,
      subject: message.subject,
      text: message.text,
      html: message.html,
      messageId: message.messageId,
      ...(message.unsubscribeUrl
        ? {
            list: { unsubscribe: message.unsubscribeUrl },
            headers: { 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click' },
          }
        : {}),
    })) as { message?: Buffer };
    if (this.mode === 'outbox') await this.writeToOutbox(message, info.message!);
  }

  onApplicationShutdown(): void {
    this.transport.close();
  }

  private async writeToOutbox(message: MailMessage, raw: Buffer): Promise<void> {
    const dir = this.config.mail.outboxDir;
    const name = `${message.messageId.replace(/[<>]/g, '').replace(/[^A-Za-z0-9._-]/g, '_')}.eml`;
    await mkdir(dir, { recursive: true });
    // written whole, then renamed: a reader never sees half a message
    const tmp = join(dir, `.${name}.${process.pid}.tmp`);
    await writeFile(tmp, raw);
    await rename(tmp, join(dir, name));
    const links = [...new Set(message.text.match(LINK) ?? [])];
    this.logger.log(
      `mail "${message.subject}" written to ${join(dir, name)}${links.length ? `; links: ${links.join(' ')}` : ''}`,
    );
  }
}

import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { AppError } from '../common/error-codes.js';
import type { AppConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/config.module.js';
import { selectRows } from '../database/sql.js';
import { signLinkToken, verifyLinkToken } from '../mail/signed-link.js';

/**
 * The kinds of notice a user can turn off: new applications to their spas' jobs (one mail each,
 * a daily digest, or none), their applications' status changes, the confirmation of their
 * withdrawals, and the warning that one of their jobs expires in three days.
 */
export const NOTICE_KINDS = [
  'applications',
  'statusChanges',
  'withdrawals',
  'jobExpiring',
] as const;
export type NoticeKind = (typeof NOTICE_KINDS)[number];
export const APPLICATION_MODES = ['instant', 'daily', 'off'] as const;
export type ApplicationMode = (typeof APPLICATION_MODES)[number];

export interface NoticeChoices {
  applications: ApplicationMode;
  statusChanges: boolean;
  withdrawals: boolean;
  jobExpiring: boolean;
}

/** No row: everything on, applications one mail each. */
export const DEFAULT_CHOICES: Readonly<NoticeChoices> = {
  applications: 'instant',
  statusChanges: true,
  withdrawals: true,
  jobExpiring: true,
};

const COLUMNS: Record<NoticeKind, string> = {
  applications: 'applications',
  statusChanges: 'status_changes',
  withdrawals: 'withdrawals',
  jobExpiring: 'job_expiring',
};

const SELECT_CHOICES = `SELECT applications, status_changes AS "statusChanges",
       withdrawals, job_expiring AS "jobExpiring"
  FROM notice_preferences WHERE user_id = $1`;

/** The signed-link purpose of unsubscribe tokens (payload `{ u: userId, k: kind }`). */
const UNSUBSCRIBE = 'unsubscribe';

interface UnsubscribePayload {
  u: number;
  k: NoticeKind;
}

/**
 * What each user wants to be mailed (`notice_preferences`), read by every notice handler when
 * it sends, and the signed one-click links that turn a kind off without a login.
 */
@Injectable()
export class NoticePreferences {
  constructor(
    private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async get(userId: number): Promise<NoticeChoices> {
    const [row] = await selectRows<NoticeChoices>(this.dataSource, SELECT_CHOICES, [userId]);
    return row ?? { ...DEFAULT_CHOICES };
  }

  /**
   * Applies the given choices (the others stay). Switching applications to `daily` starts the
   * next digest now: what arrived before was mailed one by one.
   */
  async update(userId: number, changes: Partial<NoticeChoices>): Promise<NoticeChoices> {
    const kinds = NOTICE_KINDS.filter((k) => changes[k] !== undefined);
    if (kinds.length > 0) {
      const values = kinds.map((k) => changes[k]);
      const sets = kinds.map((k, i) => `${COLUMNS[k]} = $${i + 2}`);
      if (changes.applications !== undefined) {
        const at = kinds.indexOf('applications') + 2;
        sets.push(
          `digest_until = CASE WHEN $${at}::varchar = 'daily' AND applications <> 'daily' THEN now() ELSE digest_until END`,
        );
      }
      await this.dataSource.transaction(async (tx) => {
        await tx.query(
          `INSERT INTO notice_preferences (user_id) VALUES ($1)
           ON CONFLICT ON CONSTRAINT pk_notice_preferences DO NOTHING`,
          [userId],
        );
        await tx.query(
          `UPDATE notice_preferences SET ${sets.join(', ')}, updated_at = now() WHERE user_id = $1`,
          [userId, ...values],
        );
      });
    }
    return this.get(userId);
  }

  /** The link of a mail's List-Unsubscribe header (and footer) for this user and kind. */
  unsubscribeUrl(userId: number, kind: NoticeKind): string {
    const payload: UnsubscribePayload = { u: userId, k: kind };
    const token = signLinkToken(this.config.auth.secretKey, UNSUBSCRIBE, payload);
    return `${this.config.publicUrl}/api/v1/notifications/unsubscribe?token=${token}`;
  }

  /** The user and kind of an unsubscribe token this server signed, else 400. */
  readUnsubscribeToken(token: string): UnsubscribePayload {
    const payload = verifyLinkToken<Partial<UnsubscribePayload>>(
      this.config.auth.secretKey,
      UNSUBSCRIBE,
      token,
    );
    const { u, k } = payload ?? {};
    if (!Number.isSafeInteger(u) || u! < 1 || !NOTICE_KINDS.includes(k!)) {
      throw new AppError(
        'UNSUBSCRIBE_TOKEN_INVALID',
        'The token of this unsubscribe link was not issued by this server or is malformed',
      );
    }
    return { u: u!, k: k! };
  }

  /** Turns one kind off (applications: no mail at all, nor a digest). A deleted user: no-op. */
  async turnOff(userId: number, kind: NoticeKind): Promise<void> {
    const [exists] = await selectRows(this.dataSource, 'SELECT 1 FROM users WHERE id = $1', [
      userId,
    ]);
    if (!exists) return;
    await this.update(
      userId,
      kind === 'applications' ? { applications: 'off' } : { [kind]: false },
    );
  }
}

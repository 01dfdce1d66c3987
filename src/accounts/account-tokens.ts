import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { AppError } from '../common/error-codes.js';
import { selectRows } from '../database/sql.js';

export type TokenPurpose = 'verify_email' | 'password_reset' | 'change_email';

const HOUR_MS = 3_600_000;
/** How long each kind of link works. */
export const TOKEN_TTL_MS: Record<TokenPurpose, number> = {
  verify_email: 24 * HOUR_MS,
  password_reset: HOUR_MS,
  change_email: 24 * HOUR_MS,
};

export interface IssuedToken {
  id: number;
  /** The secret for the mail: never stored, only its hash is. */
  token: string;
  expiresAt: Date;
}

export interface ConsumedToken {
  id: number;
  userId: number;
  purpose: TokenPurpose;
  newEmail: string | null;
}

interface TokenRow extends ConsumedToken {
  expired: boolean;
  used: boolean;
}

const hashOf = (token: string) => createHash('sha256').update(token).digest('hex');

/**
 * The single-use secrets of the account flows: 32 random bytes (base64url) mailed to the user,
 * stored as their SHA-256 only, so a leaked table opens no account. A new token revokes the
 * account's open tokens of its purpose (a newer reset link kills every earlier one).
 */
@Injectable()
export class AccountTokens {
  async issue(
    manager: EntityManager,
    userId: number,
    purpose: TokenPurpose,
    newEmail: string | null = null,
  ): Promise<IssuedToken> {
    await this.revoke(manager, userId, [purpose]);
    const token = randomBytes(32).toString('base64url');
    const [row] = await selectRows<{ id: number; expires_at: Date }>(
      manager,
      `INSERT INTO account_tokens (user_id, purpose, token_hash, new_email, expires_at)
       VALUES ($1, $2, $3, $4, now() + $5::float8 * interval '1 millisecond')
       RETURNING id, expires_at`,
      [userId, purpose, hashOf(token), newEmail, TOKEN_TTL_MS[purpose]],
    );
    return { id: row.id, token, expiresAt: new Date(row.expires_at) };
  }

  /**
   * Marks the token used and returns it, in the caller's transaction (the row is locked, so two
   * concurrent uses cannot both succeed). An unknown token, or one made for another purpose, is
   * a 400; an expired or used (or revoked) one a 410. Throwing changes nothing.
   */
  async consume(
    manager: EntityManager,
    token: string,
    purposes: TokenPurpose[],
  ): Promise<ConsumedToken> {
    const [row] = await selectRows<TokenRow>(
      manager,
      `SELECT id, user_id AS "userId", purpose, new_email AS "newEmail",
              expires_at <= now() AS expired, used_at IS NOT NULL AS used
         FROM account_tokens WHERE token_hash = $1
          FOR UPDATE`,
      [hashOf(token)],
    );
    if (!row || !purposes.includes(row.purpose)) {
      throw new AppError('ACCOUNT_TOKEN_INVALID', 'token: this link is not valid');
    }
    if (row.used) {
      throw new AppError(
        'ACCOUNT_TOKEN_USED',
        'token: this link was already used, or a newer one replaced it',
      );
    }
    if (row.expired) {
      throw new AppError(
        'ACCOUNT_TOKEN_EXPIRED',
        'token: this link has expired; ask for a new one',
      );
    }
    await manager.query(`UPDATE account_tokens SET used_at = now() WHERE id = $1`, [row.id]);
    return { id: row.id, userId: row.userId, purpose: row.purpose, newEmail: row.newEmail };
  }

  /** Ends the account's open tokens of these purposes (all of them by default). */
  async revoke(
    manager: EntityManager,
    userId: number,
    purposes: TokenPurpose[] = ['verify_email', 'password_reset', 'change_email'],
  ): Promise<void> {
    await manager.query(
      `UPDATE account_tokens SET used_at = now()
        WHERE user_id = $1 AND purpose = ANY($2::text[]) AND used_at IS NULL`,
      [userId, purposes],
    );
  }
}

/**
 * The mail job carries the secret sealed (AES-256-GCM under a key derived from SECRET_KEY),
 * so the queue's table holds no usable token either.
 */
function sealKey(secret: string): Buffer {
  return createHash('sha256').update(`account-token-seal\n${secret}`).digest();
}

export function sealToken(secret: string, token: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', sealKey(secret), iv);
  const body = Buffer.concat([cipher.update(token, 'utf8'), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64url');
}

export function openToken(secret: string, sealed: string): string {
  const raw = Buffer.from(sealed, 'base64url');
  const decipher = createDecipheriv('aes-256-gcm', sealKey(secret), raw.subarray(0, 12));
  decipher.setAuthTag(raw.subarray(12, 28));
  return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8');
}

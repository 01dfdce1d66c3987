import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Single-use account tokens (e-mail verification, password reset, change of e-mail), stored only
 * as SHA-256 hashes of the random secret mailed out, and the verification state of each account.
 * Accounts that exist before this migration are taken as verified (grandfathered): they were
 * created when nobody could verify, and locking their employers out of posting would be a
 * regression nobody asked for.
 */
export class AccountTokens1795740000007 implements MigrationInterface {
  name = 'AccountTokens1795740000007';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE users ADD COLUMN email_verified_at timestamptz`);
    await q.query(`UPDATE users SET email_verified_at = created_at`);
    await q.query(`
      CREATE TABLE account_tokens (
        id          serial       NOT NULL,
        user_id     int          NOT NULL,
        purpose     varchar(20)  NOT NULL,
        token_hash  char(64)     NOT NULL,
        new_email   varchar(254),
        expires_at  timestamptz  NOT NULL,
        used_at     timestamptz,
        created_at  timestamptz  NOT NULL DEFAULT now(),
        CONSTRAINT pk_account_tokens PRIMARY KEY (id),
        CONSTRAINT uq_account_tokens_token_hash UNIQUE (token_hash),
        CONSTRAINT fk_account_tokens_user FOREIGN KEY (user_id)
          REFERENCES users (id) ON DELETE CASCADE,
        CONSTRAINT ck_account_tokens_purpose
          CHECK (purpose IN ('verify_email', 'password_reset', 'change_email')),
        CONSTRAINT ck_account_tokens_new_email
          CHECK ((purpose = 'change_email') = (new_email IS NOT NULL))
      )`);
    // revoking a user's open tokens of one purpose (each new token does)
    await q.query(`
      CREATE INDEX idx_account_tokens_user_open
        ON account_tokens (user_id, purpose) WHERE used_at IS NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS account_tokens`);
    await q.query(`ALTER TABLE users DROP COLUMN IF EXISTS email_verified_at`);
  }
}

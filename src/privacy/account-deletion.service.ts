import { randomBytes } from 'node:crypto';
import { Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { CacheService } from '../cache/cache.service.js';
import type { AuthUser } from '../common/auth-user.js';
import { AppError } from '../common/error-codes.js';
import { selectRows } from '../database/sql.js';
import { QueueService } from '../queue/queue.service.js';
import { UploadsService } from '../uploads/uploads.service.js';
import { verifyPassword } from '../users/password.js';
import { PERSONAL_TABLES } from './personal-data.js';

export const PURGE_FILES = 'privacy.purge-files';
export const DELETED_NAME = 'Deleted user';
/** `.invalid` is reserved (RFC 2606): the placeholder can never receive mail or be typed by chance. */
export const DELETED_EMAIL_DOMAIN = 'deleted.invalid';
/** Not an argon2 hash: verification of any password against it fails. */
const UNUSABLE_HASH = '!deleted';

/** The files a deletion leaves to remove: resume names and public image URLs. */
interface PurgeFiles {
  resumes: string[];
  images: string[];
}

/**
 * `DELETE /users/me`: in one transaction, the account row is anonymised (a unique placeholder
 * e-mail, so the address can register again; no name, phone or usable password; inactive; its
 * token version bumped, so every token is refused at once), the applications the employer
 * keeps lose their cover letter and resume, an employer's spas are deactivated with their jobs
 * closed and images removed, and every personal row of PERSONAL_TABLES is deleted. Files go
 * right after the commit, and a queued job written by the same transaction removes them again
 * (idempotently), so a crash in between still leaves none behind.
 */
@Injectable()
export class AccountDeletionService implements OnModuleInit {
  private readonly logger = new Logger(AccountDeletionService.name);

  constructor(
    private readonly dataSource: DataSource,
    private readonly queue: QueueService,
    private readonly uploads: UploadsService,
    private readonly cache: CacheService,
  ) {}

  onModuleInit(): Promise<void> {
    return this.queue.register<PurgeFiles>(PURGE_FILES, (files) => this.purge(files));
  }

  async delete(actor: AuthUser, currentPassword: string): Promise<void> {
    const [user] = await selectRows<{ passwordHash: string }>(
      this.dataSource,
      `SELECT password_hash AS "passwordHash" FROM users WHERE id = $1`,
      [actor.id],
    );
    if (!user || !(await verifyPassword(user.passwordHash, currentPassword))) {
      throw new AppError('INVALID_CURRENT_PASSWORD', 'currentPassword is missing or wrong');
    }
    const { files, hadSpas } = await this.dataSource.transaction(async (em) => {
      // The account row and every active admin's, locked in id order (no deadlock between two
      // deletions): two admins deleting themselves at once cannot leave no admin at all.
      const locked = await selectRows<{ id: number; role: string }>(
        em,
        `SELECT id, role FROM users
          WHERE is_active AND (id = $1 OR role = 'admin') ORDER BY id FOR UPDATE`,
        [actor.id],
      );
      const me = locked.find((u) => u.id === actor.id);
      if (!me) throw new AppError('TOKEN_REVOKED', 'The token is no longer valid');
      if (me.role === 'admin' && locked.filter((u) => u.role === 'admin').length <= 1) {
        throw new AppError(
          'LAST_ADMIN',
          'You are the only active admin: make another admin before deleting your account',
        );
      }
      const resumes = await selectRows<{ name: string | null }>(
        em,
        `WITH mine AS (
           SELECT id, resume_file FROM applications WHERE applicant_id = $1 FOR UPDATE)
         UPDATE applications a
            SET cover_letter = NULL, resume_file = NULL, resume_size = NULL, updated_at = now()
           FROM mine WHERE a.id = mine.id
         RETURNING mine.resume_file AS name`,
        [actor.id],
      );
      const spas = await selectRows<{ images: string[] }>(
        em,
        `WITH owned AS (SELECT id, images FROM spas WHERE owner_id = $1 FOR UPDATE)
         UPDATE spas s SET is_active = false, images = '{}', updated_at = now()
           FROM owned WHERE s.id = owned.id
         RETURNING owned.images AS images`,
        [actor.id],
      );
      if (spas.length > 0) {
        await em.query(
          `UPDATE jobs SET is_active = false, updated_at = now()
            WHERE is_active AND spa_id IN (SELECT id FROM spas WHERE owner_id = $1)`,
          [actor.id],
        );
      }
      for (const table of PERSONAL_TABLES) {
        if (table.erase) await em.query(table.erase, [actor.id]);
      }
      const placeholder = `deleted-${actor.id}.${randomBytes(8).toString('hex')}@${DELETED_EMAIL_DOMAIN}`;
      await em.query(
        `UPDATE users
            SET email = $2, full_name = $3, phone = NULL, password_hash = $4, is_active = false,
                token_version = token_version + 1, last_login_at = NULL, updated_at = now()
          WHERE id = $1`,
        [actor.id, placeholder, DELETED_NAME, UNUSABLE_HASH],
      );
      const purge: PurgeFiles = {
        resumes: resumes.flatMap((r) => (r.name ? [r.name] : [])),
        images: spas.flatMap((s) => s.images),
      };
      if (purge.resumes.length + purge.images.length > 0) {
        await this.queue.send(em, PURGE_FILES, purge);
      }
      return { files: purge, hadSpas: spas.length > 0 };
    });
    try {
      await this.purge(files);
    } catch (err) {
      // the queued job removes them
      this.logger.warn(`files of deleted account ${actor.id}: ${(err as Error).message}`);
    }
    // its spas and jobs left the public lists (the owner_listed trigger and the updates above)
    if (hadSpas) await this.cache.invalidate('spas', 'jobs');
  }

  private async purge(files: PurgeFiles): Promise<void> {
    for (const name of files.resumes) await this.uploads.removeResume(name);
    for (const url of files.images) await this.uploads.removeImage(url);
  }
}

import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { DataSource } from 'typeorm';
import { CacheService } from '../../cache/cache.service.js';
import type { AppConfig } from '../../config/app-config.js';
import { APP_CONFIG } from '../../config/config.module.js';
import { LOCK_KEYS, withAdvisoryLock } from '../advisory-lock.js';
import { selectRows } from '../sql.js';
import { ApplicationReceivedNotice } from '../../notices/application-received.notice.js';
import { demoApplicationIds, DEMO_EMAILS, seedDemoData } from './demo-data.js';

/**
 * Seeds the demo dataset at boot when SEED_DEMO_DATA is on (the default outside production).
 * In production it disables any demo account the database holds (a development database
 * promoted as it was): their passwords are published. (The load dataset's employers are left
 * alone: the benchmark runs them in production mode, and nobody promotes a benchmark database.)
 */
@Injectable()
export class DemoSeeder implements OnApplicationBootstrap {
  private readonly logger = new Logger(DemoSeeder.name);

  constructor(
    private readonly dataSource: DataSource,
    private readonly cache: CacheService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly moduleRef: ModuleRef,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (this.config.env === 'production') return this.disableDemoAccounts();
    if (!this.config.seedDemoData) return;
    const seeded = await withAdvisoryLock(
      this.dataSource,
      LOCK_KEYS.seed,
      this.config.database.type === 'pglite',
      (runner) => seedDemoData(runner),
    );
    // the logins are printed with the URLs once the server listens (main.ts)
    if (!seeded) return;
    this.logger.log('Demo data seeded: ~50 spas and ~500 jobs');
    await this.enqueueDemoNotices();
  }

  /**
   * The demo's applications are told to their spas' owners like real ones, so the outbox
   * (MAIL_OUTBOX_DIR) shows the demo's mails from the first start.
   */
  private async enqueueDemoNotices(): Promise<void> {
    const notices = this.moduleRef.get(ApplicationReceivedNotice, { strict: false });
    await this.dataSource.transaction(async (manager) => {
      for (const id of await demoApplicationIds(manager)) await notices.enqueue(manager, id);
    });
  }

  /**
   * Rather than refusing to boot (a restart loop, and an outage for a data problem), the accounts
   * are made unusable at every production boot: deactivated, with their tokens revoked (token
   * version bumped), so they cannot log in and their spas and jobs leave the public lists. An
   * admin who reactivates one is undone at the next boot. The error is logged at every boot
   * until they are deleted.
   */
  private async disableDemoAccounts(): Promise<void> {
    const params = [DEMO_EMAILS];
    const [found] = await selectRows<{ n: number; active: number; emails: string[] | null }>(
      this.dataSource,
      `SELECT count(*)::int AS n, count(*) FILTER (WHERE is_active)::int AS active,
              array_agg(email ORDER BY id) AS emails
         FROM users WHERE lower(email) = ANY($1::text[])`,
      params,
    );
    if (!found.emails) return;
    if (found.active > 0) {
      await this.dataSource.query(
        `UPDATE users SET is_active = false, token_version = token_version + 1, updated_at = now()
          WHERE lower(email) = ANY($1::text[]) AND is_active`,
        params,
      );
      await this.cache.invalidate('spas', 'jobs');
    }
    this.logger.error(
      `NODE_ENV=production, but this database holds ${found.n} development demo account(s) ` +
        `with published passwords (${found.emails.join(', ')}): they are disabled ` +
        '(cannot log in, tokens revoked, their spas and jobs hidden). Delete them, with their spas, ' +
        'jobs and applications, or start production on a database that was never seeded.',
    );
  }
}

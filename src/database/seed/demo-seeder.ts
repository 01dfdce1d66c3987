import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { AppConfig } from '../../config/app-config.js';
import { APP_CONFIG } from '../../config/config.module.js';
import { LOCK_KEYS, withAdvisoryLock } from '../advisory-lock.js';
import { DEMO_ADMIN, DEMO_USER_PASSWORD, seedDemoData } from './demo-data.js';

/** Seeds the demo dataset at boot when SEED_DEMO_DATA is on (the default outside production). */
@Injectable()
export class DemoSeeder implements OnApplicationBootstrap {
  private readonly logger = new Logger(DemoSeeder.name);

  constructor(
    private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (!this.config.seedDemoData) return;
    const seeded = await withAdvisoryLock(
      this.dataSource,
      LOCK_KEYS.seed,
      this.config.database.type === 'pglite',
      (runner) => seedDemoData(runner),
    );
    if (seeded) this.logger.log('Demo data seeded: ~50 spas and ~500 jobs');
    this.logger.warn(
      `Demo accounts (development only): admin ${DEMO_ADMIN.email} / ${DEMO_ADMIN.password}; ` +
        `employer1..10@spajobs.local and seeker1..5@spajobs.local / ${DEMO_USER_PASSWORD}`,
    );
  }
}

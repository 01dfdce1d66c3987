import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { AppConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/config.module.js';

const EVERY_MS = 10 * 60_000;

/**
 * PGlite has no autovacuum: without it the planner's statistics go stale and the full-text
 * indexes' pending lists are never merged, and the planner stops choosing those indexes.
 * On the embedded database, this does what autovacuum does on PostgreSQL, every ten minutes.
 */
@Injectable()
export class EmbeddedMaintenance implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(EmbeddedMaintenance.name);
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onApplicationBootstrap(): void {
    if (this.config.database.type !== 'pglite') return;
    this.timer = setInterval(() => void this.run(), EVERY_MS);
    this.timer.unref();
  }

  async run(): Promise<void> {
    try {
      await this.dataSource.query('VACUUM (ANALYZE) jobs, spas, applications, users');
    } catch (err) {
      this.logger.warn(`Embedded maintenance failed: ${(err as Error).message}`);
    }
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }
}

import { statfs } from 'node:fs/promises';
import { dirname } from 'node:path';
import { getHeapStatistics } from 'node:v8';
import { Inject, Injectable } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import { DataSource } from 'typeorm';
import type { AppConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/config.module.js';
import { pendingMigrations } from '../database/migrator.js';
import { RedisService } from '../redis/redis.service.js';

const DATABASE_TIMEOUT_MS = 2000;
const HEAP_DEGRADED_RATIO = 0.85;

@Injectable()
export class HealthIndicators {
  /** Migrations never un-apply, so once none is pending the check stops asking. */
  private migrationsApplied = false;

  constructor(
    private readonly indicators: HealthIndicatorService,
    private readonly dataSource: DataSource,
    private readonly redisService: RedisService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  database() {
    return this.indicators
      .check('database')
      .attempt(async () => {
        await this.dataSource.query('SELECT 1');
      })
      .withTimeout(DATABASE_TIMEOUT_MS);
  }

  async migrations() {
    const session = this.indicators.check('migrations');
    if (this.migrationsApplied) return session.up();
    try {
      const pending = await pendingMigrations(this.dataSource);
      this.migrationsApplied = pending.length === 0;
      return this.migrationsApplied ? session.up() : session.down({ pending });
    } catch {
      return session.down({ message: 'cannot read the migrations table' });
    }
  }

  /** The cache and the rate limiter fall back to memory without Redis: an outage degrades, never fails. */
  async redis() {
    const session = this.indicators.check('redis');
    if (!this.redisService.enabled) return session.up({ enabled: false, mode: 'memory' });
    const state = this.redisService.state();
    return (await this.redisService.ping())
      ? session.up({ enabled: true, ...state })
      : session.degraded({
          enabled: true,
          ...state,
          message: 'unreachable; cache and rate limits run from memory',
        });
  }

  memory() {
    const session = this.indicators.check('memory');
    const { used_heap_size, heap_size_limit } = getHeapStatistics();
    const data = {
      heapUsedMb: Math.round(used_heap_size / 2 ** 20),
      heapLimitMb: Math.round(heap_size_limit / 2 ** 20),
      rssMb: Math.round(process.memoryUsage.rss() / 2 ** 20),
    };
    return used_heap_size / heap_size_limit > HEAP_DEGRADED_RATIO
      ? session.degraded(data)
      : session.up(data);
  }

  /**
   * Free space where uploads land. Low space degrades the report but not readiness: taking the
   * instance out would stop every read too, while a full disk only fails new uploads (503).
   */
  async disk() {
    const session = this.indicators.check('disk');
    const { publicDir, resumeDir, diskMinFreeBytes } = this.config.uploads;
    const [uploads, resumes] = await Promise.all([freeBytes(publicDir), freeBytes(resumeDir)]);
    const mb = (bytes: number) => Math.floor(bytes / 2 ** 20);
    const data = {
      uploadsFreeMb: mb(uploads),
      resumesFreeMb: mb(resumes),
      minFreeMb: mb(diskMinFreeBytes),
    };
    return Math.min(uploads, resumes) < diskMinFreeBytes
      ? session.degraded({ ...data, message: 'free disk space below DISK_MIN_FREE_MB' })
      : session.up(data);
  }
}

/** Free bytes for unprivileged writers on the file system of `dir` (or of its nearest existing parent). */
async function freeBytes(dir: string): Promise<number> {
  for (let path = dir; ; path = dirname(path)) {
    try {
      const stats = await statfs(path);
      return stats.bavail * stats.bsize;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || dirname(path) === path) throw err;
    }
  }
}

import { getHeapStatistics } from 'node:v8';
import { Injectable } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import { DataSource } from 'typeorm';
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
    return (await this.redisService.ping())
      ? session.up({ enabled: true })
      : session.degraded({
          enabled: true,
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
}

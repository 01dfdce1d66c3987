import { Module, type DynamicModule } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { isConnectionError } from '../common/db-errors.js';
import type { AppConfig } from '../config/app-config.js';
import { openDataSource } from './data-source.js';
import { EmbeddedMaintenance } from './embedded-maintenance.js';
import { ReadConsistencyService } from './read-consistency.service.js';
import { DemoSeeder } from './seed/demo-seeder.js';

/** Retries while the database is unreachable at boot: ~1 minute, then the boot fails. */
const BOOT_RETRY_ATTEMPTS = 20;
const BOOT_RETRY_DELAY_MS = 3000;

@Module({})
export class DatabaseModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: DatabaseModule,
      // the cache reads fences and replicas through ReadConsistencyService
      global: true,
      imports: [
        TypeOrmModule.forRootAsync({
          useFactory: () => ({
            retryAttempts: BOOT_RETRY_ATTEMPTS,
            retryDelay: BOOT_RETRY_DELAY_MS,
            toRetry: (err: unknown) =>
              config.database.type === 'postgresql' && isConnectionError(err),
          }),
          // The data source is built by the same code as the CLI and tests use; it migrates
          // under an advisory lock before the app serves anything.
          dataSourceFactory: () =>
            openDataSource(config.database, { migrate: true, replicas: true }),
        }),
      ],
      providers: [DemoSeeder, EmbeddedMaintenance, ReadConsistencyService],
      exports: [ReadConsistencyService],
    };
  }
}

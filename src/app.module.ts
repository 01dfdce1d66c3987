import { Module, type DynamicModule } from '@nestjs/common';
import { APP_FILTER, APP_PIPE } from '@nestjs/core';
import { LoggerModule } from 'nestjs-pino';
import { AdminJobsModule } from './admin-jobs/admin-jobs.module.js';
import { ApplicationsModule } from './applications/applications.module.js';
import { AuthModule } from './auth/auth.module.js';
import { AppCacheModule } from './cache/cache.module.js';
import { CategoriesModule } from './categories/categories.module.js';
import { AllExceptionsFilter } from './common/all-exceptions.filter.js';
import { CommonModule } from './common/common.module.js';
import { loggerParams } from './common/logging.js';
import { MediaTypeModule } from './common/media-type.guard.js';
import { createValidationPipe } from './common/validation.js';
import type { AppConfig } from './config/app-config.js';
import { AppConfigModule } from './config/config.module.js';
import { DatabaseModule } from './database/database.module.js';
import { HealthModule } from './health/health.module.js';
import { JobsModule } from './jobs/jobs.module.js';
import { LocationsModule } from './locations/locations.module.js';
import { MailModule } from './mail/mail.module.js';
import { MetricsModule } from './metrics/metrics.module.js';
import { QueueModule } from './queue/queue.module.js';
import { RedisModule } from './redis/redis.module.js';
import { SpasModule } from './spas/spas.module.js';
import { ThrottleModule } from './throttle/throttle.module.js';
import { UsersModule } from './users/users.module.js';
import { AccountsModule } from './accounts/accounts.module.js';
import { NoticesModule } from './notices/notices.module.js';
import { SavedSearchesModule } from './saved-searches/saved-searches.module.js';
import { PrivacyModule } from './privacy/privacy.module.js';

@Module({})
export class AppModule {
  /** The whole application for one validated configuration (main.ts and the tests alike). */
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        AppConfigModule.forRoot(config),
        LoggerModule.forRoot(loggerParams(config)),
        DatabaseModule.forRoot(config),
        CommonModule,
        RedisModule,
        AppCacheModule,
        MetricsModule,
        QueueModule,
        MailModule,
        HealthModule.forRoot(config),
        // Global guards run in registration order: the rate limiter, the body's media type,
        // then authentication.
        ThrottleModule.forRoot(config),
        MediaTypeModule,
        AuthModule,
        UsersModule,
        LocationsModule,
        CategoriesModule,
        SpasModule,
        JobsModule,
        ApplicationsModule,
        AdminJobsModule,
        AccountsModule,
        NoticesModule,
        SavedSearchesModule,
        PrivacyModule,
      ],
      providers: [
        { provide: APP_PIPE, useFactory: createValidationPipe },
        { provide: APP_FILTER, useClass: AllExceptionsFilter },
      ],
    };
  }
}

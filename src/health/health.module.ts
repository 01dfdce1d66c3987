import { Module, type DynamicModule } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import type { AppConfig } from '../config/app-config.js';
import { HealthController } from './health.controller.js';
import { HealthIndicators } from './health.indicators.js';

@Module({})
export class HealthModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: HealthModule,
      // Readiness turns 503 as soon as shutdown starts; on SIGTERM the app then waits
      // SHUTDOWN_GRACE_MS so load balancers stop sending traffic before the server closes.
      imports: [
        TerminusModule.forRoot({
          gracefulShutdownTimeoutMs: config.shutdownGraceMs,
          logger: false,
        }),
      ],
      controllers: [HealthController],
      providers: [HealthIndicators],
    };
  }
}

import { Module, type DynamicModule } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import type { AppConfig } from '../config/app-config.js';
import { HealthController } from './health.controller.js';
import { HealthIndicators } from './health.indicators.js';
import { ShutdownState } from './shutdown-state.js';

@Module({})
export class HealthModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: HealthModule,
      // Readiness turns 503 as soon as SIGTERM arrives (ShutdownState, set by main.ts); the app
      // then waits SHUTDOWN_GRACE_MS, still serving, so load balancers stop sending traffic
      // before the server closes.
      imports: [
        TerminusModule.forRoot({
          gracefulShutdownTimeoutMs: config.shutdownGraceMs,
          logger: false,
        }),
      ],
      controllers: [HealthController],
      providers: [HealthIndicators, ShutdownState],
      exports: [ShutdownState],
    };
  }
}

import { Module, type MiddlewareConsumer, type NestModule } from '@nestjs/common';
import { HttpCacheFastPath } from '../cache/http-cache.fast-path.js';
import { HttpMetricsMiddleware } from './http-metrics.middleware.js';
import { MetricsController } from './metrics.controller.js';
import { MetricsService } from './metrics.service.js';

@Module({
  controllers: [MetricsController],
  providers: [MetricsService],
  exports: [MetricsService],
})
export class MetricsModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    // cache hits are answered right after they are timed (and, the logger's middleware being
    // registered before this module's, logged)
    consumer.apply(HttpMetricsMiddleware, HttpCacheFastPath).forRoutes('*path');
  }
}

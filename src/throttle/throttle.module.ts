import { Module, type DynamicModule, type ExecutionContext } from '@nestjs/common';
import { APP_GUARD, Reflector } from '@nestjs/core';
import { hours, minutes, ThrottlerModule } from '@nestjs/throttler';
import type { AppConfig } from '../config/app-config.js';
import { AppThrottlerGuard } from './app-throttler.guard.js';
import { LOGIN_THROTTLE_KEY } from './login-throttle.decorator.js';
import { ResilientThrottlerStorage } from './resilient-throttler.storage.js';

/**
 * The named limits (as many as LIMITS_PER_CLIENT). Only /api routes are limited (see
 * AppThrottlerGuard): probes, metrics, docs never are. The guard makes its own keys and headers.
 */
const THROTTLERS = { minute: 'minute', hour: 'hour', login: 'login' } as const;

@Module({ providers: [ResilientThrottlerStorage], exports: [ResilientThrottlerStorage] })
class ThrottleStorageModule {}

@Module({})
export class ThrottleModule {
  static forRoot(config: AppConfig): DynamicModule {
    const { throttle } = config;
    return {
      module: ThrottleModule,
      imports: [
        ThrottlerModule.forRootAsync({
          imports: [ThrottleStorageModule],
          inject: [ResilientThrottlerStorage, Reflector],
          useFactory: (storage: ResilientThrottlerStorage, reflector: Reflector) => {
            const isLogin = (ctx: ExecutionContext) =>
              reflector.get<boolean>(LOGIN_THROTTLE_KEY, ctx.getHandler()) === true;
            return {
              storage,
              skipIf: () => !throttle.enabled,
              throttlers: [
                { name: THROTTLERS.minute, ttl: minutes(1), limit: throttle.perMinute },
                { name: THROTTLERS.hour, ttl: hours(1), limit: throttle.perHour },
                {
                  name: THROTTLERS.login,
                  ttl: minutes(1),
                  limit: throttle.loginPerMinute,
                  skipIf: (ctx) => !throttle.enabled || !isLogin(ctx),
                },
              ],
            };
          },
        }),
      ],
      // registered before the auth guard (see AppModule), so rejected logins are counted too
      providers: [{ provide: APP_GUARD, useClass: AppThrottlerGuard }],
    };
  }
}

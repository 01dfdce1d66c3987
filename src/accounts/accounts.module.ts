import { Module } from '@nestjs/common';
import { SentNotices } from '../notices/sent-notices.js';
import { ResilientThrottlerStorage } from '../throttle/resilient-throttler.storage.js';
import { UsersModule } from '../users/users.module.js';
import { AccountLimitGuard } from './account-limits.js';
import { AccountMails } from './account-mails.js';
import { AccountTokens } from './account-tokens.js';
import { AccountsController } from './accounts.controller.js';
import { AccountsService } from './accounts.service.js';

/**
 * E-mail verification, password reset and change of e-mail. The rate limits count in a
 * ResilientThrottlerStorage of their own (the same Redis and fallback as the global limiter).
 */
@Module({
  imports: [UsersModule],
  controllers: [AccountsController],
  providers: [
    AccountsService,
    AccountTokens,
    AccountMails,
    AccountLimitGuard,
    SentNotices,
    ResilientThrottlerStorage,
  ],
  exports: [AccountsService],
})
export class AccountsModule {}

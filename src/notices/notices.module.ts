import { Module } from '@nestjs/common';
import { ApplicationReceivedNotice } from './application-received.notice.js';
import { ApplicationStatusNotice } from './application-status.notice.js';
import { ApplicationsDigestNotice } from './applications-digest.notice.js';
import { JobExpiringNotice } from './job-expiring.notice.js';
import { NoticePreferencesController } from './notice-preferences.controller.js';
import { NoticePreferences } from './notice-preferences.js';
import { SentNotices } from './sent-notices.js';
import { UnsubscribeController } from './unsubscribe.controller.js';

/**
 * Mails that tell users what happened (sent from the queue, each once, each kind as its
 * recipient chose), and the routes where they choose.
 */
@Module({
  controllers: [NoticePreferencesController, UnsubscribeController],
  providers: [
    ApplicationReceivedNotice,
    ApplicationStatusNotice,
    ApplicationsDigestNotice,
    JobExpiringNotice,
    NoticePreferences,
    SentNotices,
  ],
  exports: [
    ApplicationReceivedNotice,
    ApplicationStatusNotice,
    ApplicationsDigestNotice,
    JobExpiringNotice,
    NoticePreferences,
  ],
})
export class NoticesModule {}

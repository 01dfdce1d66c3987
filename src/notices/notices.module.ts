import { Module } from '@nestjs/common';
import { ApplicationReceivedNotice } from './application-received.notice.js';
import { SentNotices } from './sent-notices.js';

/** Mails that tell users what happened (sent from the queue, each once). */
@Module({
  providers: [ApplicationReceivedNotice, SentNotices],
  exports: [ApplicationReceivedNotice],
})
export class NoticesModule {}

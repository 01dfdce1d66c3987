import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { JobsModule } from '../jobs/jobs.module.js';
import { SentNotices } from '../notices/sent-notices.js';
import { AlertMailService } from './alert-mail.service.js';
import { AlertScanService } from './alert-scan.service.js';
import { SavedSearch } from './saved-search.entity.js';
import { SavedSearchesController } from './saved-searches.controller.js';
import { SavedSearchesService } from './saved-searches.service.js';

/** Saved searches of job seekers, and the alerts that mail their new matches. */
@Module({
  imports: [TypeOrmModule.forFeature([SavedSearch]), JobsModule],
  controllers: [SavedSearchesController],
  // SentNotices is stateless (the table is the state); NoticesModule does not export it
  providers: [SavedSearchesService, AlertScanService, AlertMailService, SentNotices],
  exports: [SavedSearchesService],
})
export class SavedSearchesModule {}

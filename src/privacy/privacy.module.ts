import { Module } from '@nestjs/common';
import { SentNotices } from '../notices/sent-notices.js';
import { UploadsModule } from '../uploads/uploads.module.js';
import { AccountDeletionService } from './account-deletion.service.js';
import { DataExportsService } from './data-exports.service.js';
import { ExportDocuments } from './export-document.js';
import { ExportReadyNotice } from './export-ready.notice.js';
import { PrivacyController } from './privacy.controller.js';

/** Data rights: the export of everything kept about a person, and the deletion of an account. */
@Module({
  imports: [UploadsModule],
  controllers: [PrivacyController],
  providers: [
    DataExportsService,
    ExportDocuments,
    ExportReadyNotice,
    AccountDeletionService,
    // stateless (its table is the state): NoticesModule does not export it
    SentNotices,
  ],
})
export class PrivacyModule {}

import { Module } from '@nestjs/common';
import { MulterModule } from '@nestjs/platform-express';
import { memoryStorage } from 'multer';
import type { AppConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/config.module.js';
import { UploadsService } from './uploads.service.js';

/**
 * Multipart limits for every FileInterceptor of the importing modules: one file of at most
 * MAX_UPLOAD_MB (a larger one is a 413 while it streams in) and a few small text fields.
 */
const multer = MulterModule.registerAsync({
  inject: [APP_CONFIG],
  useFactory: (config: AppConfig) => ({
    storage: memoryStorage(),
    limits: {
      fileSize: config.uploads.maxBytes,
      files: 1,
      fields: 10,
      fieldSize: 64 * 1024,
      parts: 12,
    },
  }),
});

@Module({
  imports: [multer],
  providers: [UploadsService],
  exports: [UploadsService, multer],
})
export class UploadsModule {}

import { Module } from '@nestjs/common';
import { AdminJobsController } from './admin-jobs.controller.js';
import { AdminJobsService } from './admin-jobs.service.js';

/** Admin routes over the queue's dead letters (the queue itself is global). */
@Module({ controllers: [AdminJobsController], providers: [AdminJobsService] })
export class AdminJobsModule {}

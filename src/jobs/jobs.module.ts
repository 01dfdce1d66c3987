import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { CategoriesModule } from '../categories/categories.module.js';
import { LocationsModule } from '../locations/locations.module.js';
import { SpasModule } from '../spas/spas.module.js';
import { CountViewInterceptor } from './count-view.interceptor.js';
import { JobExpiryService } from './job-expiry.service.js';
import { JobViewsService } from './job-views.service.js';
import { Job } from './job.entity.js';
import { JobsSearchService } from './jobs-search.service.js';
import { JobsController } from './jobs.controller.js';
import { JobsService } from './jobs.service.js';

@Module({
  imports: [TypeOrmModule.forFeature([Job]), SpasModule, CategoriesModule, LocationsModule],
  controllers: [JobsController],
  providers: [
    JobsService,
    JobsSearchService,
    JobViewsService,
    CountViewInterceptor,
    JobExpiryService,
  ],
  exports: [JobsService, JobsSearchService, JobViewsService, JobExpiryService],
})
export class JobsModule {}

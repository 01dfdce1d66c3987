import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { LocationsModule } from '../locations/locations.module.js';
import { UploadsModule } from '../uploads/uploads.module.js';
import { Spa } from './spa.entity.js';
import { SpasController } from './spas.controller.js';
import { SpasService } from './spas.service.js';

@Module({
  imports: [TypeOrmModule.forFeature([Spa]), LocationsModule, UploadsModule],
  controllers: [SpasController],
  providers: [SpasService],
  exports: [SpasService],
})
export class SpasModule {}

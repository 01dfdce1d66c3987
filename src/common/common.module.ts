import { Global, Module } from '@nestjs/common';
import type { AppConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/config.module.js';
import { CursorCodec } from './cursor.js';

@Global()
@Module({
  providers: [
    {
      provide: CursorCodec,
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) => new CursorCodec(`cursor:${config.auth.secretKey}`),
    },
  ],
  exports: [CursorCodec],
})
export class CommonModule {}

import { Logger } from '@nestjs/common';
import type { Logger as TypeOrmLogger } from 'typeorm';

/** Sends TypeORM's errors, warnings and migration notes to the app's (pino) logger. */
export class TypeOrmPinoLogger implements TypeOrmLogger {
  private readonly logger = new Logger('TypeORM');

  logQuery(): void {}

  /** Constraint violations (class 23) are expected outcomes, answered as 4xx: not errors. */
  logQueryError(error: string | Error, query: string): void {
    const code = (error as { code?: unknown }).code;
    const message = error instanceof Error ? error.message : error;
    if (typeof code === 'string' && code.startsWith('23')) this.logger.debug({ code }, message);
    else this.logger.error({ query: query.slice(0, 500) }, message);
  }

  logQuerySlow(time: number, query: string): void {
    this.logger.warn({ query: query.slice(0, 500), ms: time }, 'slow query');
  }

  logSchemaBuild(): void {}

  logMigration(message: string): void {
    this.logger.log(message);
  }

  log(level: 'log' | 'info' | 'warn', message: unknown): void {
    if (level === 'warn') this.logger.warn(String(message));
  }
}

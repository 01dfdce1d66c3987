import { Injectable, Logger } from '@nestjs/common';

/**
 * Whether this instance is draining for a shutdown. main.ts starts the drain the moment SIGTERM
 * arrives (before any shutdown hook runs), so readiness answers 503 at once; Nest's shutdown
 * then waits SHUTDOWN_GRACE_MS (terminus) with the server still serving, closes it, lets
 * in-flight requests finish and writes the buffered views.
 */
@Injectable()
export class ShutdownState {
  private readonly logger = new Logger('Shutdown');
  private startedAt?: number;

  get draining(): boolean {
    return this.startedAt !== undefined;
  }

  /** Milliseconds since the drain started (0 when not draining). */
  get drainingForMs(): number {
    return this.startedAt === undefined ? 0 : Date.now() - this.startedAt;
  }

  begin(reason: string, graceMs: number): void {
    if (this.startedAt !== undefined) return;
    this.startedAt = Date.now();
    this.logger.log(
      `${reason}: readiness answers 503; serving ${graceMs} ms more (every response closes its connection), then closing`,
    );
  }
}

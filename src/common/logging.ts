import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Params } from 'nestjs-pino';
import pino from 'pino';
import type { AppConfig } from '../config/app-config.js';

const QUIET_PATHS = /^\/(health|metrics)(\/|$|\?)/;

/**
 * pino-http through nestjs-pino: one JSON line per request (probes and metrics excluded) with
 * the request id; headers are never logged (they carry tokens). LOG_FILE adds a file copy.
 */
export function loggerParams(config: AppConfig): Params {
  const streams: pino.StreamEntry[] = [{ stream: pino.destination({ fd: 1, sync: false }) }];
  if (config.log.file) {
    streams.push({ stream: pino.destination({ dest: config.log.file, mkdir: true, sync: false }) });
  }
  return {
    pinoHttp: [
      {
        level: config.log.level,
        genReqId: (req: IncomingMessage) => req.id,
        autoLogging: { ignore: (req: IncomingMessage) => QUIET_PATHS.test(req.url ?? '') },
        customLogLevel: (_req: IncomingMessage, res: ServerResponse, err?: Error) =>
          err || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'info',
        // The exception filter already logged the cause; pino-http's own "failed with status" is noise.
        customErrorObject: (
          _req: IncomingMessage,
          _res: ServerResponse,
          _err: Error,
          value: object,
        ) => ({
          ...value,
          err: undefined,
        }),
        serializers: {
          req: (req: { id: string; method: string; url: string }) => ({
            id: req.id,
            method: req.method,
            url: req.url,
          }),
          res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
        },
      },
      pino.multistream(streams),
    ],
  };
}

import type { IncomingMessage, ServerResponse } from 'node:http';
import { Writable } from 'node:stream';
import type { Params } from 'nestjs-pino';
import pino from 'pino';
import pretty from 'pino-pretty';
import type { AppConfig } from '../config/app-config.js';

const QUIET_PATHS = /^\/(health|metrics)(\/|$|\?)/;
/** Nest's boot chatter (one line per module and route, ~80 lines): kept out of the pretty screen below DEBUG. */
const BOOT_CHATTER = /"context":"(InstanceLoader|RoutesResolver|RouterExplorer)"/;

interface PrettyLine {
  msg?: string;
  context?: string;
  req?: { method: string; url: string };
  res?: { statusCode: number };
  responseTime?: number;
}

/**
 * Development's stdout: one short, coloured line per entry (`GET /api/v1/jobs 200 3 ms`), in
 * this process (no worker thread), without Nest's boot chatter unless LOG_LEVEL=DEBUG.
 * Production and tests keep JSON lines.
 */
function prettyStdout(level: string): Writable {
  const out = pretty({
    translateTime: 'SYS:HH:MM:ss',
    ignore: 'pid,hostname,req,res,responseTime,context',
    messageFormat: (log) => {
      const l = log as PrettyLine;
      if (l.req && l.res)
        return `${l.req.method} ${l.req.url} ${l.res.statusCode} ${l.responseTime} ms`;
      return l.context ? `[${l.context}] ${l.msg ?? ''}` : (l.msg ?? '');
    },
  });
  if (level === 'debug' || level === 'trace') return out;
  return new Writable({
    write(chunk: Buffer, _encoding, done) {
      if (!BOOT_CHATTER.test(chunk.toString())) out.write(chunk);
      done();
    },
  });
}

/**
 * pino-http through nestjs-pino: one line per request (JSON, or pretty in development) (probes and metrics excluded) with
 * the request id; headers are never logged (they carry tokens). LOG_FILE adds a file copy.
 */
export function loggerParams(config: AppConfig): Params {
  const stdout =
    config.env === 'development'
      ? prettyStdout(config.log.level)
      : pino.destination({ fd: 1, sync: false });
  const streams: pino.StreamEntry[] = [{ stream: stdout }];
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

import type { IncomingMessage, ServerResponse } from 'node:http';
import { Writable } from 'node:stream';
import { PinoLogger, type Params } from 'nestjs-pino';
import pino from 'pino';
import pretty from 'pino-pretty';
import type { AppConfig } from '../config/app-config.js';
import { LineDestination } from './line-destination.js';

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
    config.env === 'development' ? prettyStdout(config.log.level) : new LineDestination(1);
  const streams: pino.StreamEntry[] = [{ stream: stdout }];
  if (config.log.file) streams.push({ stream: LineDestination.file(config.log.file) });
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
        // the raw request and response (not pino's copies of them, headers included): cheaper
        wrapSerializers: false,
        serializers: {
          req: (req: IncomingMessage & { id: string; originalUrl?: string }) => ({
            id: req.id,
            method: req.method,
            url: req.originalUrl || req.url,
          }),
          res: (res: ServerResponse) => ({ statusCode: res.statusCode }),
        },
      },
      pino.multistream(streams),
    ],
  };
}

const { chindingsSym, endSym, lsCacheSym, needsMetadataGsym, streamSym, timeSym } = pino.symbols;
const INFO = 30;

/** pino's destination, as pino writes to it (pino.multistream asks for the level by a symbol). */
interface LineStream extends Record<symbol, unknown> {
  write(line: string): void;
  lastLevel?: number;
}

/**
 * The request logger's line for a request answered before it ran (a cache hit in front of
 * Express): pino-http's fields, in its order, through the same root logger's stream. Assembled
 * from pino's own prefix, time and bindings rather than by `info()`, whose serializer pass
 * and stable stringify were a fifth of what a hit allocated.
 */
export function logRequest(req: IncomingMessage, res: ServerResponse, ms: number): void {
  const root = PinoLogger.root as pino.Logger | undefined;
  if (!root?.isLevelEnabled('info')) return;
  const part = root as unknown as Record<symbol, unknown>;
  const stream = part[streamSym] as LineStream;
  // pino.multistream routes a line by the level pino last wrote
  if (stream[needsMetadataGsym]) stream.lastLevel = INFO;
  const request = JSON.stringify({ id: req.id, method: req.method, url: req.url });
  stream.write(
    `${(part[lsCacheSym] as Record<number, string>)[INFO]}${(part[timeSym] as () => string)()}` +
      `${part[chindingsSym] as string},"req":${request},"res":{"statusCode":${res.statusCode}},` +
      `"responseTime":${Math.round(ms)},"msg":"request completed"${part[endSym] as string}`,
  );
}

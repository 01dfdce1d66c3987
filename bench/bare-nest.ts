import 'reflect-metadata';
import { readFileSync } from 'node:fs';
import { Controller, Get, Module, Res } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { Response } from 'express';

/**
 * The bench's floor for a Nest app: NestJS on Express, no middleware, guard or interceptor,
 * answering every GET with the precomputed bytes of BENCH_BODY_FILE (what spajobs sends for a
 * cached job list), with the same Content-Type and Content-Encoding.
 */
const body = readFileSync(process.env.BENCH_BODY_FILE!);
const encoding = process.env.BENCH_BODY_ENCODING;

@Controller()
class BareController {
  @Get('*path')
  get(@Res() res: Response): void {
    res.setHeader('Content-Type', 'application/json; charset=utf-8');
    if (encoding) res.setHeader('Content-Encoding', encoding);
    res.send(body);
  }
}

@Module({ controllers: [BareController] })
class BareModule {}

const app = await NestFactory.create<NestExpressApplication>(BareModule, { logger: false });
app.set('etag', false);
await app.listen(Number(process.env.PORT), '127.0.0.1');

import { gunzipSync } from 'node:zlib';
import { Body, Controller, Delete, Get, HttpCode, Query, Req } from '@nestjs/common';
import type { Request } from 'express';
import {
  ApiAcceptedResponse,
  ApiBearerAuth,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import type { AuthUser } from '../common/auth-user.js';
import { CurrentUser } from '../common/auth.decorators.js';
import { AppError } from '../common/error-codes.js';
import { ApiErrors } from '../openapi/openapi.js';
import { AccountDeletionService } from './account-deletion.service.js';
import {
  DataExportsService,
  EXPORT_RETRY_AFTER_SECONDS,
  type ExportAnswer,
} from './data-exports.service.js';
import {
  DataExportDocumentDto,
  DataExportPendingDto,
  DeleteAccountDto,
  ExportQueryDto,
} from './dto/privacy.dto.js';

const JSON_TYPE = 'application/json; charset=utf-8';
/** The answer depends on the caller and holds their data: no cache anywhere may keep it. */
const PRIVATE = 'private, no-store';

/**
 * Data rights on the caller's own account, beside UsersController on the same prefix: a copy of
 * everything kept about them, and the deletion of their account.
 */
@ApiTags('users')
@ApiBearerAuth()
@Controller('users/me')
export class PrivacyController {
  constructor(
    private readonly exports: DataExportsService,
    private readonly deletion: AccountDeletionService,
  ) {}

  @Get('export')
  @ApiOperation({
    operationId: 'exportMyData',
    summary: 'A copy of everything kept about the caller, resumes included (prepared by the queue)',
    description:
      'The first call records the request and queues its preparation: 202 with `Retry-After`. ' +
      'Later calls answer 202 while it is prepared, then 200 with the JSON document as an ' +
      'attachment, for DATA_EXPORT_TTL_HOURS (72) after it was prepared; a mail says when it is ' +
      'ready. Then it is deleted, and the next call prepares a new one. One export is prepared ' +
      'at a time per account, and at most DATA_EXPORT_DAILY_LIMIT (3) in any 24 hours ' +
      '(`refresh=true` asks for a new one while one is ready): past it, 429 EXPORT_LIMIT_REACHED.',
  })
  @ApiOkResponse({
    type: DataExportDocumentDto,
    description: 'The export document (gzip-encoded when the client accepts it)',
    headers: {
      'Content-Disposition': {
        description: 'attachment; filename="spajobs-export-<id>.json"',
        schema: { type: 'string' },
      },
    },
  })
  @ApiAcceptedResponse({
    type: DataExportPendingDto,
    description: 'Being prepared: ask again after Retry-After seconds',
    headers: {
      'Retry-After': { description: 'Seconds to wait', schema: { type: 'integer', minimum: 1 } },
    },
  })
  @ApiErrors('RATE_LIMITED', 'EXPORT_LIMIT_REACHED')
  async export(
    @CurrentUser() user: AuthUser,
    @Query() query: ExportQueryDto,
    @Req() req: Request,
  ): Promise<Response> {
    const answer = await this.exports.request(user, query.refresh ?? false);
    return toResponse(answer, req);
  }

  @Delete()
  @HttpCode(204)
  @ApiOperation({
    operationId: 'deleteMe',
    summary: 'Delete the caller’s account and personal data (needs the current password)',
    description:
      'Anonymises the account (its e-mail can register again), revokes every token at once, ' +
      'deletes resumes and every personal row, keeps applications for the employers without ' +
      'cover letter or resume, and deletes every export. An employer’s spas are deactivated, ' +
      'their jobs closed and their images deleted. The only active admin is refused (409 LAST_ADMIN).',
  })
  @ApiNoContentResponse({ description: 'Deleted; every token of the account is now refused' })
  @ApiErrors('VALIDATION_FAILED', 'INVALID_CURRENT_PASSWORD', 'LAST_ADMIN')
  async remove(@CurrentUser() user: AuthUser, @Body() dto: DeleteAccountDto): Promise<void> {
    await this.deletion.delete(user, dto.currentPassword);
  }
}

function toResponse(answer: ExportAnswer, req: Request): Response {
  switch (answer.kind) {
    case 'limited':
      req.res!.setHeader('Retry-After', String(answer.retryAfterSeconds));
      throw new AppError(
        'EXPORT_LIMIT_REACHED',
        `At most ${answer.limit} data exports are prepared per account in 24 hours (DATA_EXPORT_DAILY_LIMIT); retry in ${answer.retryAfterSeconds} s`,
      );
    case 'pending': {
      const body: DataExportPendingDto = {
        status: 'pending',
        exportId: answer.export.id,
        requestedAt: answer.export.requestedAt,
        retryAfterSeconds: EXPORT_RETRY_AFTER_SECONDS,
      };
      return new Response(JSON.stringify(body), {
        status: 202,
        headers: {
          'Content-Type': JSON_TYPE,
          'Cache-Control': PRIVATE,
          'Retry-After': String(EXPORT_RETRY_AFTER_SECONDS),
        },
      });
    }
    case 'ready': {
      // stored gzipped: sent as it is (the compression middleware leaves an encoded body alone)
      const gzip = req.acceptsEncodings('gzip') === 'gzip';
      const body = gzip ? answer.document : gunzipSync(answer.document);
      return new Response(new Uint8Array(body), {
        status: 200,
        headers: {
          'Content-Type': JSON_TYPE,
          'Content-Length': String(body.length),
          ...(gzip ? { 'Content-Encoding': 'gzip' } : {}),
          'Content-Disposition': `attachment; filename="spajobs-export-${answer.export.id}.json"`,
          'Cache-Control': PRIVATE,
          Vary: 'Accept-Encoding',
        },
      });
    }
  }
}

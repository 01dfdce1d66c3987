import { Controller, Get, HttpCode, Post, Query, StreamableFile } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import { Public } from '../common/auth.decorators.js';
import { escapeHtml } from '../mail/mail-text.js';
import { ApiBodyContents, ApiErrors } from '../openapi/openapi.js';
import {
  OneClickUnsubscribeDto,
  UnsubscribedDto,
  UnsubscribeQueryDto,
} from './dto/notice-preferences.dto.js';
import { NoticePreferences, type NoticeKind } from './notice-preferences.js';

const WHAT: Record<NoticeKind, string> = {
  applications: 'mails about new applications to your jobs (one each, or the daily digest)',
  statusChanges: 'mails about status changes of your applications',
  withdrawals: 'confirmations of your withdrawals',
  jobExpiring: 'warnings that your jobs are about to expire',
};

/**
 * The links in mails that turn a kind of mail off without a login (RFC 8058). A mail client's
 * one-click POST turns it off; a GET (a person clicking, or a link scanner prefetching) only
 * shows a page whose button sends that POST, so a scanner never unsubscribes anybody.
 */
@ApiTags('users')
@Controller('notifications/unsubscribe')
export class UnsubscribeController {
  constructor(private readonly preferences: NoticePreferences) {}

  @Post()
  @Public()
  @HttpCode(200)
  @ApiBodyContents(
    { 'application/x-www-form-urlencoded': OneClickUnsubscribeDto },
    { required: false, description: 'RFC 8058: `List-Unsubscribe=One-Click` (not required)' },
  )
  @ApiOperation({
    operationId: 'unsubscribe',
    summary: 'One-click unsubscribe (RFC 8058): turns the link’s kind of mail off, no login',
  })
  @ApiOkResponse({ type: UnsubscribedDto })
  @ApiErrors('UNSUBSCRIBE_TOKEN_INVALID')
  async unsubscribe(@Query() query: UnsubscribeQueryDto): Promise<UnsubscribedDto> {
    const { u, k } = this.preferences.readUnsubscribeToken(query.token);
    await this.preferences.turnOff(u, k);
    return { kind: k, message: `You will no longer receive ${WHAT[k]}.` };
  }

  @Get()
  @Public()
  @ApiProduces('text/html')
  @ApiOperation({
    operationId: 'unsubscribePage',
    summary:
      'The page a person clicking the link sees: it changes nothing until its button is pressed',
  })
  @ApiOkResponse({
    description: 'An HTML page with a button that POSTs to the same URL',
    content: { 'text/html': { schema: { type: 'string' } } },
  })
  @ApiErrors('UNSUBSCRIBE_TOKEN_INVALID')
  page(@Query() query: UnsubscribeQueryDto): StreamableFile {
    const { k } = this.preferences.readUnsubscribeToken(query.token);
    const action = `?token=${encodeURIComponent(query.token)}`;
    const html = [
      '<!doctype html>',
      '<html lang="en"><head><meta charset="utf-8"><meta name="robots" content="noindex">',
      '<title>Unsubscribe — spajobs</title></head><body>',
      `<p>Stop receiving ${escapeHtml(WHAT[k])}?</p>`,
      `<form method="post" action="${escapeHtml(action)}">`,
      '<input type="hidden" name="List-Unsubscribe" value="One-Click">',
      '<button type="submit">Unsubscribe</button>',
      '</form>',
      '<p>You can turn each kind of mail on again in your account (notifications).</p>',
      '</body></html>',
    ].join('\n');
    // its type set here, not by @Header: an error (a bad token) must still be sent as JSON
    return new StreamableFile(Buffer.from(html), { type: 'text/html; charset=utf-8' });
  }
}

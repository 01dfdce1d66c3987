import { Body, Controller, Get, Patch } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { AuthUser } from '../common/auth-user.js';
import { CurrentUser } from '../common/auth.decorators.js';
import { NoticePreferencesDto, UpdateNoticePreferencesDto } from './dto/notice-preferences.dto.js';
import { NoticePreferences } from './notice-preferences.js';

/** The caller's own choices of mail (every role; each user only ever sees their own). */
@ApiTags('users')
@ApiBearerAuth()
@Controller('users/me/notifications')
export class NoticePreferencesController {
  constructor(private readonly preferences: NoticePreferences) {}

  @Get()
  @ApiOperation({
    operationId: 'getMyNotifications',
    summary: 'Which mails the caller receives (default: all, new applications one mail each)',
  })
  @ApiOkResponse({ type: NoticePreferencesDto })
  get(@CurrentUser() user: AuthUser): Promise<NoticePreferencesDto> {
    return this.preferences.get(user.id);
  }

  @Patch()
  @ApiOperation({
    operationId: 'updateMyNotifications',
    summary: 'Turn kinds of mail on or off; new applications: instant, daily digest or off',
  })
  @ApiOkResponse({ type: NoticePreferencesDto })
  update(
    @CurrentUser() user: AuthUser,
    @Body() dto: UpdateNoticePreferencesDto,
  ): Promise<NoticePreferencesDto> {
    return this.preferences.update(user.id, dto);
  }
}

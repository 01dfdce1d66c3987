import { Body, Controller, Get, HttpCode, Post, Query } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBearerAuth,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import type { AuthUser } from '../common/auth-user.js';
import { CurrentUser, Public } from '../common/auth.decorators.js';
import { ApiErrors } from '../openapi/openapi.js';
import { AccountLimit } from './account-limits.js';
import { AccountsService } from './accounts.service.js';
import {
  EmailChangeDto,
  EmailVerifiedDto,
  MailQueuedDto,
  PasswordResetDto,
  PasswordResetRequestDto,
  AccountTokenDto,
} from './dto/accounts.dto.js';

const TOKEN_ERRORS = [
  'ACCOUNT_TOKEN_INVALID',
  'ACCOUNT_TOKEN_EXPIRED',
  'ACCOUNT_TOKEN_USED',
] as const;

/** Accounts people can recover: e-mail verification, password reset, change of e-mail. */
@Controller()
export class AccountsController {
  constructor(private readonly accounts: AccountsService) {}

  @Post('auth/verify-email/request')
  @HttpCode(202)
  @AccountLimit('verify-email-request')
  @ApiTags('auth')
  @ApiBearerAuth()
  @ApiOperation({
    operationId: 'requestEmailVerification',
    summary:
      'Mail the caller a new verification link (24 h; earlier links stop working). 3 per account and hour',
  })
  @ApiErrors('EMAIL_ALREADY_VERIFIED')
  @ApiAcceptedResponse({ type: MailQueuedDto })
  requestVerification(@CurrentUser() user: AuthUser): Promise<MailQueuedDto> {
    return this.accounts.requestVerification(user);
  }

  @Post('auth/verify-email')
  @HttpCode(200)
  @Public()
  @AccountLimit('verify-email')
  @ApiTags('auth')
  @ApiOperation({
    operationId: 'verifyEmail',
    summary:
      'Use a verification link’s token: verifies the address, or makes a requested new address the account’s (once)',
  })
  @ApiErrors(...TOKEN_ERRORS, 'EMAIL_TAKEN')
  @ApiOkResponse({ type: EmailVerifiedDto })
  verify(@Body() dto: AccountTokenDto): Promise<EmailVerifiedDto> {
    return this.accounts.verifyEmail(dto.token);
  }

  @Get('auth/verify-email')
  @Public()
  @AccountLimit('verify-email')
  @ApiTags('auth')
  @ApiOperation({
    operationId: 'verifyEmailLink',
    summary:
      'The link mailed for verification, as clicked: does what POST /auth/verify-email does (once)',
  })
  @ApiErrors(...TOKEN_ERRORS, 'EMAIL_TAKEN')
  @ApiOkResponse({ type: EmailVerifiedDto })
  verifyLink(@Query() query: AccountTokenDto): Promise<EmailVerifiedDto> {
    return this.accounts.verifyEmail(query.token);
  }

  @Post('auth/password-reset/request')
  @HttpCode(202)
  @Public()
  @AccountLimit('password-reset-request')
  @ApiTags('auth')
  @ApiOperation({
    operationId: 'requestPasswordReset',
    summary:
      'Mail a password reset link (1 h) if an account has this address; the same answer either way',
  })
  @ApiAcceptedResponse({ type: MailQueuedDto })
  requestPasswordReset(@Body() dto: PasswordResetRequestDto): Promise<MailQueuedDto> {
    return this.accounts.requestPasswordReset(dto.email);
  }

  @Post('auth/password-reset')
  @HttpCode(204)
  @Public()
  @AccountLimit('password-reset')
  @ApiTags('auth')
  @ApiOperation({
    operationId: 'resetPassword',
    summary:
      'Set a new password with a reset link’s token (once): every earlier link and every session end',
  })
  @ApiErrors(...TOKEN_ERRORS, 'WEAK_PASSWORD')
  @ApiNoContentResponse({ description: 'The password is changed; log in with it' })
  resetPassword(@Body() dto: PasswordResetDto): Promise<void> {
    return this.accounts.resetPassword(dto);
  }

  @Post('users/me/email')
  @HttpCode(202)
  @AccountLimit('email-change')
  @ApiTags('users')
  @ApiBearerAuth()
  @ApiOperation({
    operationId: 'requestEmailChange',
    summary:
      'Ask to change the caller’s e-mail (current password needed): effective once the link mailed to the new address is used',
  })
  @ApiErrors('INVALID_CURRENT_PASSWORD', 'EMAIL_UNCHANGED', 'EMAIL_TAKEN')
  @ApiAcceptedResponse({ type: MailQueuedDto })
  requestEmailChange(
    @CurrentUser() user: AuthUser,
    @Body() dto: EmailChangeDto,
  ): Promise<MailQueuedDto> {
    return this.accounts.requestEmailChange(user, dto);
  }
}

import { ApiProperty } from '@nestjs/swagger';
import { BoolField, EnumField, TextField } from '../../common/fields.js';
import {
  APPLICATION_MODES,
  NOTICE_KINDS,
  type ApplicationMode,
  type NoticeKind,
} from '../notice-preferences.js';

const APPLICATIONS =
  'New applications to the caller’s spas’ jobs: instant (one mail each), daily (one digest a day) or off';
const STATUS_CHANGES = 'A mail when an application of the caller’s changes status';
const WITHDRAWALS = 'A confirmation when the caller withdraws an application';
const JOB_EXPIRING = 'A warning three days before a job of the caller’s spas expires';

export class NoticePreferencesDto {
  @ApiProperty({ enum: APPLICATION_MODES, description: APPLICATIONS })
  applications: ApplicationMode;
  @ApiProperty({ description: STATUS_CHANGES }) statusChanges: boolean;
  @ApiProperty({ description: WITHDRAWALS }) withdrawals: boolean;
  @ApiProperty({ description: JOB_EXPIRING }) jobExpiring: boolean;
}

export class UpdateNoticePreferencesDto {
  @EnumField(APPLICATION_MODES, { optional: true, description: APPLICATIONS })
  applications?: ApplicationMode;
  @BoolField({ optional: true, description: STATUS_CHANGES }) statusChanges?: boolean;
  @BoolField({ optional: true, description: WITHDRAWALS }) withdrawals?: boolean;
  @BoolField({ optional: true, description: JOB_EXPIRING }) jobExpiring?: boolean;
}

export class UnsubscribeQueryDto {
  @TextField({
    max: 2048,
    description: 'The signed token of the link in the mail',
    example: 'eyJ1Ijo0MiwiayI6ImFwcGxpY2F0aW9ucyJ9.2cHkZ0f1…',
  })
  token: string;
}

/** The RFC 8058 one-click body that mail clients POST (form-encoded). */
export class OneClickUnsubscribeDto {
  @ApiProperty({ name: 'List-Unsubscribe', enum: ['One-Click'], required: false })
  'List-Unsubscribe'?: string;
}

export class UnsubscribedDto {
  @ApiProperty({ enum: NOTICE_KINDS, description: 'The kind of mail now turned off' })
  kind: NoticeKind;
  @ApiProperty({ example: 'You will no longer receive these mails.' }) message: string;
}

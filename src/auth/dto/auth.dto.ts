import { ApiProperty } from '@nestjs/swagger';
import { EnumField } from '../../common/fields.js';
import { UserDto } from '../../users/dto/user.dto.js';
import {
  CurrentPasswordField,
  EmailField,
  FullNameField,
  PasswordField,
  PhoneField,
} from '../../users/dto/user-input.dto.js';

/** Roles anyone may pick at sign-up; admins are made by admins. */
export const SELF_SERVICE_ROLES = ['job_seeker', 'employer'] as const;

export class RegisterDto {
  @EmailField() email: string;
  @PasswordField() password: string;
  @FullNameField() fullName: string;
  @PhoneField() phone?: string;
  @EnumField(SELF_SERVICE_ROLES, { optional: true, description: 'Default job_seeker' })
  role?: (typeof SELF_SERVICE_ROLES)[number];
}

export class LoginDto {
  @EmailField() email: string;
  @CurrentPasswordField() password: string;
}

/** What register and login both answer: the account and a bearer token for it. */
export class TokenDto {
  @ApiProperty({ type: UserDto }) user: UserDto;
  @ApiProperty() accessToken: string;
  @ApiProperty({ enum: ['Bearer'], example: 'Bearer' }) tokenType: 'Bearer';
  @ApiProperty({ description: 'Seconds until the token expires', example: 1800 }) expiresIn: number;
}

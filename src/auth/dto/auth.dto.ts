import { ApiProperty } from '@nestjs/swagger';
import { EnumField, TextField } from '../../common/fields.js';
import { UserDto } from '../../users/dto/user.dto.js';
import {
  EmailField,
  FullNameField,
  PASSWORD_MAX,
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
  @TextField({ min: 1, max: PASSWORD_MAX }) password: string;
}

export class TokenDto {
  @ApiProperty() accessToken: string;
  @ApiProperty({ example: 'Bearer' }) tokenType: 'Bearer';
  @ApiProperty({ description: 'Seconds until the token expires', example: 1800 }) expiresIn: number;
}

export class RegisteredDto extends TokenDto {
  @ApiProperty({ type: UserDto }) user: UserDto;
}

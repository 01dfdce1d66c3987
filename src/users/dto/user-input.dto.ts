import { applyDecorators } from '@nestjs/common';
import { ApiProperty } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsEmail, IsString, MaxLength } from 'class-validator';
import { BoolField, EnumField, TextField } from '../../common/fields.js';
import { PageQueryDto } from '../../common/page.js';
import { USER_ROLES, type UserRole } from '../user.entity.js';

export const PASSWORD_MIN = 8;
export const PASSWORD_MAX = 128;
const PHONE = /^\+?[0-9][0-9 ().-]{5,30}$/;

/** Emails are compared case-insensitively; they are stored trimmed and lower-cased. */
export const EmailField = () =>
  applyDecorators(
    Transform(({ value }: { value: unknown }) =>
      typeof value === 'string' ? value.trim().toLowerCase() : value,
    ),
    IsString(),
    MaxLength(254),
    IsEmail({}, { message: 'email must be a valid email address' }),
    ApiProperty({ example: 'ana@example.com', maxLength: 254 }),
  );

/** Taken exactly as sent (spaces included): a trimmed password would not be the one the user chose. */
export const PasswordField = (optional = false) =>
  TextField({
    min: PASSWORD_MIN,
    max: PASSWORD_MAX,
    optional,
    trim: false,
    description: `${PASSWORD_MIN}-${PASSWORD_MAX} characters, not a common or easily guessed one (400 WEAK_PASSWORD says why)`,
    example: 'correct horse battery staple',
  });

/** A password to check against the stored one: as sent, any length the stored one could have. */
export const CurrentPasswordField = (optional = false) =>
  TextField({ min: 1, max: PASSWORD_MAX, optional, trim: false, example: 'my current passphrase' });

export const FullNameField = (optional = false) =>
  TextField({ min: 1, max: 120, optional, example: 'Ana Lima' });

export const PhoneField = () =>
  TextField({
    optional: true,
    max: 32,
    pattern: PHONE,
    patternMessage: 'phone must be a phone number such as +1 415 555 0100',
    example: '+1 415 555 0100',
  });

export class UpdateMeDto {
  @FullNameField(true) fullName?: string;
  @PhoneField() phone?: string;

  /** Changing the password needs the current one and signs out every other session. */
  @PasswordField(true) password?: string;
  @CurrentPasswordField(true) currentPassword?: string;
}

export class AdminUpdateUserDto {
  @EnumField(USER_ROLES, { optional: true }) role?: UserRole;
  @BoolField({ optional: true }) isActive?: boolean;
}

export class ListUsersQueryDto extends PageQueryDto {
  @EnumField(USER_ROLES, { optional: true }) role?: UserRole;
  @BoolField({ optional: true }) isActive?: boolean;
  @TextField({ optional: true, max: 254, description: 'E-mail prefix' }) q?: string;
}

import { ApiProperty } from '@nestjs/swagger';
import { TextField } from '../../common/fields.js';
import { CurrentPasswordField, EmailField, PasswordField } from '../../users/dto/user-input.dto.js';

/** The secret of an e-mail link: 32 random bytes in base64url (43 characters). */
const TokenField = () =>
  TextField({
    min: 1,
    max: 128,
    trim: false,
    pattern: /^[A-Za-z0-9_-]+$/,
    patternMessage: 'token must be the token of an e-mail link (letters, digits, - and _)',
    description: 'The token of the link mailed to you',
    example: 'q4dXq2vZ8o3lF0pWm6kTbH1s9yR5cNaJ7eUiGxLhBzA',
  });

export class AccountTokenDto {
  @TokenField() token: string;
}

export class PasswordResetRequestDto {
  @EmailField() email: string;
}

export class PasswordResetDto {
  @TokenField() token: string;
  @PasswordField() password: string;
}

export class EmailChangeDto {
  @EmailField() email: string;
  @CurrentPasswordField() currentPassword: string;
}

/** What a route that mails a link answers: only that the mail is on its way (202). */
export class MailQueuedDto {
  @ApiProperty({ example: 'If an account has this address, a link is on its way to it' })
  message: string;
}

export class EmailVerifiedDto {
  @ApiProperty({ example: 'ana@example.com', description: 'The address now verified' })
  email: string;
  @ApiProperty({ enum: [true] }) emailVerified: true;
}

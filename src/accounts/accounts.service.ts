import { setTimeout as sleep } from 'node:timers/promises';
import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import type { AuthUser } from '../common/auth-user.js';
import { AppError } from '../common/error-codes.js';
import { verifyPassword } from '../users/password.js';
import { UsersService } from '../users/users.service.js';
import { AccountMails } from './account-mails.js';
import { AccountTokens } from './account-tokens.js';
import type {
  EmailChangeDto,
  EmailVerifiedDto,
  MailQueuedDto,
  PasswordResetDto,
} from './dto/accounts.dto.js';

/**
 * A reset request answers no sooner than this, whether the address has an account or not: the
 * known address's transaction (a few milliseconds) hides under it, so timing tells nothing.
 */
const RESET_REQUEST_FLOOR_MS = 250;

const RESET_QUEUED: MailQueuedDto = {
  message: 'If an account has this address, a reset link is on its way to it',
};

/** E-mail verification, password reset and change of e-mail, over single-use mailed tokens. */
@Injectable()
export class AccountsService {
  constructor(
    private readonly users: UsersService,
    private readonly tokens: AccountTokens,
    private readonly mails: AccountMails,
    private readonly dataSource: DataSource,
  ) {}

  /** At registration, in its transaction: the verification mail goes out only if it commits. */
  async startVerification(manager: EntityManager, userId: number): Promise<void> {
    await this.mails.sendToken(manager, await this.tokens.issue(manager, userId, 'verify_email'));
  }

  /** A new verification link for the signed-in caller (the earlier ones stop working). */
  async requestVerification(actor: AuthUser): Promise<MailQueuedDto> {
    const user = await this.users.findAccount({ id: actor.id });
    if (!user) throw new AppError('USER_NOT_FOUND', `User ${actor.id} not found`);
    if (user.emailVerifiedAt) {
      throw new AppError('EMAIL_ALREADY_VERIFIED', 'Your e-mail address is already verified');
    }
    await this.dataSource.transaction((m) => this.startVerification(m, user.id));
    return { message: `A verification link is on its way to ${user.email}` };
  }

  /**
   * Uses a verification link: the address is verified, or, for a change of address, the new
   * address replaces the old one (409 EMAIL_TAKEN if another account took it meanwhile, and
   * the link stays usable). A change also ends every other open link of the account: they
   * were mailed to the old address.
   */
  async verifyEmail(token: string): Promise<EmailVerifiedDto> {
    return this.dataSource.transaction(async (m) => {
      const used = await this.tokens.consume(m, token, ['verify_email', 'change_email']);
      if (used.purpose === 'change_email') {
        await this.users.changeEmail(m, used.userId, used.newEmail!);
        await this.tokens.revoke(m, used.userId);
      } else {
        await this.users.markEmailVerified(m, used.userId);
      }
      const user = await this.users.findAccount({ id: used.userId }, m);
      return { email: user!.email, emailVerified: true };
    });
  }

  /**
   * The same answer, after about the same time, for every address; a link only to an active
   * account. A new link revokes the earlier ones.
   */
  async requestPasswordReset(email: string): Promise<MailQueuedDto> {
    const done = sleep(RESET_REQUEST_FLOOR_MS);
    try {
      const user = await this.users.findAccount({ email });
      if (user?.isActive) {
        await this.dataSource.transaction(async (m) =>
          this.mails.sendToken(m, await this.tokens.issue(m, user.id, 'password_reset')),
        );
      }
      return RESET_QUEUED;
    } finally {
      await done;
    }
  }

  /**
   * Sets the new password (registration's rules) from a reset link: every earlier reset link
   * and every session of the account end. A refused password leaves the link usable.
   */
  async resetPassword(dto: PasswordResetDto): Promise<void> {
    await this.dataSource.transaction(async (m) => {
      const used = await this.tokens.consume(m, dto.token, ['password_reset']);
      const user = await this.users.findAccount({ id: used.userId }, m);
      await this.users.resetPassword(m, user!, dto.password);
      await this.tokens.revoke(m, used.userId, ['password_reset']);
    });
  }

  /**
   * A change of address, asked for with the current password: the new address gets a link,
   * the current one a notice; nothing changes until the link is used.
   */
  async requestEmailChange(actor: AuthUser, dto: EmailChangeDto): Promise<MailQueuedDto> {
    const user = await this.users.findAccount({ id: actor.id });
    if (!user) throw new AppError('USER_NOT_FOUND', `User ${actor.id} not found`);
    if (!(await verifyPassword(user.passwordHash, dto.currentPassword))) {
      throw new AppError('INVALID_CURRENT_PASSWORD', 'currentPassword is wrong');
    }
    if (dto.email === user.email.toLowerCase()) {
      throw new AppError('EMAIL_UNCHANGED', `email: ${dto.email} is already your address`);
    }
    if (await this.users.findAccount({ email: dto.email })) {
      throw new AppError('EMAIL_TAKEN', 'An account with this email already exists');
    }
    await this.dataSource.transaction(async (m) => {
      const issued = await this.tokens.issue(m, user.id, 'change_email', dto.email);
      await this.mails.sendToken(m, issued);
      await this.mails.sendEmailChangeNotice(m, issued.id, user.email);
    });
    return {
      message: `A confirmation link is on its way to ${dto.email}; your address changes once it is used`,
    };
  }
}

import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import type { AppConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/config.module.js';
import { DEFAULT_SECRET_KEY } from '../config/env.schema.js';
import { AccountsService } from '../accounts/accounts.service.js';
import { AppError } from '../common/error-codes.js';
import { UserDto } from '../users/dto/user.dto.js';
import { hashPassword, verifyPassword } from '../users/password.js';
import type { User } from '../users/user.entity.js';
import { UsersService } from '../users/users.service.js';
import type { TokenPayload } from './auth.guard.js';
import type { LoginDto, RegisterDto, TokenDto } from './dto/auth.dto.js';

const BAD_CREDENTIALS = 'Invalid email or password';

@Injectable()
export class AuthService implements OnApplicationBootstrap {
  private readonly logger = new Logger('Auth');
  /** Verified when the e-mail is unknown, so both failures cost the same time. */
  private readonly decoyHash = hashPassword('decoy-password-for-timing');

  constructor(
    private readonly users: UsersService,
    private readonly jwt: JwtService,
    private readonly accounts: AccountsService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** Production refuses the default (see env.schema.ts); elsewhere it is allowed, but never silently. */
  onApplicationBootstrap(): void {
    if (this.config.auth.secretKey === DEFAULT_SECRET_KEY) {
      this.logger.warn(
        'SECRET_KEY is unset: tokens and cursors are signed with the public development default, ' +
          'so anyone can forge them. Set SECRET_KEY (see .env.example) before exposing this server.',
      );
    }
  }

  /** The account starts unverified; its verification mail is enqueued in the insert's transaction. */
  async register(dto: RegisterDto): Promise<TokenDto> {
    const user = await this.users.create({ ...dto, role: dto.role ?? 'job_seeker' }, (m, u) =>
      this.accounts.startVerification(m, u.id),
    );
    return this.issue(user, 0);
  }

  /** One answer for an unknown e-mail and a wrong password; a disabled account is told only with the right password. */
  async login(dto: LoginDto): Promise<TokenDto> {
    const user = await this.users.findForLogin(dto.email);
    const ok = await verifyPassword(user?.passwordHash ?? (await this.decoyHash), dto.password);
    if (!user || !ok) throw new AppError('INVALID_CREDENTIALS', BAD_CREDENTIALS);
    if (!user.isActive) {
      throw new AppError('ACCOUNT_DISABLED', 'This account is deactivated');
    }
    await this.users.recordLogin(user.id);
    return this.issue(user, user.tokenVersion);
  }

  private async issue(user: User, tokenVersion: number): Promise<TokenDto> {
    const expiresIn = this.config.auth.accessTokenMinutes * 60;
    const payload: TokenPayload = { sub: String(user.id), tv: tokenVersion };
    return {
      user: UserDto.from(user),
      accessToken: await this.jwt.signAsync(payload, { expiresIn }),
      tokenType: 'Bearer',
      expiresIn,
    };
  }
}

import { Inject, Injectable } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import type { AppConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/config.module.js';
import { UserDto } from '../users/dto/user.dto.js';
import { UsersService } from '../users/users.service.js';
import type { TokenPayload } from './auth.guard.js';
import type { LoginDto, RegisteredDto, RegisterDto, TokenDto } from './dto/auth.dto.js';
import { hashPassword, verifyPassword } from './password.js';
import { AppError } from '../common/error-codes.js';

const BAD_CREDENTIALS = 'Invalid email or password';

@Injectable()
export class AuthService {
  /** Verified when the e-mail is unknown, so both failures cost the same time. */
  private readonly decoyHash = hashPassword('decoy-password-for-timing');

  constructor(
    private readonly users: UsersService,
    private readonly jwt: JwtService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async register(dto: RegisterDto): Promise<RegisteredDto> {
    const user = await this.users.create({ ...dto, role: dto.role ?? 'job_seeker' });
    return { user: UserDto.from(user), ...(await this.issue(user.id, 0)) };
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
    return this.issue(user.id, user.tokenVersion);
  }

  private async issue(userId: number, tokenVersion: number): Promise<TokenDto> {
    const expiresIn = this.config.auth.accessTokenMinutes * 60;
    const payload: TokenPayload = { sub: String(userId), tv: tokenVersion };
    return {
      accessToken: await this.jwt.signAsync(payload, { expiresIn }),
      tokenType: 'Bearer',
      expiresIn,
    };
  }
}

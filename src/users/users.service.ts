import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { DataSource, type EntityManager, type Repository } from 'typeorm';
import { CacheService } from '../cache/cache.service.js';
import type { AuthUser } from '../common/auth-user.js';
import { CursorCodec } from '../common/cursor.js';
import { escapeLike } from '../common/like.js';
import { paginate, type Keyset } from '../common/keyset.js';
import type { Page } from '../common/page.js';
import { UserDto } from './dto/user.dto.js';
import type { AdminUpdateUserDto, ListUsersQueryDto, UpdateMeDto } from './dto/user-input.dto.js';
import { User, type UserRole } from './user.entity.js';
import { assertStrongPassword, hashPassword, verifyPassword } from './password.js';
import { AppError } from '../common/error-codes.js';

export interface NewUser {
  email: string;
  password: string;
  fullName: string;
  phone?: string;
  role: UserRole;
}

export type AuthCandidate = Pick<
  User,
  'id' | 'role' | 'isActive' | 'tokenVersion' | 'emailVerifiedAt'
>;

/** What the account flows read about a user: the row with its password hash. */
export type AccountUser = Pick<
  User,
  'id' | 'email' | 'fullName' | 'isActive' | 'emailVerifiedAt' | 'passwordHash'
>;

const USER_ORDER: Keyset<User> = {
  name: 'id',
  dir: 'DESC',
  keys: [{ column: 'u.id', type: 'int', of: (u) => u.id }],
};

@Injectable()
export class UsersService {
  constructor(
    @InjectRepository(User) private readonly users: Repository<User>,
    private readonly dataSource: DataSource,
    private readonly cursors: CursorCodec,
    private readonly cache: CacheService,
  ) {}

  /**
   * Inserts the user; a weak password is a 400 WEAK_PASSWORD, a taken e-mail (any case) a 409
   * from uq_users_email, without a pre-check race. `then` runs in the insert's transaction
   * (the verification mail is enqueued there); the password is hashed before it opens.
   */
  async create(
    input: NewUser,
    then?: (manager: EntityManager, user: User) => Promise<void>,
  ): Promise<User> {
    await assertStrongPassword(input.password, [input.email, input.fullName]);
    const passwordHash = await hashPassword(input.password);
    return this.dataSource.transaction(async (manager) => {
      const repo = manager.getRepository(User);
      const user = await repo.save(
        repo.create({
          email: input.email,
          passwordHash,
          fullName: input.fullName,
          phone: input.phone ?? null,
          role: input.role,
        }),
      );
      await then?.(manager, user);
      return user;
    });
  }

  /** The whole row, password hash and token version included. */
  findForLogin(email: string): Promise<User | null> {
    return this.users
      .createQueryBuilder('u')
      .addSelect(['u.passwordHash', 'u.tokenVersion'])
      .where('lower(u.email) = lower(:email)', { email })
      .getOne();
  }

  findForAuth(id: number): Promise<AuthCandidate | null> {
    return this.users
      .createQueryBuilder('u')
      .select(['u.id', 'u.role', 'u.isActive', 'u.emailVerifiedAt'])
      .addSelect('u.tokenVersion')
      .where('u.id = :id', { id })
      .getOne();
  }

  /** For the account flows: by id or by e-mail (any case), with the password hash. */
  findAccount(
    by: { id: number } | { email: string },
    manager: EntityManager = this.users.manager,
  ): Promise<AccountUser | null> {
    const qb = manager
      .getRepository(User)
      .createQueryBuilder('u')
      .select(['u.id', 'u.email', 'u.fullName', 'u.isActive', 'u.emailVerifiedAt'])
      .addSelect('u.passwordHash');
    return 'id' in by
      ? qb.where('u.id = :id', { id: by.id }).getOne()
      : qb.where('lower(u.email) = lower(:email)', { email: by.email }).getOne();
  }

  /** The address is verified (now, unless it already was). */
  async markEmailVerified(manager: EntityManager, id: number): Promise<void> {
    await manager
      .getRepository(User)
      .update({ id }, { emailVerifiedAt: () => 'coalesce(email_verified_at, now())' });
  }

  /**
   * A new password set from a reset link: every session of the account ends (the token version
   * is bumped), and the address counts as verified, since the link reached it. The password
   * rules are those of registration.
   */
  async resetPassword(manager: EntityManager, user: AccountUser, password: string): Promise<void> {
    await assertStrongPassword(password, [user.email, user.fullName]);
    await manager.getRepository(User).update(
      { id: user.id },
      {
        passwordHash: await hashPassword(password),
        tokenVersion: () => 'token_version + 1',
        emailVerifiedAt: () => 'coalesce(email_verified_at, now())',
      },
    );
  }

  /** A verified change of address; a taken one is a 409 EMAIL_TAKEN from uq_users_email. */
  async changeEmail(manager: EntityManager, id: number, email: string): Promise<void> {
    await manager.getRepository(User).update({ id }, { email, emailVerifiedAt: () => 'now()' });
  }

  async recordLogin(id: number): Promise<void> {
    await this.users.update({ id }, { lastLoginAt: () => 'now()' });
  }

  async get(id: number): Promise<User> {
    const user = await this.users.findOneBy({ id });
    if (!user) throw new AppError('USER_NOT_FOUND', `User ${id} not found`);
    return user;
  }

  async updateMe(actor: AuthUser, dto: UpdateMeDto): Promise<UserDto> {
    const changes: Partial<User> = {};
    if (dto.fullName !== undefined) changes.fullName = dto.fullName;
    if (dto.phone !== undefined) changes.phone = dto.phone;
    if (dto.password !== undefined) {
      const current = await this.users
        .createQueryBuilder('u')
        .addSelect('u.passwordHash')
        .where('u.id = :id', { id: actor.id })
        .getOneOrFail();
      if (
        !dto.currentPassword ||
        !(await verifyPassword(current.passwordHash, dto.currentPassword))
      ) {
        throw new AppError('INVALID_CURRENT_PASSWORD', 'currentPassword is missing or wrong');
      }
      await assertStrongPassword(dto.password, [current.email, dto.fullName ?? current.fullName]);
      changes.passwordHash = await hashPassword(dto.password);
    }
    if (Object.keys(changes).length > 0) {
      await this.users.update(
        { id: actor.id },
        dto.password !== undefined
          ? { ...changes, tokenVersion: () => 'token_version + 1' }
          : changes,
      );
    }
    return UserDto.from(await this.get(actor.id));
  }

  async list(query: ListUsersQueryDto): Promise<Page<UserDto>> {
    const qb = this.users.createQueryBuilder('u');
    if (query.role) qb.andWhere('u.role = :role', { role: query.role });
    if (query.isActive !== undefined)
      qb.andWhere('u.is_active = :active', { active: query.isActive });
    if (query.q) {
      qb.andWhere(`u.email LIKE :prefix ESCAPE '\\'`, {
        prefix: `${escapeLike(query.q.toLowerCase())}%`,
      });
    }
    return paginate(qb, USER_ORDER, { ...query, codec: this.cursors, map: UserDto.from });
  }

  /**
   * Role and activation, by an admin; both take effect on the user's next request (the guard
   * reads them each time). Deactivation also bumps the token version, so reactivating the
   * account later does not bring its old tokens back. Public spa and job lists hide the spas
   * and jobs of owners who are inactive or no longer employers, so either change drops them.
   */
  async adminUpdate(actor: AuthUser, id: number, dto: AdminUpdateUserDto): Promise<UserDto> {
    const user = await this.get(id);
    const demotesSelf = dto.role !== undefined && dto.role !== 'admin';
    if (user.id === actor.id && (demotesSelf || dto.isActive === false)) {
      throw new AppError(
        'CANNOT_CHANGE_OWN_ACCESS',
        'Admins cannot demote or deactivate themselves',
      );
    }
    const changes: Partial<User> = {};
    if (dto.role !== undefined && dto.role !== user.role) changes.role = dto.role;
    if (dto.isActive !== undefined && dto.isActive !== user.isActive) {
      changes.isActive = dto.isActive;
    }
    if (Object.keys(changes).length > 0) {
      await this.users.update(
        { id },
        changes.isActive === false
          ? { ...changes, tokenVersion: () => 'token_version + 1' }
          : changes,
      );
      await this.cache.invalidate('spas', 'jobs');
    }
    return UserDto.from(await this.get(id));
  }
}

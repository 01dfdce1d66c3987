import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
import type { AuthUser } from '../auth/auth-user.js';
import { hashPassword, verifyPassword } from '../auth/password.js';
import { CursorCodec } from '../common/cursor.js';
import { escapeLike } from '../common/like.js';
import { DEFAULT_PAGE_SIZE, toPage, type Page } from '../common/page.js';
import { UserDto } from './dto/user.dto.js';
import type { AdminUpdateUserDto, ListUsersQueryDto, UpdateMeDto } from './dto/user-input.dto.js';
import { User, type UserRole } from './user.entity.js';
import { AppError } from '../common/error-codes.js';

export interface NewUser {
  email: string;
  password: string;
  fullName: string;
  phone?: string;
  role: UserRole;
}

export type LoginCandidate = Pick<
  User,
  'id' | 'role' | 'isActive' | 'passwordHash' | 'tokenVersion'
>;
export type AuthCandidate = Pick<User, 'id' | 'role' | 'isActive' | 'tokenVersion'>;

const USER_ORDER = 'id';

@Injectable()
export class UsersService {
  constructor(
    @InjectRepository(User) private readonly users: Repository<User>,
    private readonly cursors: CursorCodec,
  ) {}

  /** Inserts the user; a taken e-mail (any case) is a 409 from uq_users_email, without a pre-check race. */
  async create(input: NewUser): Promise<User> {
    const user = this.users.create({
      email: input.email,
      passwordHash: await hashPassword(input.password),
      fullName: input.fullName,
      phone: input.phone ?? null,
      role: input.role,
    });
    return this.users.save(user);
  }

  findForLogin(email: string): Promise<LoginCandidate | null> {
    return this.users
      .createQueryBuilder('u')
      .select(['u.id', 'u.role', 'u.isActive', 'u.tokenVersion'])
      .addSelect('u.passwordHash')
      .where('lower(u.email) = lower(:email)', { email })
      .getOne();
  }

  findForAuth(id: number): Promise<AuthCandidate | null> {
    return this.users
      .createQueryBuilder('u')
      .select(['u.id', 'u.role', 'u.isActive'])
      .addSelect('u.tokenVersion')
      .where('u.id = :id', { id })
      .getOne();
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
    const limit = query.limit ?? DEFAULT_PAGE_SIZE;
    const qb = this.users
      .createQueryBuilder('u')
      .orderBy('u.id', 'DESC')
      .limit(limit + 1);
    if (query.role) qb.andWhere('u.role = :role', { role: query.role });
    if (query.isActive !== undefined)
      qb.andWhere('u.is_active = :active', { active: query.isActive });
    if (query.q) {
      qb.andWhere(`u.email LIKE :prefix ESCAPE '\\'`, {
        prefix: `${escapeLike(query.q.toLowerCase())}%`,
      });
    }
    if (query.cursor) {
      const [id] = this.cursors.decode(query.cursor, USER_ORDER, ['number']);
      qb.andWhere('u.id < :id', { id });
    }
    return toPage(await qb.getMany(), limit, UserDto.from, (last) =>
      this.cursors.encode({ o: USER_ORDER, v: [last.id] }),
    );
  }

  /** Role and activation, by an admin. Deactivation revokes the user's tokens at once (see AuthGuard). */
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
    if (dto.role !== undefined) changes.role = dto.role;
    if (dto.isActive !== undefined) changes.isActive = dto.isActive;
    if (Object.keys(changes).length > 0) await this.users.update({ id }, changes);
    return UserDto.from(await this.get(id));
  }
}

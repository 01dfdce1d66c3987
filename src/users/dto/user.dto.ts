import { ApiProperty } from '@nestjs/swagger';
import { PageMetaDto } from '../../common/page.js';
import { USER_ROLES, type User, type UserRole } from '../user.entity.js';

/** A user as they themselves, or an admin, may see them. Never part of a public payload. */
export class UserDto {
  @ApiProperty() id: number;
  @ApiProperty({ example: 'ana@example.com' }) email: string;
  @ApiProperty({ example: 'Ana Lima' }) fullName: string;
  @ApiProperty({ type: String, nullable: true, example: '+1 415 555 0100' }) phone: string | null;
  @ApiProperty({ enum: USER_ROLES }) role: UserRole;
  @ApiProperty() isActive: boolean;
  @ApiProperty({
    description: 'Whether the address is verified; employers verify before posting jobs',
  })
  emailVerified: boolean;
  @ApiProperty() createdAt: Date;

  static from(this: void, u: User): UserDto {
    return {
      id: u.id,
      email: u.email,
      fullName: u.fullName,
      phone: u.phone,
      role: u.role,
      isActive: u.isActive,
      emailVerified: u.emailVerifiedAt !== null,
      createdAt: u.createdAt,
    };
  }
}

export class UserPageDto extends PageMetaDto {
  @ApiProperty({ type: [UserDto] }) data: UserDto[];
}

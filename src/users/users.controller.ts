import { Body, Controller, Get, Param, Patch, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { AuthUser } from '../common/auth-user.js';
import { CurrentUser, Roles } from '../common/auth.decorators.js';
import { IdPipe } from '../common/id.pipe.js';
import type { Page } from '../common/page.js';
import { AdminUpdateUserDto, ListUsersQueryDto, UpdateMeDto } from './dto/user-input.dto.js';
import { UserDto, UserPageDto } from './dto/user.dto.js';
import { UsersService } from './users.service.js';

@ApiTags('users')
@ApiBearerAuth()
@Controller('users')
export class UsersController {
  constructor(private readonly users: UsersService) {}

  @Get('me')
  @ApiOperation({ operationId: 'getMe', summary: 'The caller’s own account' })
  @ApiOkResponse({ type: UserDto })
  async me(@CurrentUser() user: AuthUser): Promise<UserDto> {
    return UserDto.from(await this.users.get(user.id));
  }

  @Patch('me')
  @ApiOperation({
    operationId: 'updateMe',
    summary: 'Update name, phone or password (a password change signs out every session)',
  })
  @ApiOkResponse({ type: UserDto })
  updateMe(@CurrentUser() user: AuthUser, @Body() dto: UpdateMeDto): Promise<UserDto> {
    return this.users.updateMe(user, dto);
  }

  @Get()
  @Roles('admin')
  @ApiOperation({
    operationId: 'listUsers',
    summary: 'Admin: list users (filter by role, activity, e-mail prefix)',
  })
  @ApiOkResponse({ type: UserPageDto })
  list(@Query() query: ListUsersQueryDto): Promise<Page<UserDto>> {
    return this.users.list(query);
  }

  @Patch(':id')
  @Roles('admin')
  @ApiOperation({ operationId: 'updateUser', summary: 'Admin: change a user’s role or activation' })
  @ApiOkResponse({ type: UserDto })
  adminUpdate(
    @CurrentUser() user: AuthUser,
    @Param('id', IdPipe) id: number,
    @Body() dto: AdminUpdateUserDto,
  ): Promise<UserDto> {
    return this.users.adminUpdate(user, id, dto);
  }
}

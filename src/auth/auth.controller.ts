import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { LoginThrottle } from '../throttle/login-throttle.decorator.js';
import { AuthService } from './auth.service.js';
import { Public } from './decorators.js';
import { LoginDto, RegisteredDto, RegisterDto, TokenDto } from './dto/auth.dto.js';

@ApiTags('auth')
@Public()
@Controller('auth')
export class AuthController {
  constructor(private readonly auth: AuthService) {}

  @Post('register')
  @ApiOperation({ summary: 'Create a job seeker or employer account' })
  @ApiCreatedResponse({ type: RegisteredDto })
  register(@Body() dto: RegisterDto): Promise<RegisteredDto> {
    return this.auth.register(dto);
  }

  @Post('login')
  @HttpCode(200)
  @LoginThrottle()
  @ApiOperation({
    summary: 'Exchange e-mail and password for a bearer token (tighter per-IP limit)',
  })
  @ApiOkResponse({ type: TokenDto })
  login(@Body() dto: LoginDto): Promise<TokenDto> {
    return this.auth.login(dto);
  }
}

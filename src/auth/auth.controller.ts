import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { LoginThrottle } from '../throttle/login-throttle.decorator.js';
import { AuthService } from './auth.service.js';
import { Public } from '../common/auth.decorators.js';
import { ApiErrors } from '../openapi/openapi.js';
import { LoginDto, RegisterDto, TokenDto } from './dto/auth.dto.js';

@ApiTags('auth')
@Public()
@Controller('auth')
export class AuthController {
  constructor(private readonly auth: AuthService) {}

  @Post('register')
  @ApiOperation({ operationId: 'register', summary: 'Create a job seeker or employer account' })
  @ApiCreatedResponse({ type: TokenDto })
  register(@Body() dto: RegisterDto): Promise<TokenDto> {
    return this.auth.register(dto);
  }

  @Post('login')
  @HttpCode(200)
  @LoginThrottle()
  @ApiOperation({
    operationId: 'login',
    summary:
      'Exchange e-mail and password for the account and a bearer token (tighter per-IP limit)',
  })
  @ApiErrors('INVALID_CREDENTIALS')
  @ApiOkResponse({ type: TokenDto })
  login(@Body() dto: LoginDto): Promise<TokenDto> {
    return this.auth.login(dto);
  }
}

import { SetMetadata } from '@nestjs/common';

export const LOGIN_THROTTLE_KEY = 'throttle:login';

/** Opts a route into the tighter `login` limit (LOGIN_RATE_LIMIT_PER_MINUTE per client). */
export const LoginThrottle = () => SetMetadata(LOGIN_THROTTLE_KEY, true);

import { applyDecorators, SetMetadata } from '@nestjs/common';
import { ApiErrors } from '../openapi/openapi.js';

export const VERIFIED_EMAIL_KEY = 'auth:verified-email';

/**
 * The caller's e-mail must be verified (admins are exempt): else 403 EMAIL_NOT_VERIFIED, before
 * the handler runs, so nothing is written. Checked by the AuthGuard on the row it reads anyway.
 */
export const VerifiedEmail = () =>
  applyDecorators(SetMetadata(VERIFIED_EMAIL_KEY, true), ApiErrors('EMAIL_NOT_VERIFIED'));

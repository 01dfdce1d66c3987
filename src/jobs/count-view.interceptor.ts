import {
  Injectable,
  UseInterceptors,
  type CallHandler,
  type ExecutionContext,
  type NestInterceptor,
} from '@nestjs/common';
import type { Request } from 'express';
import { tap, type Observable } from 'rxjs';
import { IdOrSlugPipe } from '../common/id.pipe.js';
import { JobViewsService } from './job-views.service.js';

/**
 * Counts a view for every successful job detail GET, cached or not; a HEAD reads no job, so it
 * counts none (else anyone could inflate `popular` for the price of headers). Declare it below
 * @HttpCached so that it wraps the cache (interceptors listed later on a method run outside).
 */
@Injectable()
export class CountViewInterceptor implements NestInterceptor {
  private readonly parse = new IdOrSlugPipe();

  constructor(private readonly views: JobViewsService) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const req = context.switchToHttp().getRequest<Request<{ idOrSlug: string }>>();
    if (req.method !== 'GET') return next.handle();
    return next
      .handle()
      .pipe(tap(() => this.views.record(this.parse.transform(req.params.idOrSlug))));
  }
}

export const CountView = () => UseInterceptors(CountViewInterceptor);

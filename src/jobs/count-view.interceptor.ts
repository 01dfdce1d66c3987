import {
  Injectable,
  UseInterceptors,
  type CallHandler,
  type ExecutionContext,
  type NestInterceptor,
} from '@nestjs/common';
import type { Request } from 'express';
import { tap, type Observable } from 'rxjs';
import { onCachedGet } from '../cache/http-cache.fast-path.js';
import { IdOrSlugPipe } from '../common/id.pipe.js';
import { JobViewsService } from './job-views.service.js';

/**
 * Counts a view for every successful job detail GET, cached or not (a 304 too: the client was
 * shown the job); a HEAD reads no job, so it
 * counts none (else anyone could inflate `popular` for the price of headers). Declare it below
 * @HttpCached so that it wraps the cache (interceptors listed later on a method run outside).
 */
@Injectable()
export class CountViewInterceptor implements NestInterceptor {
  private readonly parse = new IdOrSlugPipe();

  constructor(private readonly views: JobViewsService) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const req = context.switchToHttp().getRequest<Request<{ idOrSlug: string }>>();
    const ref = this.parse.transform(req.params.idOrSlug);
    const count = () => this.views.record(ref);
    // the same URL served by the cache's fast path counts its view too (on a GET: whatever
    // method this request has, the fast path may serve a GET of its URL)
    onCachedGet.set(req, [count]);
    if (req.method !== 'GET') return next.handle();
    return next.handle().pipe(tap(count));
  }
}

export const CountView = () => UseInterceptors(CountViewInterceptor);

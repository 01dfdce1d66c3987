import type { RequestHandler } from 'express';
import { receivedAt } from '../common/request-slot.js';
import type { MetricsService } from './metrics.service.js';

/**
 * Times every request by its route pattern (never the raw URL: ids would explode the label set);
 * from its arrival (the front path may run this once it knows it answers a hit).
 */
export function httpMetrics(metrics: MetricsService): RequestHandler {
  return (req, res, next) => {
    const started = receivedAt.get(req) ?? performance.now();
    res.once('finish', () => {
      const route = (req.route as { path?: string } | undefined)?.path ?? 'unmatched';
      metrics.httpDuration.observe(
        { method: req.method, route, status: String(res.statusCode) },
        (performance.now() - started) / 1000,
      );
      const cache = res.getHeader('X-Cache');
      if (cache === 'HIT' || cache === 'MISS')
        metrics.cacheResults.inc({ result: cache.toLowerCase() });
    });
    next();
  };
}

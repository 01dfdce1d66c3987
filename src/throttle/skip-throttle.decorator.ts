import { SkipThrottle } from '@nestjs/throttler';
import { THROTTLERS } from './throttler-names.js';

/** Exempts a controller or route from every named limit (probes, metrics). */
export const SkipThrottleAll = () =>
  SkipThrottle(Object.fromEntries(Object.values(THROTTLERS).map((name) => [name, true])));

/** The named limits; every name must be listed wherever limits are skipped (a bare @SkipThrottle skips only "default"). */
export const THROTTLERS = { minute: 'minute', hour: 'hour', login: 'login' } as const;
export type ThrottlerName = (typeof THROTTLERS)[keyof typeof THROTTLERS];

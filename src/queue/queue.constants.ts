/** pg-boss's own connections per process (fetching, settling, maintenance); sends use the app's. */
export const QUEUE_POOL_SIZE = 4;

/**
 * A value a request carries for the rest of its handling, between parts of the app that do not
 * call each other (the limiter and the cache, the fast path and Express): a symbol-keyed property
 * of the request object, so it lives and dies with the request (no long-lived table keyed by
 * every request to grow, rehash and sweep).
 */
export interface RequestSlot<T> {
  get(req: object): T | undefined;
  has(req: object): boolean;
  set(req: object, value: T): void;
}

export function requestSlot<T>(name: string): RequestSlot<T> {
  const key = Symbol(name);
  type Carrier = { [key]?: T };
  return {
    get: (req) => (req as Carrier)[key],
    has: (req) => key in req,
    set: (req, value) => {
      (req as Carrier)[key] = value;
    },
  };
}

/** When the request arrived (`performance.now()`), for requests answered in front of Express. */
export const receivedAt = requestSlot<number>('received at');

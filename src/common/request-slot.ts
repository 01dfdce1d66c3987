/**
 * A value a request carries for the rest of its handling, between parts of the app that do not
 * call each other (the limiter and the cache, the fast path and Express): an element of one
 * array the request object holds under a symbol, so it lives and dies with the request (no
 * long-lived table keyed by every request to grow, rehash and sweep), and every request gets the
 * same one extra property whatever slots it uses (a property per slot gave requests as many
 * shapes as there are paths through the app, and made every access to them megamorphic).
 */
export interface RequestSlot<T> {
  get(req: object): T | undefined;
  has(req: object): boolean;
  set(req: object, value: T): void;
}

const SLOTS = Symbol('spajobs request slots');
type Carrier = { [SLOTS]?: unknown[] };
let slots = 0;

/** A slot (`_name` documents it at the call site); `has` is true once a value other than undefined was set. */
export function requestSlot<T>(_name: string): RequestSlot<T> {
  const index = slots++;
  return {
    get: (req) => (req as Carrier)[SLOTS]?.[index] as T | undefined,
    has: (req) => (req as Carrier)[SLOTS]?.[index] !== undefined,
    set: (req, value) => {
      ((req as Carrier)[SLOTS] ??= [])[index] = value;
    },
  };
}

/** When the request arrived (`performance.now()`), for requests answered in front of Express. */
export const receivedAt = requestSlot<number>('received at');

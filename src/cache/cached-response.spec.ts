import type { Request, Response } from 'express';
import { present, toCachedBody } from './cached-response.js';

/** The least of a request and a response that present reads and writes. */
function exchange(acceptEncoding: string) {
  const headers = new Map<string, unknown>();
  const req = {
    headers: { 'accept-encoding': acceptEncoding },
    acceptsEncodings: (coding: string) => (acceptEncoding.includes(coding) ? coding : false),
  } as unknown as Request;
  const res = {
    setHeader: (name: string, value: unknown) => headers.set(name.toLowerCase(), value),
    getHeader: (name: string) => headers.get(name.toLowerCase()),
  } as unknown as Response;
  return { req, res, headers };
}

describe('present', () => {
  it('keeps the bytes of an entry in a buffer of their own, not in a slice of a shared pool block', () => {
    const small = toCachedBody({ id: 1 });
    const large = toCachedBody(Array.from({ length: 60 }, (_, i) => ({ id: i, name: `spa ${i}` })));
    expect(small.json).toBeDefined();
    expect(large.gz).toBeDefined();
    for (const [value, coding] of [
      [small, 'identity'],
      [large, 'gzip'],
    ] as const) {
      const { req, res, headers } = exchange(coding);
      const body = present(req, res, value, true) as Buffer;
      // a slice would keep its whole pool block (64 KB on Node 24) alive as long as the entry
      expect(body.byteOffset).toBe(0);
      expect(body.buffer.byteLength).toBe(body.length);
      if (coding === 'gzip') expect(headers.get('content-encoding')).toBe('gzip');
    }
    const { req, res } = exchange('gzip');
    expect(present(req, res, large, true)).toBe(present(req, res, large, true));
  });
});

import { defaultDeserialize, defaultSerialize } from '@keyv/serialize';
import type { Request, Response } from 'express';
import { ownBytes, present, toCachedBody, type CachedBody } from './cached-response.js';

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

/** A buffer that is not a slice of a shared pool block (which it would keep alive, 64 KB on Node 24). */
function expectOwnBuffer(bytes: Buffer): void {
  expect(bytes.byteOffset).toBe(0);
  expect(bytes.buffer.byteLength).toBe(bytes.length);
}

const small = toCachedBody({ id: 1 });
const large = toCachedBody(Array.from({ length: 60 }, (_, i) => ({ id: i, name: `spa ${i}` })));

describe('present', () => {
  it('sends the bytes an entry holds, gzipped from 1 KB up, in buffers of their own', () => {
    expect(small.gzipEtag).toBeUndefined();
    expect(large.gzipEtag).toBeDefined();
    for (const [value, coding] of [
      [small, 'identity'],
      [large, 'gzip'],
    ] as const) {
      const { req, res, headers } = exchange(coding);
      const body = present(req, res, value, true) as Buffer;
      expect(body).toBe(value.bytes);
      expectOwnBuffer(body);
      expect(headers.get('content-encoding')).toBe(coding === 'gzip' ? 'gzip' : undefined);
      expect(headers.get('etag')).toBe(coding === 'gzip' ? value.gzipEtag : value.etag);
    }
  });

  it('inflates for a client without gzip, under the ETag of the JSON text', () => {
    const { req, res, headers } = exchange('identity');
    const body = present(req, res, large, true) as Buffer;
    expect(JSON.parse(body.toString())).toHaveLength(60);
    expect(headers.get('etag')).toBe(large.etag);
    expect(headers.get('content-encoding')).toBeUndefined();
  });

  it('answers not-modified when If-None-Match names the representation sent', () => {
    const { req, res } = exchange('gzip');
    req.headers['if-none-match'] = `W/${large.gzipEtag}`;
    expect(present(req, res, large, true)).toBe('not-modified');
    req.headers['if-none-match'] = large.etag; // the identity representation's: not this one
    expect(present(req, res, large, true)).not.toBe('not-modified');
  });
});

describe('ownBytes', () => {
  it("gives an entry read back from the Redis layer's serializer its bytes in a buffer of their own", () => {
    const read = defaultDeserialize<CachedBody>(defaultSerialize(large));
    expect(Buffer.isBuffer(read.bytes)).toBe(true);
    const own = ownBytes(read);
    expect(own.bytes.equals(large.bytes)).toBe(true);
    expectOwnBuffer(own.bytes);
    expect(own.etag).toBe(large.etag);
    expect(own.gzipEtag).toBe(large.gzipEtag);
    // anything else the Redis layer holds (a @CacheResult value) is left as it is
    const other = { etag: 1, rows: [1, 2] };
    expect(ownBytes(other)).toBe(other);
  });
});

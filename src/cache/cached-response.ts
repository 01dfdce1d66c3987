import { createHash } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';
import type { Request, Response } from 'express';

/** Bodies from this size up are stored gzipped (the compression middleware's threshold). */
const GZIP_THRESHOLD = 1024;
export const JSON_TYPE = 'application/json; charset=utf-8';
/**
 * Shared caches may store the answer but must ask again before each use: a write is seen by the
 * very next read. The revalidation costs a 304 without a body while nothing changed.
 */
const PUBLIC_CACHE_CONTROL = 'public, no-cache';

/**
 * A response as cached: its bytes as sent, gzipped from GZIP_THRESHOLD up (compressed once, served
 * many times; the rare client without gzip gets them inflated on the fly), and its strong
 * validators, computed once when the entry is filled, so every process serves one entry under
 * one validator. The local layer holds the buffer itself; the Redis layer's serializer stores it
 * as base64 (`:base64:…`) and makes a buffer of it again (see ownBytes).
 */
export interface CachedBody {
  /** The ETag of the JSON text. */
  etag: string;
  /** The ETag of its gzip coding, present when `bytes` are gzipped. */
  gzipEtag?: string;
  bytes: Buffer;
}

/**
 * A copy of `bytes` in a buffer of its own. `Buffer.from` cuts strings under 32 KB out of a
 * shared 64 KB pool (Node 24's Buffer.poolSize), so each kept entry would keep alive the whole
 * pool block it was cut from, with everything short-lived allocated next to it: measured under the
 * bench's capacity phase, 1,288 such blocks (84 MB outside the JS heap) held ~7 MB of cached bytes.
 */
function unpooled(bytes: Uint8Array): Buffer {
  const own = Buffer.allocUnsafeSlow(bytes.length);
  own.set(bytes);
  return own;
}

export function toCachedBody(result: unknown): CachedBody {
  const json = JSON.stringify(result);
  const hash = createHash('sha256').update(json).digest('base64url').slice(0, 27);
  const etag = `"${hash}"`;
  const plain = Buffer.from(json);
  return plain.length >= GZIP_THRESHOLD
    ? { etag, gzipEtag: `"${hash}-gzip"`, bytes: unpooled(gzipSync(plain, { level: 6 })) }
    : { etag, bytes: unpooled(plain) };
}

/**
 * An entry as the Redis layer's serializer read it back, with its bytes in a buffer of their own
 * (the serializer decodes base64 into a slice of the shared pool: see unpooled).
 */
export function ownBytes<T>(value: T): T {
  const body = value as Partial<CachedBody> | null;
  if (!body || typeof body.etag !== 'string' || !Buffer.isBuffer(body.bytes)) return value;
  return { ...body, bytes: unpooled(body.bytes) } as T;
}

/**
 * Whether `If-None-Match` names `etag` (or is `*`), by the weak comparison RFC 9110 prescribes
 * for it: `W/"x"` matches `"x"`.
 */
export function noneMatch(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  return header.split(',').some((tag) => {
    const t = tag.trim();
    return t === '*' || (t.startsWith('W/') ? t.slice(2) : t) === etag;
  });
}

/** Accept-Encoding values seen, and whether each takes gzip (clients send few distinct ones). */
const gzipByHeader = new Map<string, boolean>();
const MAX_ENCODING_HEADERS = 256;

/** Whether the client takes gzip, negotiated as Express does, once per distinct header. */
function takesGzip(req: Request): boolean {
  const header = req.headers['accept-encoding'] ?? '';
  let takes = gzipByHeader.get(header);
  if (takes === undefined) {
    takes = req.acceptsEncodings('gzip') === 'gzip';
    if (gzipByHeader.size >= MAX_ENCODING_HEADERS) gzipByHeader.clear();
    gzipByHeader.set(header, takes);
  }
  return takes;
}

/**
 * Sets the headers of a cached answer and says what to send: its bytes, or nothing for a 304
 * (the client's copy is current). Used by the Nest path and the fast path alike.
 */
export function present(
  req: Request,
  res: Response,
  value: CachedBody,
  hit: boolean,
): Buffer | 'not-modified' {
  res.setHeader('X-Cache', hit ? 'HIT' : 'MISS');
  res.setHeader('Cache-Control', PUBLIC_CACHE_CONTROL);
  // added to what is there (CORS' Origin), never replacing it
  const vary = res.getHeader('Vary');
  res.setHeader('Vary', vary ? `${String(vary)}, Accept-Encoding` : 'Accept-Encoding');
  const gzip = value.gzipEtag !== undefined && takesGzip(req);
  // Each content coding is its own representation, so each has its own strong validator.
  const etag = gzip ? value.gzipEtag! : value.etag;
  res.setHeader('ETag', etag);
  if (noneMatch(req.headers['if-none-match'], etag)) return 'not-modified';
  if (value.gzipEtag === undefined) return value.bytes;
  if (!gzip) return gunzipSync(value.bytes); // the rare client without gzip: not kept twice
  res.setHeader('Content-Encoding', 'gzip');
  return value.bytes;
}

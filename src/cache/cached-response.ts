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
 * A response as cached: small bodies as JSON, larger ones only gzipped (compressed once, served
 * many times; base64 so that it survives Redis' JSON). The rare client without gzip gets it
 * inflated on the fly. `etag` is the hash of the JSON text, computed once when the entry is
 * filled, so every process serves one entry under one validator.
 */
export type CachedBody = { etag: string } & (
  { json: string; gz?: undefined } | { gz: string; json?: undefined }
);

/** The bytes of an entry as sent, and its validators. */
interface Ready {
  plain?: Buffer;
  gz?: Buffer;
  etag: string;
  gzipEtag: string;
}

/**
 * The local cache layer keeps entries by reference, so a hit returns the same object each time:
 * its bytes are decoded on its first hit only (and go with it when it is evicted).
 */
const ready = new WeakMap<CachedBody, Ready>();

/**
 * The bytes of `text` in a buffer of their own. `Buffer.from` cuts strings under 32 KB out of a
 * shared 64 KB pool (Node 24's Buffer.poolSize), so each kept entry would keep alive the whole
 * pool block it was cut from, with everything short-lived allocated next to it: measured under the
 * bench's capacity phase, 1,288 such blocks (84 MB outside the JS heap) held ~7 MB of cached bytes.
 */
function unpooled(text: string, encoding: 'utf8' | 'base64'): Buffer {
  const bytes = Buffer.allocUnsafeSlow(Buffer.byteLength(text, encoding));
  const written = bytes.write(text, encoding);
  return written === bytes.length ? bytes : bytes.subarray(0, written);
}

export function toCachedBody(result: unknown): CachedBody {
  const json = JSON.stringify(result);
  const etag = createHash('sha256').update(json).digest('base64url').slice(0, 27);
  return Buffer.byteLength(json) >= GZIP_THRESHOLD
    ? { etag, gz: gzipSync(json, { level: 6 }).toString('base64') }
    : { etag, json };
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
  let r = ready.get(value);
  if (!r) {
    r = { etag: `"${value.etag}"`, gzipEtag: `"${value.etag}-gzip"` };
    ready.set(value, r);
  }
  res.setHeader('X-Cache', hit ? 'HIT' : 'MISS');
  res.setHeader('Cache-Control', PUBLIC_CACHE_CONTROL);
  // added to what is there (CORS' Origin), never replacing it
  const vary = res.getHeader('Vary');
  res.setHeader('Vary', vary ? `${String(vary)}, Accept-Encoding` : 'Accept-Encoding');
  const gzip = value.gz !== undefined && takesGzip(req);
  // Each content coding is its own representation, so each has its own strong validator.
  const etag = gzip ? r.gzipEtag : r.etag;
  res.setHeader('ETag', etag);
  if (noneMatch(req.headers['if-none-match'], etag)) return 'not-modified';
  if (value.gz === undefined) return (r.plain ??= unpooled(value.json, 'utf8'));
  r.gz ??= unpooled(value.gz, 'base64');
  if (!gzip) return gunzipSync(r.gz); // the rare client without gzip: not kept twice
  res.setHeader('Content-Encoding', 'gzip');
  return r.gz;
}

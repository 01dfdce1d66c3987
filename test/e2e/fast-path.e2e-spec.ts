import { mkdtempSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { HttpCacheInterceptor } from '../../src/cache/http-cache.interceptor.js';
import { MetricsService } from '../../src/metrics/metrics.service.js';
import { createTestApp, type TestApp } from '../support/create-test-app.js';
import { waitFor } from '../support/wait.js';

/**
 * Cache hits of learned URLs are answered in front of Express (answerHitsFirst): these tests hold
 * them to what the Nest path answers. One log file per process: nestjs-pino keeps one root logger,
 * built by the first app of the file.
 */
const dir = mkdtempSync(join(tmpdir(), 'spajobs-fast-'));
const LOG_FILE = join(dir, 'app.log');
afterAll(() => rm(dir, { recursive: true, force: true }));

interface RequestLine {
  level: number;
  time: number;
  pid: number;
  hostname: string;
  req: { id: string; method: string; url: string };
  res: { statusCode: number };
  responseTime: number;
  msg: string;
}

/** The request logger's line for a request id (pino writes asynchronously: polled). */
async function lineOf(id: string): Promise<RequestLine> {
  const read = () => readFile(LOG_FILE, 'utf8').catch(() => '');
  await waitFor(async () => (await read()).includes(`"id":"${id}"`), 5000);
  const line = (await read()).split('\n').find((l) => l.includes(`"id":"${id}"`));
  return JSON.parse(line!) as RequestLine;
}

/** Header names, without the per-connection ones. */
const namesOf = (headers: Record<string, unknown>) =>
  Object.keys(headers)
    .filter((n) => !['date', 'connection', 'keep-alive'].includes(n))
    .sort();

describe('cache hits answered in front of Express', () => {
  let t: TestApp;
  let intercepted: number;

  beforeAll(async () => {
    t = await createTestApp({
      env: {
        LOG_LEVEL: 'INFO',
        LOG_FILE,
        RATE_LIMIT_ENABLED: 'true',
        RATE_LIMIT_PER_MINUTE: '1000',
        RATE_LIMIT_PER_HOUR: '10000',
        CORS_ORIGINS: 'https://spa.example',
      },
    });
    // the first reads after boot may find Redis' versions not yet seeded (then entries are filled
    // under local versions once): past that, a second request is a hit
    await waitFor(
      async () => (await t.http.get('/api/v1/spas')).headers['x-cache'] === 'HIT',
      5000,
      50,
    );
    // every module using @HttpCached has its own instance: counted on the prototype
    // eslint-disable-next-line @typescript-eslint/unbound-method -- applied to its instance below
    const intercept = HttpCacheInterceptor.prototype.intercept;
    vi.spyOn(HttpCacheInterceptor.prototype, 'intercept').mockImplementation(function (
      this: HttpCacheInterceptor,
      ...args
    ) {
      intercepted++;
      return intercept.apply(this, args);
    });
  });
  afterAll(async () => {
    vi.restoreAllMocks();
    await t.close();
  });
  beforeEach(() => {
    intercepted = 0;
  });

  it('sends what the Nest path sends (headers, body, validator) and logs the same line', async () => {
    const path = '/api/v1/states';
    const miss = await t.http.get(path).set('X-Request-Id', 'front-miss').expect(200);
    expect(miss.headers['x-cache']).toBe('MISS');
    const hit = await t.http.get(path).set('X-Request-Id', 'front-hit').expect(200);
    expect(hit.headers['x-cache']).toBe('HIT');
    // the second request never reached the Nest pipeline
    expect(intercepted).toBe(1);

    expect(hit.body).toEqual(miss.body);
    expect(hit.headers.etag).toBe(miss.headers.etag);
    expect(namesOf(hit.headers)).toEqual(namesOf(miss.headers));
    for (const name of [
      'cache-control',
      'content-type',
      'vary',
      'strict-transport-security',
      'x-content-type-options',
      'x-frame-options',
      'referrer-policy',
      'cross-origin-resource-policy',
      'ratelimit-limit',
    ])
      expect(hit.headers[name], name).toBe(miss.headers[name]);
    expect(hit.headers['x-request-id']).toBe('front-hit');
    expect(Number(hit.headers['ratelimit-remaining'])).toBe(
      Number(miss.headers['ratelimit-remaining']) - 1,
    );

    const [nestLine, frontLine] = [await lineOf('front-miss'), await lineOf('front-hit')];
    expect(Object.keys(frontLine)).toEqual(Object.keys(nestLine));
    expect(frontLine).toMatchObject({
      level: nestLine.level,
      pid: nestLine.pid,
      hostname: nestLine.hostname,
      req: { id: 'front-hit', method: 'GET', url: path },
      res: { statusCode: 200 },
      msg: nestLine.msg,
    });
    expect(typeof frontLine.responseTime).toBe('number');
    expect(frontLine.time).toBeGreaterThanOrEqual(nestLine.time);
  });

  it('counts its hits in the cache metrics by tag', async () => {
    const hits = async () => {
      const text = (await t.http.get('/metrics').expect(200)).text;
      const line = /^cache_lookups_total\{tags="spas",result="hit",pid="\d+"\} (\d+)$/m.exec(text);
      return Number(line?.[1] ?? 0);
    };
    await t.http.get('/api/v1/spas?limit=2').expect(200);
    const before = await hits();
    intercepted = 0;
    for (let i = 0; i < 3; i++) await t.http.get('/api/v1/spas?limit=2').expect(200);
    expect(intercepted).toBe(0);
    expect(await hits()).toBe(before + 3);
  });

  it('reports a fault after its answer, and never hands the request on to Express', async () => {
    const path = '/api/v1/spas?limit=3';
    await t.http.get(path).expect(200); // learned
    const spy = vi.spyOn(MetricsService.prototype, 'hitRecorder').mockImplementationOnce(() => {
      throw new Error('recorder fault');
    });
    intercepted = 0;
    const hit = await t.http.get(path).set('X-Request-Id', 'front-fault').expect(200);
    expect(spy).toHaveBeenCalledTimes(1);
    expect(hit.headers['x-cache']).toBe('HIT');
    expect(intercepted).toBe(0);
    const read = () => readFile(LOG_FILE, 'utf8');
    await waitFor(async () => (await read()).includes('cache hit failed after its answer'), 5000);
    expect(await read()).not.toContain('ERR_HTTP_HEADERS_SENT');
    spy.mockRestore();
  });

  it('answers HEAD and If-None-Match from the front as well', async () => {
    const path = '/api/v1/job-categories';
    const first = await t.http.get(path).expect(200);
    intercepted = 0;
    const head = await t.http.head(path).set('Accept-Encoding', 'gzip, deflate').expect(200);
    expect(head.text ?? '').toBe('');
    expect(head.headers.etag).toBe(first.headers.etag);
    await t.http.get(path).set('If-None-Match', first.headers.etag).expect(304);
    expect(intercepted).toBe(0);
  });

  it("gives a CORS request CORS' headers from the front, as Express would", async () => {
    const path = '/api/v1/cities?limit=3';
    const origin = { Origin: 'https://spa.example' };
    const viaNest = await t.http.get(path).set(origin).expect(200);
    intercepted = 0;
    const front = await t.http.get(path).set(origin).expect(200);
    expect(intercepted).toBe(0);
    expect(front.headers['x-cache']).toBe('HIT');
    for (const name of ['access-control-allow-origin', 'access-control-expose-headers', 'vary'])
      expect(front.headers[name], name).toBe(viaNest.headers[name]);
    expect(front.headers['access-control-allow-origin']).toBe('https://spa.example');
    const stranger = await t.http.get(path).set('Origin', 'https://evil.example').expect(200);
    expect(stranger.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('keeps nothing of the request that taught it a URL, nor of a hit, once they are answered', async () => {
    // a learned URL lives as long as the process: whatever it holds of its first request (the
    // limiter's closure once held that request's whole execution context) is held as long
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const server = t.app.getHttpServer();
    let seen = 0;
    const collected = new Set<number>();
    // (a WeakRef's deref would keep its object alive for the rest of the job)
    const gone = new FinalizationRegistry<number>((i) => collected.add(i));
    const track = (req: IncomingMessage) => gone.register(req, seen++);
    server.prependListener('request', track);
    try {
      const path = '/api/v1/cities?limit=4';
      expect((await t.http.get(path).expect(200)).headers['x-cache']).toBe('MISS');
      expect((await t.http.get(path).expect(200)).headers['x-cache']).toBe('HIT');
      expect(intercepted).toBe(1);
    } finally {
      server.removeListener('request', track);
    }
    expect(seen).toBe(2);
    // pino.multistream keeps the last object it logged (the Nest path's line: its request):
    // another line replaces it
    await t.http.get('/api/v1/no-such-route').expect(404);
    // and the spy above records the arguments (the execution context) of every call
    // eslint-disable-next-line @typescript-eslint/unbound-method -- only its record is cleared
    vi.mocked(HttpCacheInterceptor.prototype.intercept).mockClear();
    await waitFor(
      async () => {
        gc();
        await new Promise((r) => setTimeout(r, 10));
        return collected.size === 2;
      },
      5000,
      50,
    );
    expect([...collected].sort()).toEqual([0, 1]);
  });

  it('leaves bodies and other spellings to Express', async () => {
    const path = '/api/v1/cities?limit=3';
    await t.http.get(path).expect(200);
    intercepted = 0;
    // a body on a GET is judged by the Nest path (its media-type guard: 415 for plain text)
    const judged = await t.http.get(path).set('Content-Type', 'text/plain').send('x').expect(415);
    expect(judged.body.code).toBe('UNSUPPORTED_MEDIA_TYPE');
    // another spelling of the same request is a URL of its own, resolved by the router (once)
    for (let i = 0; i < 2; i++)
      expect((await t.http.get('/api/v1/cities?limit=03').expect(200)).headers['x-cache']).toBe(
        'HIT',
      );
    expect(intercepted).toBe(1);
  });
});

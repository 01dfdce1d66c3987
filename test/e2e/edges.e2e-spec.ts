import 'reflect-metadata';
import { CacheService } from '../../src/cache/cache.service.js';
import { JobViewsService } from '../../src/jobs/job-views.service.js';
import { createTestApp, type TestApp } from '../support/create-test-app.js';
import {
  createJob,
  createSpa,
  createUser,
  FILES,
  snapshot,
  type TestUser,
} from '../support/factories.js';

/** Every HTTP cache key the app asks for from now on (call once per app). */
function recordCacheKeys(t: TestApp): Set<string> {
  const cache = t.app.get(CacheService);
  const wrap = cache.wrap.bind(cache);
  const keys = new Set<string>();
  vi.spyOn(cache, 'wrap').mockImplementation((key, ...rest) => {
    if (key.startsWith('http:')) keys.add(key);
    return wrap(key, ...rest);
  });
  // the cache's fast path reads learned URLs' entries without wrap
  const peek = cache.peek.bind(cache);
  vi.spyOn(cache, 'peek').mockImplementation((key, ...rest) => {
    if (key.startsWith('http:')) keys.add(key);
    return peek(key, ...rest);
  });
  return keys;
}

const remaining = (res: { headers: Record<string, string> }) =>
  res.headers['ratelimit-remaining'] === undefined
    ? undefined
    : Number(res.headers['ratelimit-remaining']);

describe('the edges: every spelling of a path is refused or routed, counted and cached once', () => {
  let t: TestApp;
  let owner: TestUser;
  let job: { id: number; slug: string };
  let keys: Set<string>;

  beforeAll(async () => {
    t = await createTestApp({
      env: {
        RATE_LIMIT_ENABLED: 'true',
        RATE_LIMIT_PER_MINUTE: '1000',
        CORS_ORIGINS: 'https://a.example',
      },
    });
    owner = await createUser(t, 'employer');
    const spa = await createSpa(t, owner);
    job = await createJob(t, owner, spa.id, { title: 'Edge Case Esthetician' });
    keys = recordCacheKeys(t);
  });
  afterAll(() => t.close());

  it('path-variant table: status, JSON body, counted by the limiter, no new cache entry', async () => {
    // the canonical requests make the only entries the variants may share
    await t.http.get('/api/v1/states').expect(200);
    await t.http.get(`/api/v1/jobs/${job.id}`).expect(200);
    await t.http.get('/api/v1/jobs').expect(200);
    await t.http.get('/api/v1/jobs?limit=5&q=esthetician').expect(200);
    keys.clear();
    const canonical = new Set<string>();
    for (const path of [
      '/api/v1/states',
      `/api/v1/jobs/${job.id}`,
      '/api/v1/jobs',
      '/api/v1/jobs?limit=5&q=esthetician',
    ]) {
      expect((await t.http.get(path).expect(200)).headers['x-cache']).toBe('HIT');
    }
    for (const k of keys) canonical.add(k);
    expect(canonical.size).toBe(4);

    // [path, status, code, routed (so counted), a HIT on a canonical entry]
    const table: Array<[string, number, string | null, boolean, boolean]> = [
      ['/API/v1/states', 404, 'NOT_FOUND', false, false],
      ['/api/V1/states', 404, 'NOT_FOUND', false, false],
      ['/api/v1/STATES', 404, 'NOT_FOUND', false, false],
      ['/api/v1/states/', 404, 'NOT_FOUND', false, false],
      ['/api/v1//states', 404, 'NOT_FOUND', false, false],
      ['//api/v1/states', 404, 'NOT_FOUND', false, false],
      ['/api/v1/./states', 404, 'NOT_FOUND', false, false],
      ['/api/v1/x/../states', 404, 'NOT_FOUND', false, false],
      ['/api%2Fv1/states', 404, 'NOT_FOUND', false, false],
      ['/api/v1%2Fstates', 404, 'NOT_FOUND', false, false],
      [`/api/v1/jobs%2F${job.id}`, 404, 'NOT_FOUND', false, false],
      [`/API/v1/jobs/${job.id}`, 404, 'NOT_FOUND', false, false],
      [`/api/v1/jobs/${job.id}/`, 404, 'NOT_FOUND', false, false],
      [`/api/v1/jobs/0${job.id}`, 200, null, true, true],
      [`/api/v1/jobs/00${job.id}`, 200, null, true, true],
      [`/api/v1/jobs/x%2F${job.id}`, 404, 'NOT_FOUND', true, false],
      ['/api/v1/jobs?q=&cityId=&stateId=', 200, null, true, true],
      ['/api/v1/jobs?cursor=', 200, null, true, true],
      ['/api/v1/jobs?q=esthetician&limit=5', 200, null, true, true],
      ['/api/v1/jobs?limit=05&q=esthetician', 200, null, true, true],
      ['/api/v1/jobs?limit=%205&q=%20esthetician%20', 200, null, true, true],
      ['/api/v1/jobs?limit=5&q=esthetician&cityId=', 200, null, true, true],
      ['/api/v1/jobs?limit=5&limit=5', 400, 'VALIDATION_FAILED', true, false],
      ['/api/v1/jobs?LIMIT=5', 400, 'VALIDATION_FAILED', true, false],
      ['/api/v1/states?__proto__=1', 400, 'VALIDATION_FAILED', true, false],
      ['/api/v1/states?__proto__[x]=1', 400, 'VALIDATION_FAILED', true, false],
      ['/api/v1/states?constructor=1', 400, 'VALIDATION_FAILED', true, false],
      ['/api/v1/states?prototype=1', 400, 'VALIDATION_FAILED', true, false],
      ['/api/v1/states?utm_source=x', 400, 'VALIDATION_FAILED', true, false],
    ];
    for (const [path, status, code, routed, hit] of table) {
      const before = remaining(await t.http.get('/api/v1/states').expect(200))!;
      const res = await t.http.get(path);
      const after = remaining(await t.http.get('/api/v1/states').expect(200))!;
      const row = { path, status: res.status, code: res.body.code, counted: before - after === 2 };
      expect(row).toEqual({ path, status, code: code ?? undefined, counted: routed });
      expect(res.headers['content-type'], path).toMatch(/^application\/json/);
      if (status >= 400) {
        expect(res.body, path).toMatchObject({ statusCode: status, requestId: expect.any(String) });
        expect(res.headers['x-cache'], path).toBeUndefined();
      }
      expect(res.headers['x-cache'] === 'HIT', path).toBe(hit);
    }
    expect([...keys].filter((k) => !canonical.has(k))).toEqual([]);
  });

  describe('with a tight login limit and no CORS', () => {
    let l: TestApp;
    beforeAll(async () => {
      l = await createTestApp({
        env: { RATE_LIMIT_ENABLED: 'true', LOGIN_RATE_LIMIT_PER_MINUTE: '2' },
      });
    });
    afterAll(() => l.close());

    it('the login limit has no way around it: the variants are 404s, the route is counted', async () => {
      const user = await createUser(l);
      const attempt = (path: string) =>
        l.http.post(path).send({ email: user.email, password: 'wrong-password-guess' });
      await attempt('/api/v1/auth/login').expect(401);
      await attempt('/api/v1/auth/login').expect(401);
      for (const path of [
        '/API/v1/auth/login',
        '/api/v1/AUTH/login',
        '/api/v1/auth/login/',
        '/api/v1/auth//login',
        '/api/v1/auth/./login',
        '/api/v1/auth%2Flogin',
      ]) {
        const res = await attempt(path);
        expect([path, res.status, res.body.code]).toEqual([path, 404, 'NOT_FOUND']);
      }
      const res = await l.http
        .post('/api/v1/auth/login')
        .send({ email: user.email, password: user.password });
      expect(res.status).toBe(429);
      expect(res.body.message).toContain('login');
    });

    it('answers OPTIONS on a known path with its Allow list', async () => {
      const res = await l.http.options('/health/live').expect(204);
      expect(res.headers.allow).toBe('GET, HEAD');
    });
  });

  describe('404, 405 and 415 are JSON', () => {
    it.each([
      ['/nope'],
      ['/uploads/missing.png'],
      ['/uploads/'],
      ['/uploads/spas'],
      ['/UPLOADS/x.png'],
    ])('%s is a JSON 404', async (path) => {
      const res = await t.http.get(path).expect(404);
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      expect(res.body).toMatchObject({
        statusCode: 404,
        code: 'NOT_FOUND',
        requestId: expect.any(String),
      });
    });

    it.each([
      ['delete', '/health', 'GET, HEAD'],
      ['patch', '/api/v1/auth/register', 'POST'],
      ['post', '/health/live', 'GET, HEAD'],
      ['put', '/api/v1/jobs/1', 'GET, HEAD, PATCH, DELETE'],
      ['get', '/api/v1/auth/login', 'POST'],
    ] as const)('%s %s is a 405 with Allow: %s', async (method, path, allow) => {
      const res = await t.http[method](path).expect(405);
      expect(res.headers.allow).toBe(allow);
      expect(res.body).toMatchObject({ statusCode: 405, code: 'METHOD_NOT_ALLOWED' });
    });

    it('refuses a body that is not JSON on a JSON route with 415, writing nothing', async () => {
      const before = await snapshot(t);
      const text = await t.http
        .post('/api/v1/auth/login')
        .set('Content-Type', 'text/plain')
        .send('email=a@b.c')
        .expect(415);
      expect(text.body).toMatchObject({ code: 'UNSUPPORTED_MEDIA_TYPE' });
      expect(text.body.message).toContain('application/json');
      await t.http
        .post('/api/v1/auth/register')
        .type('form')
        .send({ email: 'form@example.test', password: 'a-long-form-password', fullName: 'Form' })
        .expect(415);
      await t.http
        .post('/api/v1/spas')
        .set('Authorization', owner.auth)
        .field('name', 'Multipart Spa')
        .expect(415);
      expect(await snapshot(t)).toEqual(before);
    });

    it('takes multipart on the routes that take files', async () => {
      const spa = await createSpa(t, owner);
      const res = await t.http
        .post(`/api/v1/spas/${spa.id}/images`)
        .set('Authorization', owner.auth)
        .attach('image', FILES.png, 'a.png');
      expect(res.status).toBe(201);
      const seeker = await createUser(t);
      const applied = await t.http
        .post(`/api/v1/jobs/${job.id}/applications`)
        .set('Authorization', seeker.auth)
        .field('coverLetter', 'I would love to join.')
        .attach('resume', FILES.pdf, 'cv.pdf');
      expect(applied.status).toBe(201);
    });
  });

  describe('bodies too deep or too large', () => {
    const nested = (depth: number) => '{"a":'.repeat(depth - 1) + '{}' + '}'.repeat(depth - 1);

    it.each([[33], [1500], [40_000]])(
      'a body %i levels deep is a 400 naming the depth',
      async (depth) => {
        const res = await t.http
          .post('/api/v1/auth/login')
          .set('Content-Type', 'application/json')
          .send(depth > 1000 ? '['.repeat(depth) + ']'.repeat(depth) : nested(depth))
          .expect(400);
        expect(res.body).toMatchObject({ code: 'BODY_TOO_DEEP' });
        expect(res.body.message).toContain('32 levels');
      },
    );

    it('lets 32 levels through to validation', async () => {
      const res = await t.http
        .post('/api/v1/auth/login')
        .set('Content-Type', 'application/json')
        .send(nested(32))
        .expect(400);
      expect(res.body.code).toBe('VALIDATION_FAILED');
    });

    it('answers a body over 100 kB with 413 naming the limit', async () => {
      const res = await t.http
        .post('/api/v1/auth/login')
        .send({ email: 'a@b.c', password: 'x'.repeat(110_000) })
        .expect(413);
      expect(res.body).toMatchObject({ code: 'PAYLOAD_TOO_LARGE' });
      expect(res.body.message).toContain('100kb');
    });

    it('refuses a __proto__ key at any depth, creating nothing', async () => {
      const before = await snapshot(t);
      const body =
        '{"email":"proto@example.test","password":"a-long-proto-password","fullName":"P",' +
        '"profile":{"__proto__":{"role":"admin"}}}';
      const res = await t.http
        .post('/api/v1/auth/register')
        .set('Content-Type', 'application/json')
        .send(body)
        .expect(400);
      expect(res.body.details).toEqual([{ field: '__proto__', message: expect.any(String) }]);
      expect(await snapshot(t)).toEqual(before);
    });
  });

  it('treats empty query values as not given on every list route', async () => {
    const admin = await createUser(t, 'admin');
    for (const [path, auth] of [
      ['/api/v1/jobs?q=&cityId=&stateId=&categoryId=&cursor=&limit=', undefined],
      ['/api/v1/spas?q=&stateId=&cityId=&cursor=', undefined],
      ['/api/v1/cities?stateId=&q=&limit=', undefined],
      ['/api/v1/users?q=&role=&cursor=', admin.auth],
    ] as const) {
      const req = t.http.get(path);
      if (auth) req.set('Authorization', auth);
      const res = await req;
      expect([path, res.status]).toEqual([path, 200]);
      expect(res.body.data.length).toBeGreaterThan(0);
    }
  });

  describe('headers', () => {
    it('marks every caller-dependent answer no-store, errors and auth answers included', async () => {
      const me = await t.http.get('/api/v1/users/me').set('Authorization', owner.auth).expect(200);
      expect(me.headers['cache-control']).toBe('no-store');
      const denied = await t.http.get('/api/v1/users').set('Authorization', owner.auth);
      expect(denied.status).toBe(403);
      expect(denied.headers['cache-control']).toBe('no-store');
      const anonymous = await t.http.get('/api/v1/users/me').expect(401);
      expect(anonymous.headers['cache-control']).toBe('no-store');
      const login = await t.http
        .post('/api/v1/auth/login')
        .send({ email: owner.email, password: owner.password })
        .expect(200);
      expect(login.headers['cache-control']).toBe('no-store');
      const register = await t.http
        .post('/api/v1/auth/register')
        .send({
          email: `h-${Date.now()}@example.test`,
          password: 'a-long-header-password',
          fullName: 'H',
        })
        .expect(201);
      expect(register.headers['cache-control']).toBe('no-store');
      const missing = await t.http.get('/api/v1/jobs/999999').expect(404);
      expect(missing.headers['cache-control']).toBe('no-store');
    });

    it('adds Accept-Encoding to Vary on cached GETs, keeping CORS’ Origin', async () => {
      for (const path of ['/api/v1/states', '/api/v1/job-categories', `/api/v1/jobs/${job.id}`]) {
        for (let i = 0; i < 2; i++) {
          const res = await t.http.get(path).set('Origin', 'https://a.example').expect(200);
          const vary = res.headers.vary.split(/\s*,\s*/).map((v: string) => v.toLowerCase());
          expect(vary).toEqual(expect.arrayContaining(['origin', 'accept-encoding']));
          expect(res.headers['cache-control']).toBe('public, no-cache');
          expect(res.headers['access-control-allow-origin']).toBe('https://a.example');
        }
      }
    });

    it('serves HEAD from the cache with no body, and a HEAD never counts a view', async () => {
      const views = t.app.get(JobViewsService);
      const target = await createJob(t, owner, (await createSpa(t, owner)).id);
      const viewCount = async () => {
        await views.flush();
        const [row] = await t.db.query('SELECT view_count FROM jobs WHERE id = $1', [target.id]);
        return Number(row.view_count);
      };
      keys.clear();
      const head = await t.http.head(`/api/v1/jobs/${target.id}`).expect(200);
      expect(head.headers['x-cache']).toBe('MISS');
      expect(head.text ?? '').toBe('');
      const get = await t.http.get(`/api/v1/jobs/${target.id}`).expect(200);
      expect(get.headers['x-cache']).toBe('HIT');
      expect(head.headers['content-length']).toBe(get.headers['content-length']);
      for (let i = 0; i < 5; i++) {
        const again = await t.http.head(`/api/v1/jobs/${target.slug}`).expect(200);
        expect(again.headers['x-cache']).toBe(i === 0 ? 'MISS' : 'HIT');
      }
      expect(await viewCount()).toBe(1);
      expect(keys.size).toBe(2); // by id and by slug, HEAD and GET alike
    });
  });
});

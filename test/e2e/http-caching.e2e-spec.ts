import { JobViewsService } from '../../src/jobs/job-views.service.js';
import { createTestApp, type TestApp } from '../support/create-test-app.js';
import { createJob, createSpa, createUser, type TestUser } from '../support/factories.js';

describe('HTTP caching: ETag and If-None-Match (memory, or Redis when REDIS_URL is set)', () => {
  let t: TestApp;
  let owner: TestUser;
  let admin: TestUser;
  let spa: { id: number; slug: string };
  let job: { id: number; slug: string };

  beforeAll(async () => {
    // the limiter on (through Redis when REDIS_URL is set), with room for the whole file
    t = await createTestApp({
      env: {
        RATE_LIMIT_ENABLED: 'true',
        RATE_LIMIT_PER_MINUTE: '10000',
        RATE_LIMIT_PER_HOUR: '100000',
      },
    });
    owner = await createUser(t, 'employer', 'Etag Owner');
    admin = await createUser(t, 'admin', 'Etag Admin');
    spa = await createSpa(t, owner, { name: 'Etag Spa' });
    job = await createJob(t, owner, spa.id, { title: 'Etag Massage Therapist' });
  });
  afterAll(() => t.close());

  const viewsOf = async (id: number) => {
    await t.app.get(JobViewsService).flush();
    const [row] = await t.db.query('SELECT view_count FROM jobs WHERE id = $1', [id]);
    return Number(row.view_count);
  };

  const cachedGets = () => [
    '/api/v1/jobs?limit=5',
    `/api/v1/jobs/${job.id}`,
    `/api/v1/jobs/${job.slug}`,
    '/api/v1/spas',
    `/api/v1/spas/${spa.id}`,
    '/api/v1/states',
    '/api/v1/cities?limit=5',
    '/api/v1/job-categories',
  ];

  it('gives every cached public GET a strong ETag and answers its If-None-Match with a bodiless 304', async () => {
    for (const path of cachedGets()) {
      const first = await t.http.get(path).expect(200);
      const etag = first.headers.etag;
      expect(etag, path).toMatch(/^"[A-Za-z0-9_-]+(-gzip)?"$/);
      // the same entry served again (a hit) carries the same validator
      const hit = await t.http.get(path).expect(200);
      expect(hit.headers['x-cache']).toBe('HIT');
      expect(hit.headers.etag).toBe(etag);

      const revalidated = await t.http.get(path).set('If-None-Match', etag).expect(304);
      expect(revalidated.text ?? '', path).toBe('');
      expect(revalidated.headers['content-length'] ?? '0').toBe('0');
      expect(revalidated.headers['content-type']).toBeUndefined();
      expect(revalidated.headers.etag).toBe(etag);
      expect(revalidated.headers['cache-control']).toBe('public, no-cache');
      expect(revalidated.headers.vary.toLowerCase()).toContain('accept-encoding');

      // weak comparison, lists and * (RFC 9110); another tag is a full answer
      await t.http.get(path).set('If-None-Match', `"nope", W/${etag}`).expect(304);
      await t.http.get(path).set('If-None-Match', '*').expect(304);
      const other = await t.http.get(path).set('If-None-Match', '"nope"').expect(200);
      expect(other.body).toEqual(first.body);
    }
  });

  it('gives the gzip and identity codings of one entry different validators', async () => {
    const gz = await t.http.get('/api/v1/states').set('Accept-Encoding', 'gzip').expect(200);
    const plain = await t.http.get('/api/v1/states').set('Accept-Encoding', 'identity').expect(200);
    expect(gz.headers['content-encoding']).toBe('gzip');
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(gz.headers.etag).toBe(plain.headers.etag.replace(/"$/, '-gzip"'));
    expect(plain.body).toEqual(gz.body);
    await t.http
      .get('/api/v1/states')
      .set('Accept-Encoding', 'identity')
      .set('If-None-Match', gz.headers.etag)
      .expect(200);
    await t.http
      .get('/api/v1/states')
      .set('Accept-Encoding', 'identity')
      .set('If-None-Match', plain.headers.etag)
      .expect(304);
  });

  it('answers the old ETag after a write with a 200, the new body and a new ETag', async () => {
    const paths = [
      `/api/v1/jobs/${job.id}`,
      `/api/v1/jobs?spaId=${spa.id}`,
      `/api/v1/spas/${spa.id}`,
    ];
    const before = await Promise.all(paths.map((p) => t.http.get(p).expect(200)));
    await t.http
      .patch(`/api/v1/jobs/${job.id}`)
      .set('Authorization', owner.auth)
      .send({ title: 'Senior Etag Massage Therapist' })
      .expect(200);
    await t.http
      .patch(`/api/v1/spas/${spa.id}`)
      .set('Authorization', owner.auth)
      .send({ name: 'Renamed Etag Spa' })
      .expect(200);
    for (const [i, path] of paths.entries()) {
      const after = await t.http.get(path).set('If-None-Match', before[i].headers.etag).expect(200);
      expect(after.headers.etag).not.toBe(before[i].headers.etag);
      expect(after.headers['x-cache']).toBe('MISS');
      expect(JSON.stringify(after.body)).toContain('Renamed Etag Spa');
      await t.http.get(path).set('If-None-Match', after.headers.etag).expect(304);
    }
    const detail = await t.http.get(`/api/v1/jobs/${job.id}`).expect(200);
    expect(detail.body.title).toBe('Senior Etag Massage Therapist');

    // reference data: an admin rename reaches the next revalidation too
    const states = await t.http.get('/api/v1/states').expect(200);
    const state = states.body.data[0] as { id: number; name: string };
    await t.http
      .patch(`/api/v1/states/${state.id}`)
      .set('Authorization', admin.auth)
      .send({ name: `${state.name} Renamed` })
      .expect(200);
    const renamed = await t.http
      .get('/api/v1/states')
      .set('If-None-Match', states.headers.etag)
      .expect(200);
    expect(renamed.body.data.map((s: { name: string }) => s.name)).toContain(
      `${state.name} Renamed`,
    );
  });

  it('counts a 304 against the rate limit like any request', async () => {
    const first = await t.http.get('/api/v1/job-categories').expect(200);
    let remaining = Number(first.headers['ratelimit-remaining']);
    for (let i = 0; i < 3; i++) {
      const res = await t.http
        .get('/api/v1/job-categories')
        .set('If-None-Match', first.headers.etag)
        .expect(304);
      expect(Number(res.headers['ratelimit-remaining'])).toBe(remaining - 1);
      remaining -= 1;
    }
  });

  it('counts one view per job-detail 304 and none for HEAD, conditional or not', async () => {
    const target = await createJob(t, owner, spa.id, { title: 'Viewed Etag Therapist' });
    const start = await viewsOf(target.id);
    const first = await t.http.get(`/api/v1/jobs/${target.id}`).expect(200);
    await t.http
      .get(`/api/v1/jobs/${target.id}`)
      .set('If-None-Match', first.headers.etag)
      .expect(304);
    await t.http
      .get(`/api/v1/jobs/${target.slug}`)
      .set('If-None-Match', first.headers.etag)
      .expect(304);
    expect(await viewsOf(target.id)).toBe(start + 3);

    const head = await t.http.head(`/api/v1/jobs/${target.id}`).expect(200);
    expect(head.headers.etag).toBe(first.headers.etag);
    await t.http
      .head(`/api/v1/jobs/${target.id}`)
      .set('If-None-Match', first.headers.etag)
      .expect(304);
    expect(await viewsOf(target.id)).toBe(start + 3);
  });

  it('times and counts a hit answered before the router under its route pattern', async () => {
    const path = `/api/v1/spas/${spa.slug}`;
    await t.http.get(path).expect(200);
    const count = async () => {
      const text = (await t.http.get('/metrics').expect(200)).text;
      const line = text
        .split('\n')
        .find(
          (l) =>
            l.startsWith('http_request_duration_seconds_count{') &&
            l.includes('route="/api/v1/spas/:idOrSlug"') &&
            l.includes('status="200"'),
        );
      return Number(line?.split(' ').pop() ?? 0);
    };
    const before = await count();
    for (let i = 0; i < 4; i++) {
      expect((await t.http.get(path).expect(200)).headers['x-cache']).toBe('HIT');
    }
    await t.http.get(path).set('If-None-Match', '*').expect(304);
    expect(await count()).toBe(before + 4);
  });

  it('gives no validator to responses that are not cached (no-store stays no-store)', async () => {
    const mine = await t.http.get('/api/v1/jobs/mine').set('Authorization', owner.auth).expect(200);
    expect(mine.headers['cache-control']).toBe('no-store');
    expect(mine.headers.etag).toBeUndefined();
    const missing = await t.http.get('/api/v1/jobs/999999999').expect(404);
    expect(missing.headers.etag).toBeUndefined();
  });
});

describe('HTTP caching under a used-up limit', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({
      env: { RATE_LIMIT_ENABLED: 'true', RATE_LIMIT_PER_MINUTE: '5', RATE_LIMIT_PER_HOUR: '100' },
    });
  });
  afterAll(() => t.close());

  it('answers a cached URL 429 once the budget is spent, 304s and hits included', async () => {
    const first = await t.http.get('/api/v1/states').expect(200);
    await t.http.get('/api/v1/states').expect(200);
    await t.http.get('/api/v1/states').set('If-None-Match', first.headers.etag).expect(304);
    await t.http.head('/api/v1/states').expect(200);
    await t.http.get('/api/v1/states').set('If-None-Match', first.headers.etag).expect(304);
    const refused = await t.http.get('/api/v1/states').set('If-None-Match', first.headers.etag);
    expect(refused.status).toBe(429);
    expect(refused.body.code).toBe('RATE_LIMITED');
    expect(refused.headers['retry-after']).toMatch(/^\d+$/);
    expect(refused.headers.etag).toBeUndefined();
    expect(refused.headers['ratelimit-remaining']).toBe('0');
  });
});

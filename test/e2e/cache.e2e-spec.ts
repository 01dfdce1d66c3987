import { createTestApp, type TestApp } from '../support/create-test-app.js';
import { createJob, createSpa, createUser, type TestUser } from '../support/factories.js';
import { queriesDuring } from '../support/files.js';

describe('HTTP cache (memory, or Redis when REDIS_URL is set)', () => {
  let t: TestApp;
  let owner: TestUser;
  let spa: { id: number; slug: string };
  let job: { id: number; slug: string };

  beforeAll(async () => {
    t = await createTestApp();
    owner = await createUser(t, 'employer', 'Cache Owner');
    spa = await createSpa(t, owner, { name: 'Cache Spa' });
    job = await createJob(t, owner, spa.id, { title: 'Cached Massage Therapist' });
  });
  afterAll(() => t.close());

  it.each([
    ['/api/v1/states'],
    ['/api/v1/job-categories'],
    ['/api/v1/cities?limit=5'],
    ['/api/v1/jobs?limit=5'],
    ['/api/v1/spas?sort=rating'],
  ])('answers %s with X-Cache MISS, then HIT with the same body', async (path) => {
    const first = await t.http.get(path).expect(200);
    const second = await t.http.get(path).expect(200);
    expect(first.headers['x-cache']).toBe('MISS');
    expect(second.headers['x-cache']).toBe('HIT');
    expect(second.headers['content-type']).toMatch(/^application\/json/);
    expect(second.body).toEqual(first.body);
  });

  it('keys on the normalized query: same parameters in another order are the same entry', async () => {
    await t.http.get(`/api/v1/jobs?spaId=${spa.id}&sort=salary&limit=3`).expect(200);
    const swapped = await t.http
      .get(`/api/v1/jobs?limit=3&sort=salary&spaId=${spa.id}`)
      .expect(200);
    expect(swapped.headers['x-cache']).toBe('HIT');
  });

  it('shows a write on the very next read (job and spa, lists and details)', async () => {
    await t.http.get(`/api/v1/jobs/${job.id}`).expect(200);
    await t.http.get(`/api/v1/jobs?spaId=${spa.id}`).expect(200);
    await t.http
      .patch(`/api/v1/jobs/${job.id}`)
      .set('Authorization', owner.auth)
      .send({ title: 'Senior Cached Massage Therapist' })
      .expect(200);
    expect((await t.http.get(`/api/v1/jobs/${job.id}`).expect(200)).body.title).toBe(
      'Senior Cached Massage Therapist',
    );
    const list = await t.http.get(`/api/v1/jobs?spaId=${spa.id}`).expect(200);
    expect(list.headers['x-cache']).toBe('MISS');
    expect(list.body.data[0].title).toBe('Senior Cached Massage Therapist');

    // job payloads embed their spa: a spa write reaches cached job responses too
    await t.http
      .patch(`/api/v1/spas/${spa.id}`)
      .set('Authorization', owner.auth)
      .send({ name: 'Renamed Cache Spa' })
      .expect(200);
    expect((await t.http.get(`/api/v1/jobs/${job.id}`).expect(200)).body.spa.name).toBe(
      'Renamed Cache Spa',
    );
    expect((await t.http.get(`/api/v1/spas/${spa.id}`).expect(200)).body.name).toBe(
      'Renamed Cache Spa',
    );

    await t.http.delete(`/api/v1/jobs/${job.id}`).set('Authorization', owner.auth).expect(204);
    await t.http.get(`/api/v1/jobs/${job.id}`).expect(404);
    const after = await t.http.get(`/api/v1/jobs?spaId=${spa.id}`).expect(200);
    expect(after.body.data.map((j: { id: number }) => j.id)).not.toContain(job.id);
  });

  it('never serves a per-user response to another user', async () => {
    const a = await createUser(t, 'job_seeker', 'Alice Private');
    const b = await createUser(t, 'job_seeker', 'Bob Private');
    const meA = await t.http.get('/api/v1/users/me').set('Authorization', a.auth).expect(200);
    const meB = await t.http.get('/api/v1/users/me').set('Authorization', b.auth).expect(200);
    expect(meA.body.email).toBe(a.email);
    expect(meB.body.email).toBe(b.email);
    expect(meA.headers['x-cache']).toBeUndefined();
    expect(meB.headers['x-cache']).toBeUndefined();
    await t.http.get('/api/v1/users/me').expect(401);

    // a cached public route ignores the caller entirely: same body with or without a token
    const anonymous = await t.http.get('/api/v1/jobs?limit=2').expect(200);
    const withToken = await t.http
      .get('/api/v1/jobs?limit=2')
      .set('Authorization', a.auth)
      .expect(200);
    const badToken = await t.http
      .get('/api/v1/jobs?limit=2')
      .set('Authorization', 'Bearer nonsense')
      .expect(200);
    expect(withToken.body).toEqual(anonymous.body);
    expect(badToken.body).toEqual(anonymous.body);
    expect(JSON.stringify(withToken.body)).not.toContain(a.email);
  });

  it('loads 100 concurrent cold requests for one list with one database query', async () => {
    const other = await createSpa(t, owner, { name: 'Crowd Spa' });
    for (let i = 0; i < 3; i++) await createJob(t, owner, other.id, { title: `Crowd Job ${i}` });
    const path = `/api/v1/jobs?spaId=${other.id}&sort=newest&limit=20`;
    const responses: Array<{ status: number; body: { data: unknown[] } }> = [];
    const sql = await queriesDuring(async () => {
      responses.push(...(await Promise.all(Array.from({ length: 100 }, () => t.http.get(path)))));
    });
    expect(responses.every((r) => r.status === 200 && r.body.data.length === 3)).toBe(true);
    expect(sql).toHaveLength(1);
    expect(sql[0]).toContain('FROM "jobs"');
  });

  it('caches service results with @CacheResult (a city lookup costs one query)', async () => {
    const s1 = await createSpa(t, owner, { name: 'Lookup One', cityId: 42 });
    const sql = await queriesDuring(() => createSpa(t, owner, { name: 'Lookup Two', cityId: 42 }));
    expect(s1.city).toMatchObject({ id: 42 });
    expect(sql.filter((q) => q.includes('FROM "cities"'))).toHaveLength(0);
  });
});

describe('compression', () => {
  let t: TestApp;
  let admin: TestUser;

  beforeAll(async () => {
    t = await createTestApp();
    admin = await createUser(t, 'admin');
    const owner = await createUser(t, 'employer');
    const spa = await createSpa(t, owner);
    for (let i = 0; i < 12; i++)
      await createJob(t, owner, spa.id, { title: `Compressed Job Number ${i}` });
    for (let i = 0; i < 8; i++) await createUser(t, 'job_seeker', `Listed User ${i}`);
  });
  afterAll(() => t.close());

  it('gzips bodies of 1024 bytes or more, cached (MISS and HIT) or not', async () => {
    for (const expected of ['MISS', 'HIT']) {
      const res = await t.http
        .get('/api/v1/jobs?limit=12')
        .set('Accept-Encoding', 'gzip')
        .expect(200);
      expect(res.headers['x-cache']).toBe(expected);
      expect(res.headers['content-encoding']).toBe('gzip');
      expect(res.headers.vary).toMatch(/Accept-Encoding/i);
      expect(res.body.data).toHaveLength(12);
    }
    const users = await t.http
      .get('/api/v1/users?limit=100')
      .set('Authorization', admin.auth)
      .set('Accept-Encoding', 'gzip');
    expect(users.status).toBe(200);
    expect(users.body.data.length).toBeGreaterThanOrEqual(10);
    expect(users.headers['content-encoding']).toBe('gzip');
  });

  it('sends small bodies plain', async () => {
    const small = await t.http
      .get('/api/v1/cities?limit=1')
      .set('Accept-Encoding', 'gzip')
      .expect(200);
    expect(Number(small.headers['content-length'])).toBeLessThan(1024);
    expect(small.headers['content-encoding']).toBeUndefined();
    const me = await t.http
      .get('/api/v1/users/me')
      .set('Authorization', admin.auth)
      .set('Accept-Encoding', 'gzip');
    expect(me.headers['content-encoding']).toBeUndefined();
  });

  it('sends plain JSON to clients that do not accept gzip', async () => {
    const res = await t.http
      .get('/api/v1/jobs?limit=12')
      .set('Accept-Encoding', 'identity')
      .expect(200);
    expect(res.headers['content-encoding']).toBeUndefined();
    expect(Number(res.headers['content-length'])).toBeGreaterThanOrEqual(1024);
    expect(res.body.data).toHaveLength(12);
  });
});

import { JobExpiryService } from '../../src/jobs/job-expiry.service.js';
import { createTestApp, type TestApp } from '../support/create-test-app.js';
import { createJob, createSpa, createUser, snapshot, type TestUser } from '../support/factories.js';

/**
 * The job lifecycle: a job posted without an expiry gets JOB_TTL_DAYS; when it expires it leaves
 * lists, search and the HTTP cache as soon as the expiry scan runs (not a cache TTL later), and
 * its detail answers 410 Gone naming it; a renewal brings it back. The app runs without workers,
 * so no scheduled scan runs behind the test's back: the test runs the scan's handler itself.
 */

const TTL_DAYS = 7;
const DAY_MS = 86_400_000;

interface Listed {
  id: number;
}

describe('job lifecycle', () => {
  let t: TestApp;
  let owner: TestUser;
  let other: TestUser;
  let admin: TestUser;
  let spa: { id: number; slug: string; name?: unknown };

  beforeAll(async () => {
    t = await createTestApp({
      env: { JOB_TTL_DAYS: String(TTL_DAYS), WORKERS_ENABLED: 'false', CACHE_TTL_SECONDS: '3600' },
    });
    owner = await createUser(t, 'employer', 'Olga Owner');
    other = await createUser(t, 'employer', 'Otto Other');
    admin = await createUser(t, 'admin', 'Ada Admin');
    spa = await createSpa(t, owner, { name: 'Lifecycle Day Spa' });
  });
  afterAll(() => t?.close());

  const list = (query: Record<string, string | number>) =>
    t.http
      .get('/api/v1/jobs')
      .query({ limit: 100, ...query })
      .expect(200);
  const ids = (res: { body: { data: Listed[] } }) => res.body.data.map((j) => j.id);
  const expireInDb = (id: number) =>
    t.db.query(`UPDATE jobs SET expires_at = now() - interval '1 second' WHERE id = $1`, [id]);
  const near = (value: string | Date, expected: number) =>
    expect(Math.abs(new Date(value).getTime() - expected)).toBeLessThan(60_000);

  it('gives a job posted without expiresAt JOB_TTL_DAYS, and so does PATCH expiresAt: null', async () => {
    const job = await createJob(t, owner, spa.id);
    near(job.expiresAt as string, Date.now() + TTL_DAYS * DAY_MS);
    const [row] = await t.db.query(`SELECT expires_at FROM jobs WHERE id = $1`, [job.id]);
    near(row.expires_at as Date, Date.now() + TTL_DAYS * DAY_MS);

    const chosen = new Date(Date.now() + 40 * DAY_MS).toISOString();
    const explicit = await createJob(t, owner, spa.id, { expiresAt: chosen });
    expect(explicit.expiresAt).toBe(chosen);
    const cleared = await t.http
      .patch(`/api/v1/jobs/${explicit.id}`)
      .set('Authorization', owner.auth)
      .send({ expiresAt: null })
      .expect(200);
    near(cleared.body.expiresAt as string, Date.now() + TTL_DAYS * DAY_MS);
  });

  it('an expired job leaves cached lists, search and its cached detail when the expiry scan runs, without a TTL wait', async () => {
    const expiring = await createJob(t, owner, spa.id, { title: 'Hammam Attendant' });
    const control = await createJob(t, owner, spa.id, { title: 'Hammam Supervisor' });
    const query = { spaId: spa.id };
    const search = { q: 'hammam' };

    // cached: the second read of each is a hit
    for (const q of [query, search]) {
      expect((await list(q)).headers['x-cache']).toBe('MISS');
      const hit = await list(q);
      expect(hit.headers['x-cache']).toBe('HIT');
      expect(ids(hit)).toEqual(expect.arrayContaining([expiring.id, control.id]));
    }
    await t.http.get(`/api/v1/jobs/${expiring.id}`).expect(200);
    expect((await t.http.get(`/api/v1/jobs/${expiring.id}`).expect(200)).headers['x-cache']).toBe(
      'HIT',
    );

    await expireInDb(expiring.id);
    // until the scan runs, the cache still holds what it held (CACHE_TTL_SECONDS is an hour)
    const stale = await list(query);
    expect(stale.headers['x-cache']).toBe('HIT');
    expect(ids(stale)).toContain(expiring.id);

    const expired = await t.app.get(JobExpiryService).expireDue();
    expect(expired).toContain(expiring.id);
    expect(expired).not.toContain(control.id);

    for (const q of [query, search]) {
      const fresh = await list(q);
      expect(fresh.headers['x-cache']).toBe('MISS');
      expect(ids(fresh)).toContain(control.id);
      expect(ids(fresh)).not.toContain(expiring.id);
    }
    const gone = await t.http.get(`/api/v1/jobs/${expiring.id}`).expect(410);
    expect(gone.body).toMatchObject({
      statusCode: 410,
      error: 'Gone',
      code: 'JOB_EXPIRED',
      details: {
        id: expiring.id,
        slug: expiring.slug,
        title: 'Hammam Attendant',
        expiresAt: expect.any(String),
        spa: { id: spa.id, slug: spa.slug, name: 'Lifecycle Day Spa' },
      },
    });
    await t.http.get(`/api/v1/jobs/${expiring.slug}`).expect(410);
    // its owner still reads it
    await t.http
      .get(`/api/v1/jobs/mine/${expiring.id}`)
      .set('Authorization', owner.auth)
      .expect(200);

    // dealt with once: the next scan finds nothing new
    const [row] = await t.db.query(`SELECT expiry_processed_at FROM jobs WHERE id = $1`, [
      expiring.id,
    ]);
    expect(row.expiry_processed_at).not.toBeNull();
    expect(await t.app.get(JobExpiryService).expireDue()).not.toContain(expiring.id);
  });

  it('a closed job stays a 404, expired or not', async () => {
    const job = await createJob(t, owner, spa.id);
    await t.http.delete(`/api/v1/jobs/${job.id}`).set('Authorization', owner.auth).expect(204);
    expect((await t.http.get(`/api/v1/jobs/${job.id}`).expect(404)).body.code).toBe(
      'JOB_NOT_FOUND',
    );
    await expireInDb(job.id);
    expect((await t.http.get(`/api/v1/jobs/${job.id}`).expect(404)).body.code).toBe(
      'JOB_NOT_FOUND',
    );
  });

  it('renewing brings an expired job back in lists and detail for another JOB_TTL_DAYS', async () => {
    const job = await createJob(t, owner, spa.id, { title: 'Banya Host' });
    await expireInDb(job.id);
    await t.app.get(JobExpiryService).expireDue();
    await list({ spaId: spa.id });
    expect(ids(await list({ spaId: spa.id }))).not.toContain(job.id); // cached without it
    await t.http.get(`/api/v1/jobs/${job.id}`).expect(410);

    const renewed = await t.http
      .post(`/api/v1/jobs/${job.id}/renew`)
      .set('Authorization', owner.auth)
      .expect(200);
    expect(renewed.body).toMatchObject({ id: job.id, isActive: true, closedByAdmin: false });
    near(renewed.body.expiresAt as string, Date.now() + TTL_DAYS * DAY_MS);
    const [row] = await t.db.query(
      `SELECT expires_at, expiry_processed_at FROM jobs WHERE id = $1`,
      [job.id],
    );
    near(row.expires_at as Date, Date.now() + TTL_DAYS * DAY_MS);
    expect(row.expiry_processed_at).toBeNull(); // its next expiry will be seen

    expect(ids(await list({ spaId: spa.id }))).toContain(job.id);
    expect((await t.http.get(`/api/v1/jobs/${job.id}`).expect(200)).body.title).toBe('Banya Host');
  });

  it('a job an admin closed is renewed by an admin only; another employer may not renew', async () => {
    const job = await createJob(t, owner, spa.id);
    await t.http.delete(`/api/v1/jobs/${job.id}`).set('Authorization', admin.auth).expect(204);
    const before = await snapshot(t);
    const refused = await t.http
      .post(`/api/v1/jobs/${job.id}/renew`)
      .set('Authorization', owner.auth)
      .expect(403);
    expect(refused.body.code).toBe('JOB_CLOSED_BY_ADMIN');
    const stranger = await t.http
      .post(`/api/v1/jobs/${job.id}/renew`)
      .set('Authorization', other.auth)
      .expect(404); // closed: another employer cannot tell it from a missing job
    expect(stranger.body.code).toBe('JOB_NOT_FOUND');
    expect(await snapshot(t)).toEqual(before);

    const byAdmin = await t.http
      .post(`/api/v1/jobs/${job.id}/renew`)
      .set('Authorization', admin.auth)
      .expect(200);
    expect(byAdmin.body).toMatchObject({ isActive: true, closedByAdmin: false });
    await t.http.get(`/api/v1/jobs/${job.id}`).expect(200);
  });

  it('refuses a bad JOB_TTL_DAYS at boot, naming it', async () => {
    const { loadConfig } = await import('../../src/config/app-config.js');
    for (const value of ['0', '366', 'soon', '1.5'])
      expect(() => loadConfig({ JOB_TTL_DAYS: value })).toThrow('JOB_TTL_DAYS');
    expect(loadConfig({}).jobs.ttlDays).toBe(30);
  });
});

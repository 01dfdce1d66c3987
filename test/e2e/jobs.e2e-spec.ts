import { JobViewsService } from '../../src/jobs/job-views.service.js';
import { createTestApp, type TestApp } from '../support/create-test-app.js';
import {
  categoryId,
  createJob,
  createSpa,
  createUser,
  snapshot,
  type TestUser,
} from '../support/factories.js';

interface JobSummary {
  id: number;
  slug: string;
  title: string;
  [k: string]: unknown;
}

/** Every item of a list, following nextCursor to the end. */
async function walk(t: TestApp, query: Record<string, string | number>): Promise<JobSummary[]> {
  const items: JobSummary[] = [];
  let cursor: string | null = null;
  do {
    const res: { body: { data: JobSummary[]; nextCursor: string | null } } = await t.http
      .get('/api/v1/jobs')
      .query({ limit: 100, ...query, ...(cursor ? { cursor } : {}) })
      .expect(200);
    items.push(...res.body.data);
    cursor = res.body.nextCursor;
  } while (cursor);
  return items;
}

async function listedIds(t: TestApp, query: Record<string, string | number> = {}) {
  return (await walk(t, query)).map((j) => j.id);
}

async function dbJob(t: TestApp, id: number): Promise<{ is_active: boolean; view_count: number }> {
  const [row] = await t.db.query(`SELECT is_active, view_count FROM jobs WHERE id = $1`, [id]);
  return row;
}

const inDays = (days: number) => new Date(Date.now() + days * 86_400_000).toISOString();

describe('jobs', () => {
  let t: TestApp;
  let employer: TestUser;
  let other: TestUser;
  let admin: TestUser;
  let seeker: TestUser;
  let spa: { id: number; slug: string };

  beforeAll(async () => {
    // views are flushed only when a test (or a shutdown) says so
    t = await createTestApp({ env: { VIEW_FLUSH_INTERVAL_MS: '600000' } });
    employer = await createUser(t, 'employer', 'Erin Employer');
    other = await createUser(t, 'employer', 'Oscar Other');
    admin = await createUser(t, 'admin', 'Ada Admin');
    seeker = await createUser(t, 'job_seeker', 'Sam Seeker');
    spa = await createSpa(t, employer, { name: 'Serenity Day Spa' });
  });
  afterAll(() => t.close());

  describe('posting and editing', () => {
    it('lets an employer post a job on their spa, readable by id and by slug', async () => {
      const category = await categoryId(t, 1);
      const res = await t.http
        .post('/api/v1/jobs')
        .set('Authorization', employer.auth)
        .send({
          spaId: spa.id,
          categoryId: category,
          title: 'Senior Esthetician',
          description: 'Perform facials and skin treatments for a loyal clientele.',
          requirements: 'State license',
          employmentType: 'part_time',
          salaryMin: 40000,
          salaryMax: 55000,
          expiresAt: inDays(30),
        })
        .expect(201);
      expect(res.body).toMatchObject({
        id: expect.any(Number),
        slug: expect.stringMatching(/^senior-esthetician-[a-z0-9-]+$/),
        title: 'Senior Esthetician',
        description: 'Perform facials and skin treatments for a loyal clientele.',
        requirements: 'State license',
        employmentType: 'part_time',
        salaryMin: 40000,
        salaryMax: 55000,
        isFeatured: false,
        isActive: true,
        viewCount: 0,
        spa: { id: spa.id, slug: spa.slug, name: 'Serenity Day Spa' },
        category: { id: category },
      });

      const [row] = await t.db.query(
        `SELECT spa_id, category_id, title, slug, salary_min, salary_max, employment_type,
                is_active, created_by
           FROM jobs WHERE id = $1`,
        [res.body.id],
      );
      expect(row).toEqual({
        spa_id: spa.id,
        category_id: category,
        title: 'Senior Esthetician',
        slug: res.body.slug,
        salary_min: 40000,
        salary_max: 55000,
        employment_type: 'part_time',
        is_active: true,
        created_by: employer.id,
      });

      // the owner's answer is the public one plus whether an admin closed it
      const { closedByAdmin, ...publicPart } = res.body as Record<string, unknown>;
      expect(closedByAdmin).toBe(false);
      const byId = await t.http.get(`/api/v1/jobs/${res.body.id}`).expect(200);
      const bySlug = await t.http.get(`/api/v1/jobs/${res.body.slug}`).expect(200);
      expect(byId.body).toEqual(publicPart);
      expect(bySlug.body).toEqual(publicPart);
    });

    it('gives every job a unique slug, even for identical titles', async () => {
      const jobs = await Promise.all(
        [1, 2, 3].map(() => createJob(t, employer, spa.id, { title: 'Spa Attendant' })),
      );
      const slugs = jobs.map((j) => j.slug);
      expect(new Set(slugs).size).toBe(3);
      for (const slug of slugs) expect(slug).toMatch(/^spa-attendant-/);
    });

    it('keeps the slug when the title changes, and refuses a slug in the body', async () => {
      const job = await createJob(t, employer, spa.id, { title: 'Nail Technician' });
      const res = await t.http
        .patch(`/api/v1/jobs/${job.id}`)
        .set('Authorization', employer.auth)
        .send({ title: 'Senior Nail Artist', salaryMin: 30000, employmentType: 'contract' })
        .expect(200);
      expect(res.body).toMatchObject({
        id: job.id,
        slug: job.slug,
        title: 'Senior Nail Artist',
        salaryMin: 30000,
        employmentType: 'contract',
      });
      const [row] = await t.db.query(`SELECT title, slug, salary_min FROM jobs WHERE id = $1`, [
        job.id,
      ]);
      expect(row).toEqual({ title: 'Senior Nail Artist', slug: job.slug, salary_min: 30000 });
      expect((await t.http.get(`/api/v1/jobs/${job.slug}`).expect(200)).body.title).toBe(
        'Senior Nail Artist',
      );

      const refused = await t.http
        .patch(`/api/v1/jobs/${job.id}`)
        .set('Authorization', employer.auth)
        .send({ slug: 'my-own-slug' })
        .expect(400);
      expect(refused.body.message).toContain('slug');
      const [after] = await t.db.query(`SELECT slug FROM jobs WHERE id = $1`, [job.id]);
      expect(after.slug).toBe(job.slug);
    });

    it('refuses salaryMin greater than salaryMax, on create and on update', async () => {
      const before = await snapshot(t);
      const res = await t.http
        .post('/api/v1/jobs')
        .set('Authorization', employer.auth)
        .send({
          spaId: spa.id,
          categoryId: await categoryId(t),
          title: 'Spa Manager',
          description: 'Run the daily operations of a busy wellness spa.',
          salaryMin: 80000,
          salaryMax: 60000,
        })
        .expect(400);
      expect(res.body).toMatchObject({ statusCode: 400, requestId: expect.any(String) });
      expect(res.body.message).toContain('salaryMin');
      expect(await snapshot(t)).toEqual(before);

      const job = await createJob(t, employer, spa.id, { salaryMin: 40000, salaryMax: 50000 });
      const patch = await t.http
        .patch(`/api/v1/jobs/${job.id}`)
        .set('Authorization', employer.auth)
        .send({ salaryMin: 70000 })
        .expect(400);
      expect(patch.body.message).toContain('salaryMin');
      const [row] = await t.db.query(`SELECT salary_min FROM jobs WHERE id = $1`, [job.id]);
      expect(row.salary_min).toBe(40000);
    });

    it('refuses an expiry in the past, on create and on update', async () => {
      const before = await snapshot(t);
      const res = await t.http
        .post('/api/v1/jobs')
        .set('Authorization', employer.auth)
        .send({
          spaId: spa.id,
          categoryId: await categoryId(t),
          title: 'Yoga Instructor',
          description: 'Lead morning and evening yoga classes for spa guests.',
          expiresAt: inDays(-1),
        })
        .expect(400);
      expect(res.body.message).toContain('expiresAt');
      expect(await snapshot(t)).toEqual(before);

      const job = await createJob(t, employer, spa.id);
      const patch = await t.http
        .patch(`/api/v1/jobs/${job.id}`)
        .set('Authorization', employer.auth)
        .send({ expiresAt: inDays(-2) })
        .expect(400);
      expect(patch.body.message).toContain('expiresAt');
      const [row] = await t.db.query(`SELECT expires_at FROM jobs WHERE id = $1`, [job.id]);
      expect(new Date(row.expires_at).toISOString()).toBe(job.expiresAt);
    });

    it('lets only admins set isFeatured', async () => {
      const before = await snapshot(t);
      const post = await t.http
        .post('/api/v1/jobs')
        .set('Authorization', employer.auth)
        .send({
          spaId: spa.id,
          categoryId: await categoryId(t),
          title: 'Spa Concierge',
          description: 'Welcome guests and arrange their treatments and stays.',
          isFeatured: true,
        })
        .expect(403);
      expect(post.body.message).toContain('isFeatured');
      expect(await snapshot(t)).toEqual(before);

      const job = await createJob(t, employer, spa.id);
      await t.http
        .patch(`/api/v1/jobs/${job.id}`)
        .set('Authorization', employer.auth)
        .send({ isFeatured: true })
        .expect(403);
      expect((await t.db.query(`SELECT is_featured FROM jobs WHERE id = $1`, [job.id]))[0]).toEqual(
        { is_featured: false },
      );

      const patched = await t.http
        .patch(`/api/v1/jobs/${job.id}`)
        .set('Authorization', admin.auth)
        .send({ isFeatured: true })
        .expect(200);
      expect(patched.body.isFeatured).toBe(true);
      expect((await t.db.query(`SELECT is_featured FROM jobs WHERE id = $1`, [job.id]))[0]).toEqual(
        { is_featured: true },
      );

      const featured = await createJob(t, admin, spa.id, { isFeatured: true });
      expect(featured.isFeatured).toBe(true);
      const listed = await listedIds(t, { featured: 'true' });
      expect(listed).toEqual(expect.arrayContaining([job.id, featured.id]));
    });

    it('lets nobody but the owner (or an admin) post on a spa or touch its jobs', async () => {
      const job = await createJob(t, employer, spa.id, { title: 'Massage Therapist' });
      const before = await snapshot(t);
      const body = {
        spaId: spa.id,
        categoryId: await categoryId(t),
        title: 'Intruder Posting',
        description: 'This job should never be created by another employer.',
      };
      await t.http.post('/api/v1/jobs').send(body).expect(401);
      await t.http.post('/api/v1/jobs').set('Authorization', seeker.auth).send(body).expect(403);
      await t.http.post('/api/v1/jobs').set('Authorization', other.auth).send(body).expect(403);
      await t.http
        .patch(`/api/v1/jobs/${job.id}`)
        .set('Authorization', other.auth)
        .send({ title: 'Hijacked' })
        .expect(403);
      await t.http.delete(`/api/v1/jobs/${job.id}`).set('Authorization', other.auth).expect(403);
      await t.http.delete(`/api/v1/jobs/${job.id}`).set('Authorization', seeker.auth).expect(403);
      expect(await snapshot(t)).toEqual(before);

      const res = await t.http
        .patch(`/api/v1/jobs/${job.id}`)
        .set('Authorization', admin.auth)
        .send({ title: 'Lead Massage Therapist' })
        .expect(200);
      expect(res.body.title).toBe('Lead Massage Therapist');
    });

    it('answers 404 for jobs that do not exist', async () => {
      await t.http.get('/api/v1/jobs/999999').expect(404);
      await t.http.get('/api/v1/jobs/no-such-job-slug').expect(404);
      await t.http
        .patch('/api/v1/jobs/999999')
        .set('Authorization', employer.auth)
        .send({ title: 'Nothing Here' })
        .expect(404);
      await t.http.delete('/api/v1/jobs/999999').set('Authorization', employer.auth).expect(404);
    });
  });

  describe('what the public sees', () => {
    it('soft-deletes a job: 204, then 404 and gone from lists, the row kept inactive', async () => {
      const job = await createJob(t, employer, spa.id, { title: 'Hydrotherapy Attendant' });
      await t.http.get(`/api/v1/jobs/${job.id}`).expect(200);
      expect(await listedIds(t, { spaId: spa.id })).toContain(job.id);

      const res = await t.http
        .delete(`/api/v1/jobs/${job.id}`)
        .set('Authorization', employer.auth)
        .expect(204);
      expect(res.text).toBe('');

      const byId = await t.http.get(`/api/v1/jobs/${job.id}`).expect(404);
      expect(byId.body).toMatchObject({ statusCode: 404, code: 'JOB_NOT_FOUND' });
      await t.http.get(`/api/v1/jobs/${job.slug}`).expect(404);
      expect(await listedIds(t)).not.toContain(job.id);
      expect(await listedIds(t, { spaId: spa.id })).not.toContain(job.id);
      expect(await listedIds(t, { q: 'hydrotherapy' })).toEqual([]);
      expect(await dbJob(t, job.id)).toMatchObject({ is_active: false });
    });

    it('hides expired jobs from lists and details', async () => {
      const expiring = await createJob(t, employer, spa.id, {
        title: 'Sauna Attendant',
        expiresAt: inDays(10),
      });
      const control = await createJob(t, employer, spa.id, {
        title: 'Sauna Attendant',
        expiresAt: inDays(10),
      });
      await t.db.query(`UPDATE jobs SET expires_at = now() - interval '1 minute' WHERE id = $1`, [
        expiring.id,
      ]);

      await t.http.get(`/api/v1/jobs/${expiring.id}`).expect(410);
      await t.http.get(`/api/v1/jobs/${expiring.slug}`).expect(410);
      await t.http.get(`/api/v1/jobs/${control.id}`).expect(200);
      const all = await listedIds(t);
      expect(all).toContain(control.id);
      expect(all).not.toContain(expiring.id);
      expect(await listedIds(t, { q: 'sauna' })).toEqual([control.id]);
      for (const sort of ['popular', 'salary']) {
        const ids = await listedIds(t, { sort, spaId: spa.id });
        expect(ids).toContain(control.id);
        expect(ids).not.toContain(expiring.id);
      }
    });

    it('hides every job of a deactivated spa', async () => {
      const owner = await createUser(t, 'employer');
      const closing = await createSpa(t, owner);
      const jobs = [
        await createJob(t, owner, closing.id, { title: 'Float Tank Attendant' }),
        await createJob(t, owner, closing.id, { title: 'Float Tank Supervisor' }),
      ];
      expect(await listedIds(t, { spaId: closing.id })).toHaveLength(2);
      await t.http.get(`/api/v1/jobs/${jobs[0].id}`).expect(200);

      await t.http
        .delete(`/api/v1/spas/${closing.id}`)
        .set('Authorization', owner.auth)
        .expect(204);

      expect(await listedIds(t, { spaId: closing.id })).toEqual([]);
      expect(await listedIds(t, { q: 'float tank' })).toEqual([]);
      const all = await listedIds(t);
      for (const job of jobs) {
        expect(all).not.toContain(job.id);
        await t.http.get(`/api/v1/jobs/${job.id}`).expect(404);
        await t.http.get(`/api/v1/jobs/${job.slug}`).expect(404);
      }
      const [{ n }] = await t.db.query(`SELECT count(*)::int AS n FROM jobs WHERE spa_id = $1`, [
        closing.id,
      ]);
      expect(n).toBe(2);
      // and nothing new can be posted there
      await t.http
        .post('/api/v1/jobs')
        .set('Authorization', owner.auth)
        .send({
          spaId: closing.id,
          categoryId: await categoryId(t),
          title: 'Late Posting',
          description: 'Posted on a spa that has been deactivated already.',
        })
        .expect(404);
    });

    it('never shows a user’s e-mail, phone or password hash', async () => {
      const owner = await createUser(t, 'employer', 'Priya Private');
      const ownSpa = await createSpa(t, owner, { name: 'Private Owner Spa' });
      const job = await createJob(t, owner, ownSpa.id, { title: 'Reiki Practitioner' });
      const byAdmin = await createJob(t, admin, ownSpa.id, { title: 'Reiki Assistant' });
      const users = [owner, admin, employer, other, seeker];

      const bodies = [
        await t.http.get('/api/v1/jobs?limit=100').expect(200),
        await t.http.get(`/api/v1/jobs?spaId=${ownSpa.id}`).expect(200),
        await t.http.get('/api/v1/jobs?q=reiki').expect(200),
        await t.http.get(`/api/v1/jobs/${job.id}`).expect(200),
        await t.http.get(`/api/v1/jobs/${job.slug}`).expect(200),
        await t.http.get(`/api/v1/jobs/${byAdmin.id}`).expect(200),
        await t.http.get('/api/v1/spas?limit=100').expect(200),
        await t.http.get(`/api/v1/spas/${ownSpa.id}`).expect(200),
        await t.http.get(`/api/v1/spas/${ownSpa.slug}`).expect(200),
      ].map((res) => res.text);

      expect(bodies[0]).toContain(job.slug);
      expect(bodies[6]).toContain(ownSpa.slug);
      const [hash] = await t.db.query(`SELECT password_hash FROM users WHERE id = $1`, [owner.id]);
      expect(hash.password_hash).toMatch(/^\$argon2/);
      for (const text of bodies) {
        const lower = text.toLowerCase();
        for (const user of users) {
          expect(lower).not.toContain(user.email.toLowerCase());
          expect(text).not.toContain(user.phone);
          expect(text).not.toContain(user.phone.replace(/\s/g, ''));
          expect(text).not.toContain(user.password);
        }
        expect(text).not.toContain('$argon2');
        expect(text).not.toContain(hash.password_hash);
        expect(text).not.toMatch(/"(email|phone|passwordHash|password|password_hash)"\s*:/i);
      }
    });
  });

  describe('moderation', () => {
    it('an owner’s DELETE or edit of a job an admin closed keeps it closed by the admin', async () => {
      const job = await createJob(t, employer, spa.id);
      await t.http.delete(`/api/v1/jobs/${job.id}`).set('Authorization', admin.auth).expect(204);
      await t.http.delete(`/api/v1/jobs/${job.id}`).set('Authorization', employer.auth).expect(204);
      await t.http
        .patch(`/api/v1/jobs/${job.id}`)
        .set('Authorization', employer.auth)
        .send({ isActive: false, title: 'Still Closed Therapist' })
        .expect(200);
      const [row] = await t.db.query(
        `SELECT is_active, closed_by_admin, title FROM jobs WHERE id = $1`,
        [job.id],
      );
      expect(row).toEqual({
        is_active: false,
        closed_by_admin: true,
        title: 'Still Closed Therapist',
      });
      const reopen = await t.http
        .patch(`/api/v1/jobs/${job.id}`)
        .set('Authorization', employer.auth)
        .send({ isActive: true })
        .expect(403);
      expect(reopen.body.code).toBe('JOB_CLOSED_BY_ADMIN');
    });

    it('the schema refuses an open job marked closed by an admin', async () => {
      const job = await createJob(t, employer, spa.id);
      await expect(
        t.db.query(`UPDATE jobs SET closed_by_admin = true WHERE id = $1`, [job.id]),
      ).rejects.toThrow(/ck_jobs_closed_by_admin/);
    });
  });

  describe('view counting', () => {
    it('counts 500 concurrent views exactly, in one write at the flush', async () => {
      const views = t.app.get(JobViewsService);
      await views.flush();
      const job = await createJob(t, employer, spa.id, { title: 'Popular Masseuse' });
      const before = await snapshot(t);

      const responses = await Promise.all(
        Array.from({ length: 500 }, () => t.http.get(`/api/v1/jobs/${job.id}`)),
      );
      expect(responses.map((r) => r.status)).toEqual(Array(500).fill(200));

      // nothing at all was written for those 500 reads
      expect(await snapshot(t)).toEqual(before);
      expect((await dbJob(t, job.id)).view_count).toBe(0);

      await views.flush();
      expect((await dbJob(t, job.id)).view_count).toBe(500);
      const res = await t.http.get(`/api/v1/jobs/${job.slug}`).expect(200);
      expect(res.body.viewCount).toBe(500);
      await views.flush();
      expect((await dbJob(t, job.id)).view_count).toBe(501);
    });

    it('does not count views of jobs the public cannot see', async () => {
      const job = await createJob(t, employer, spa.id, { title: 'Closed Posting' });
      await t.http.delete(`/api/v1/jobs/${job.id}`).set('Authorization', employer.auth).expect(204);
      await t.http.get(`/api/v1/jobs/${job.id}`).expect(404);
      await t.app.get(JobViewsService).flush();
      expect((await dbJob(t, job.id)).view_count).toBe(0);
    });

    it('saves pending views on a graceful shutdown', async () => {
      const job = await createJob(t, employer, spa.id, { title: 'Shutdown Safe Stylist' });
      const twin = await createTestApp({ shareWith: t });
      try {
        for (let i = 0; i < 7; i++) await twin.http.get(`/api/v1/jobs/${job.id}`).expect(200);
        for (let i = 0; i < 5; i++) await twin.http.get(`/api/v1/jobs/${job.slug}`).expect(200);
        expect((await dbJob(t, job.id)).view_count).toBe(0);
      } finally {
        await twin.close();
      }
      expect((await dbJob(t, job.id)).view_count).toBe(12);
      // the first app still works on the shared database
      await t.http.get(`/api/v1/jobs/${job.id}`).expect(200);
    });
  });
});

import type { Response } from 'supertest';
import { createTestApp, type TestApp } from '../support/create-test-app.js';
import {
  categoryId,
  createJob,
  createSpa,
  createUser,
  FILES,
  snapshot,
  type TestUser,
} from '../support/factories.js';
import { binary, filesIn } from '../support/files.js';

/**
 * Who owns what, with their *current* role: a demoted or deactivated employer's spas and jobs
 * leave the public reads (reversibly) and their applicants' data is cut off at once; an admin's
 * closing sticks; a non-owner learns nothing about a row that is not public; the owner's own
 * lists; an applicant's withdrawal.
 */
describe('ownership', () => {
  let t: TestApp;
  let admin: TestUser;
  let rival: TestUser;
  let seeker: TestUser;

  beforeAll(async () => {
    t = await createTestApp();
    [admin, rival, seeker] = await Promise.all([
      createUser(t, 'admin'),
      createUser(t, 'employer', 'Rita Rival'),
      createUser(t, 'job_seeker', 'Sam Seeker'),
    ]);
  });
  afterAll(() => t.close());

  const ids = (res: { body: { data: Array<{ id: number }> } }) => res.body.data.map((r) => r.id);

  async function one<T = Record<string, unknown>>(sql: string, params: unknown[]): Promise<T> {
    const rows: T[] = await t.db.query(sql, params);
    return rows[0];
  }

  function asAdmin(userId: number, body: Record<string, unknown>) {
    return t.http
      .patch(`/api/v1/users/${userId}`)
      .set('Authorization', admin.auth)
      .send(body)
      .expect(200);
  }

  /** An employer with a spa, an open job on it, and an application with a resume. */
  async function employerWithApplicant() {
    const owner = await createUser(t, 'employer', 'Olga Owner');
    const spa = await createSpa(t, owner);
    const job = await createJob(t, owner, spa.id);
    const res = await t.http
      .post(`/api/v1/jobs/${job.id}/applications`)
      .set('Authorization', seeker.auth)
      .field('coverLetter', 'Please consider me.')
      .attach('resume', FILES.pdf, 'resume.pdf')
      .expect(201);
    return { owner, spa, job, applicationId: res.body.id as number };
  }

  describe('a demoted or deactivated employer', () => {
    /** What the public sees of one spa and its job, through the cache. */
    async function publicView(
      spa: { id: number; slug: string },
      job: { id: number; slug: string },
    ) {
      const [spaById, spaBySlug, jobById, jobBySlug, spas, jobs, jobsOfSpa] = await Promise.all([
        t.http.get(`/api/v1/spas/${spa.id}`),
        t.http.get(`/api/v1/spas/${spa.slug}`),
        t.http.get(`/api/v1/jobs/${job.id}`),
        t.http.get(`/api/v1/jobs/${job.slug}`),
        t.http.get('/api/v1/spas').query({ limit: 100 }),
        t.http.get('/api/v1/jobs').query({ limit: 100 }),
        t.http.get('/api/v1/jobs').query({ spaId: spa.id }),
      ]);
      return {
        statuses: [spaById.status, spaBySlug.status, jobById.status, jobBySlug.status],
        spaListed: ids(spas).includes(spa.id),
        jobListed: ids(jobs).includes(job.id),
        jobsOfSpa: ids(jobsOfSpa),
      };
    }

    /** What the owner can still reach of their applicants. */
    async function ownerReach(owner: TestUser, jobId: number, applicationId: number) {
      const [list, app, resume] = await Promise.all([
        t.http.get(`/api/v1/jobs/${jobId}/applications`).set('Authorization', owner.auth),
        t.http.get(`/api/v1/applications/${applicationId}`).set('Authorization', owner.auth),
        t.http
          .get(`/api/v1/applications/${applicationId}/resume`)
          .set('Authorization', owner.auth)
          .buffer(true)
          .parse(binary),
      ]);
      return { list: list.status, app: app.status, resume: resume.status, bodies: [list, app] };
    }

    it.each([
      ['demoted to job seeker', { role: 'job_seeker' }, { role: 'employer' }],
      ['deactivated', { isActive: false }, { isActive: true }],
    ])(
      'when %s: their spa and jobs leave every public read at once and come back after',
      async (_, cut, restore) => {
        const { owner, spa, job, applicationId } = await employerWithApplicant();
        const open = { statuses: [200, 200, 200, 200], spaListed: true, jobListed: true };
        // twice: the second answers come from the cache, which the change must not leave stale
        expect(await publicView(spa, job)).toEqual({ ...open, jobsOfSpa: [job.id] });
        expect(await publicView(spa, job)).toEqual({ ...open, jobsOfSpa: [job.id] });

        await asAdmin(owner.id, cut);

        expect(await publicView(spa, job)).toEqual({
          statuses: [404, 404, 404, 404],
          spaListed: false,
          jobListed: false,
          jobsOfSpa: [],
        });
        // hidden by derivation, not by rewriting the rows' own flags
        expect(
          await one(
            `SELECT s.is_active AS spa_active, s.owner_listed, j.is_active AS job_active
             FROM spas s JOIN jobs j ON j.spa_id = s.id WHERE s.id = $1`,
            [spa.id],
          ),
        ).toEqual({ spa_active: true, owner_listed: false, job_active: true });
        // nobody can apply to a job the public cannot see
        const late = await createUser(t, 'job_seeker');
        await t.http
          .post(`/api/v1/jobs/${job.id}/applications`)
          .set('Authorization', late.auth)
          .send({})
          .expect(404);

        await asAdmin(owner.id, restore);

        expect(await publicView(spa, job)).toEqual({ ...open, jobsOfSpa: [job.id] });
        // a reactivated account signs in again (its older tokens stay revoked)
        const login = await t.http
          .post('/api/v1/auth/login')
          .send({ email: owner.email, password: owner.password })
          .expect(200);
        const fresh = { ...owner, auth: `Bearer ${login.body.accessToken as string}` };
        expect(await ownerReach(fresh, job.id, applicationId)).toMatchObject({
          list: 200,
          app: 200,
          resume: 200,
        });
      },
    );

    it('loses their applicants’ e-mail, phone, cover letter and resume on the next request', async () => {
      const { owner, job, applicationId } = await employerWithApplicant();
      const before = await ownerReach(owner, job.id, applicationId);
      expect(before).toMatchObject({ list: 200, app: 200, resume: 200 });
      expect(before.bodies[1].body.applicant).toMatchObject({ email: seeker.email });

      await asAdmin(owner.id, { role: 'job_seeker' });

      const after = await ownerReach(owner, job.id, applicationId);
      expect(after).toMatchObject({ list: 403, app: 404, resume: 404 });
      for (const res of after.bodies) {
        expect(JSON.stringify(res.body)).not.toContain(seeker.email);
        expect(JSON.stringify(res.body)).not.toContain(seeker.phone);
        expect(JSON.stringify(res.body)).not.toContain('Please consider me.');
      }
      // nor can they change it, and their own lists are closed to them
      await t.http
        .patch(`/api/v1/applications/${applicationId}`)
        .set('Authorization', owner.auth)
        .send({ status: 'reviewed' })
        .expect(403);
      await t.http.get('/api/v1/spas/mine').set('Authorization', owner.auth).expect(403);
      await t.http.get('/api/v1/jobs/mine').set('Authorization', owner.auth).expect(403);
      expect(await one(`SELECT status FROM applications WHERE id = $1`, [applicationId])).toEqual({
        status: 'submitted',
      });
      // the applicant and admins keep theirs
      await t.http
        .get(`/api/v1/applications/${applicationId}`)
        .set('Authorization', seeker.auth)
        .expect(200);
      await t.http
        .get(`/api/v1/jobs/${job.id}/applications`)
        .set('Authorization', admin.auth)
        .expect(200);
    });

    it('a new spa of a demoted owner is hidden from the start (the insert derives it)', async () => {
      const owner = await createUser(t, 'employer');
      await asAdmin(owner.id, { role: 'job_seeker' });
      // inserted directly: the API no longer lets them create one
      const [row] = await t.db.query(
        `INSERT INTO spas (owner_id, name, slug, state_id, city_id)
         SELECT $1, 'Ghost Spa', $2, state_id, id FROM cities ORDER BY id LIMIT 1
         RETURNING id, owner_listed`,
        [owner.id, `ghost-spa-${owner.id}`],
      );
      expect(row.owner_listed).toBe(false);
      await t.http.get(`/api/v1/spas/${row.id}`).expect(404);
      // nor can it be forced on
      await t.db.query(`UPDATE spas SET owner_listed = true WHERE id = $1`, [row.id]);
      expect(await one(`SELECT owner_listed FROM spas WHERE id = $1`, [row.id])).toEqual({
        owner_listed: false,
      });
    });
  });

  describe('moderation sticks', () => {
    it.each([
      ['DELETE', (id: number) => t.http.delete(`/api/v1/jobs/${id}`).expect(204)],
      [
        'PATCH isActive=false',
        (id: number) => t.http.patch(`/api/v1/jobs/${id}`).send({ isActive: false }).expect(200),
      ],
    ] as const)(
      'a job an admin closed (%s) cannot be reopened by its owner; an admin can',
      async (_, close) => {
        const owner = await createUser(t, 'employer');
        const spa = await createSpa(t, owner);
        const job = await createJob(t, owner, spa.id);
        await close(job.id).set('Authorization', admin.auth);
        expect(
          await one(`SELECT is_active, closed_by_admin FROM jobs WHERE id = $1`, [job.id]),
        ).toEqual({ is_active: false, closed_by_admin: true });

        const before = await snapshot(t);
        const refused = await t.http
          .patch(`/api/v1/jobs/${job.id}`)
          .set('Authorization', owner.auth)
          .send({ isActive: true, title: 'Reopened Quietly' })
          .expect(403);
        expect(refused.body).toMatchObject({ code: 'JOB_CLOSED_BY_ADMIN' });
        expect(refused.body.message).toContain('admin');
        expect(await snapshot(t)).toEqual(before);
        await t.http.get(`/api/v1/jobs/${job.id}`).expect(404);

        // the owner still edits it, and sees why it is closed
        const edited = await t.http
          .patch(`/api/v1/jobs/${job.id}`)
          .set('Authorization', owner.auth)
          .send({ title: 'Therapist (under review)' })
          .expect(200);
        expect(edited.body).toMatchObject({ isActive: false, closedByAdmin: true });

        const reopened = await t.http
          .patch(`/api/v1/jobs/${job.id}`)
          .set('Authorization', admin.auth)
          .send({ isActive: true })
          .expect(200);
        expect(reopened.body).toMatchObject({ isActive: true, closedByAdmin: false });
        expect(
          await one(`SELECT is_active, closed_by_admin FROM jobs WHERE id = $1`, [job.id]),
        ).toEqual({ is_active: true, closed_by_admin: false });
        await t.http.get(`/api/v1/jobs/${job.id}`).expect(200);
      },
    );

    it('an owner still closes and reopens their own job', async () => {
      const owner = await createUser(t, 'employer');
      const spa = await createSpa(t, owner);
      const job = await createJob(t, owner, spa.id);
      await t.http.delete(`/api/v1/jobs/${job.id}`).set('Authorization', owner.auth).expect(204);
      expect(
        await one(`SELECT is_active, closed_by_admin FROM jobs WHERE id = $1`, [job.id]),
      ).toEqual({ is_active: false, closed_by_admin: false });
      await t.http
        .patch(`/api/v1/jobs/${job.id}`)
        .set('Authorization', owner.auth)
        .send({ isActive: true })
        .expect(200);
      await t.http.get(`/api/v1/jobs/${job.id}`).expect(200);
    });

    it('a spa an admin deactivated cannot be reactivated by its owner', async () => {
      const owner = await createUser(t, 'employer');
      const spa = await createSpa(t, owner);
      await t.http
        .patch(`/api/v1/spas/${spa.id}`)
        .set('Authorization', admin.auth)
        .send({ isActive: false })
        .expect(200);
      const before = await snapshot(t);
      await t.http
        .patch(`/api/v1/spas/${spa.id}`)
        .set('Authorization', owner.auth)
        .send({ isActive: true })
        .expect(404);
      expect(await snapshot(t)).toEqual(before);
      await t.http
        .patch(`/api/v1/spas/${spa.id}`)
        .set('Authorization', admin.auth)
        .send({ isActive: true })
        .expect(200);
      await t.http.get(`/api/v1/spas/${spa.id}`).expect(200);
    });
  });

  describe('a non-owner learns nothing about a row that is not public', () => {
    it('another employer’s closed job answers exactly like a missing one', async () => {
      const owner = await createUser(t, 'employer');
      const spa = await createSpa(t, owner);
      const open = await createJob(t, owner, spa.id);
      const closed = await createJob(t, owner, spa.id);
      await t.http.delete(`/api/v1/jobs/${closed.id}`).set('Authorization', owner.auth).expect(204);
      const missing = 2_000_000_000;
      const before = await snapshot(t);

      const shape = (body: Record<string, unknown>, id: number) => ({
        ...body,
        requestId: undefined,
        message: String(body.message).replace(String(id), 'ID'),
      });
      for (const [method, suffix, body] of [
        ['patch', '', { title: 'Taken Over' }],
        ['delete', '', undefined],
        ['get', '/applications', undefined],
      ] as const) {
        const send = (id: number) => {
          const req = t.http[method](`/api/v1/jobs/${id}${suffix}`).set(
            'Authorization',
            rival.auth,
          );
          return body ? req.send(body) : req;
        };
        const [ofClosed, ofMissing, ofOpen] = await Promise.all([
          send(closed.id),
          send(missing),
          send(open.id),
        ]);
        expect(ofClosed.status).toBe(404);
        expect(shape(ofClosed.body, closed.id)).toEqual(shape(ofMissing.body, missing));
        // a public job may say that it is someone else's
        expect(ofOpen.status).toBe(403);
        expect(ofOpen.body.code).toBe('NOT_SPA_OWNER');
      }
      const mine = await t.http
        .get(`/api/v1/jobs/mine/${closed.id}`)
        .set('Authorization', rival.auth)
        .expect(404);
      expect(mine.body.code).toBe('JOB_NOT_FOUND');
      expect(await snapshot(t)).toEqual(before);
    });

    it('a demoted owner’s spa and jobs are 404 to other employers too', async () => {
      const owner = await createUser(t, 'employer');
      const spa = await createSpa(t, owner);
      const job = await createJob(t, owner, spa.id);
      await asAdmin(owner.id, { role: 'job_seeker' });
      const spaRes = await t.http
        .patch(`/api/v1/spas/${spa.id}`)
        .set('Authorization', rival.auth)
        .send({ name: 'Taken Over' })
        .expect(404);
      expect(spaRes.body.code).toBe('SPA_NOT_FOUND');
      await t.http
        .patch(`/api/v1/jobs/${job.id}`)
        .set('Authorization', rival.auth)
        .send({ title: 'Taken Over' })
        .expect(404);
      await t.http
        .post('/api/v1/jobs')
        .set('Authorization', rival.auth)
        .send({
          spaId: spa.id,
          categoryId: await categoryId(t),
          title: 'Squatter Job',
          description: 'A job posted on somebody else’s hidden spa.',
        })
        .expect(404);
    });
  });

  describe('the owner’s own lists', () => {
    it('GET /spas/mine: the caller’s spas only, deactivated ones too, by keyset pages, never cached', async () => {
      const owner = await createUser(t, 'employer');
      const a = await createSpa(t, owner);
      const b = await createSpa(t, owner);
      const c = await createSpa(t, owner);
      await createSpa(t, rival);
      await t.http.delete(`/api/v1/spas/${b.id}`).set('Authorization', owner.auth).expect(204);

      const seen: number[] = [];
      const actives: boolean[] = [];
      let cursor: string | null = null;
      do {
        const res: Response = await t.http
          .get('/api/v1/spas/mine')
          .query(cursor ? { limit: 1, cursor } : { limit: 1 })
          .set('Authorization', owner.auth)
          .expect(200);
        expect(res.headers['cache-control']).toContain('no-store');
        expect(res.headers['x-cache']).toBeUndefined();
        expect(res.body.data).toHaveLength(1);
        seen.push(res.body.data[0].id);
        actives.push(res.body.data[0].isActive);
        cursor = res.body.nextCursor;
      } while (cursor);
      expect(seen).toEqual([c.id, b.id, a.id]);
      expect(actives).toEqual([true, false, true]);

      // an edit shows at once (no cache in between)
      await t.http
        .patch(`/api/v1/spas/${a.id}`)
        .set('Authorization', owner.auth)
        .send({ name: 'Renamed Spa' })
        .expect(200);
      const again = await t.http.get('/api/v1/spas/mine').set('Authorization', owner.auth);
      expect(again.body.data.find((s: { id: number }) => s.id === a.id).name).toBe('Renamed Spa');

      const rivals = await t.http.get('/api/v1/spas/mine').set('Authorization', rival.auth);
      expect(ids(rivals)).not.toContain(a.id);
    });

    it('GET /jobs/mine: closed, expired and deactivated-spa jobs too; GET /jobs/mine/:id reads one', async () => {
      const owner = await createUser(t, 'employer');
      const spa = await createSpa(t, owner);
      const other = await createSpa(t, owner);
      const open = await createJob(t, owner, spa.id);
      const closed = await createJob(t, owner, spa.id);
      const expired = await createJob(t, owner, spa.id);
      const onHiddenSpa = await createJob(t, owner, other.id);
      const moderated = await createJob(t, owner, spa.id);
      const rivalsJob = await createJob(t, rival, (await createSpa(t, rival)).id);
      await t.http.delete(`/api/v1/jobs/${closed.id}`).set('Authorization', owner.auth).expect(204);
      await t.http
        .delete(`/api/v1/jobs/${moderated.id}`)
        .set('Authorization', admin.auth)
        .expect(204);
      await t.db.query(`UPDATE jobs SET expires_at = now() - interval '1 day' WHERE id = $1`, [
        expired.id,
      ]);
      await t.http.delete(`/api/v1/spas/${other.id}`).set('Authorization', owner.auth).expect(204);

      const all = await t.http
        .get('/api/v1/jobs/mine')
        .set('Authorization', owner.auth)
        .expect(200);
      expect(all.headers['cache-control']).toContain('no-store');
      expect(ids(all)).toEqual([moderated.id, onHiddenSpa.id, expired.id, closed.id, open.id]);
      expect(ids(all)).not.toContain(rivalsJob.id);
      const byId = new Map(
        all.body.data.map((j: { id: number; isActive: boolean; closedByAdmin: boolean }) => [
          j.id,
          [j.isActive, j.closedByAdmin],
        ]),
      );
      expect(byId.get(closed.id)).toEqual([false, false]);
      expect(byId.get(moderated.id)).toEqual([false, true]);
      expect(byId.get(open.id)).toEqual([true, false]);
      for (const job of all.body.data) {
        expect(job).not.toHaveProperty('email');
        expect(job).not.toHaveProperty('createdBy');
      }

      // keyset pages walk the same list; a public list's cursor is refused here
      const first = await t.http
        .get('/api/v1/jobs/mine')
        .query({ limit: 2 })
        .set('Authorization', owner.auth)
        .expect(200);
      const second = await t.http
        .get('/api/v1/jobs/mine')
        .query({ limit: 2, cursor: first.body.nextCursor })
        .set('Authorization', owner.auth)
        .expect(200);
      expect([...ids(first), ...ids(second)]).toEqual(ids(all).slice(0, 4));
      const publicPage = await t.http.get('/api/v1/jobs').query({ limit: 1 }).expect(200);
      const replay = await t.http
        .get('/api/v1/jobs/mine')
        .query({ cursor: publicPage.body.nextCursor })
        .set('Authorization', owner.auth)
        .expect(400);
      expect(replay.body.code).toBe('INVALID_CURSOR');
      const ofSpa = await t.http
        .get('/api/v1/jobs/mine')
        .query({ spaId: other.id })
        .set('Authorization', owner.auth)
        .expect(200);
      expect(ids(ofSpa)).toEqual([onHiddenSpa.id]);

      // the owner reads their closed job privately; the public detail stays 404
      const own = await t.http
        .get(`/api/v1/jobs/mine/${closed.id}`)
        .set('Authorization', owner.auth)
        .expect(200);
      expect(own.headers['cache-control']).toContain('no-store');
      expect(own.body).toMatchObject({ id: closed.id, isActive: false, closedByAdmin: false });
      expect(own.body.description).toEqual(expect.any(String));
      await t.http.get(`/api/v1/jobs/${closed.id}`).expect(404);
      await t.http
        .get(`/api/v1/jobs/mine/${closed.id}`)
        .set('Authorization', admin.auth)
        .expect(200);
    });

    it('routes "mine" as the private list, never as a slug', async () => {
      await t.http.get('/api/v1/spas/mine').expect(401);
      await t.http.get('/api/v1/jobs/mine').expect(401);
      await t.http.get('/api/v1/spas/mine').set('Authorization', seeker.auth).expect(403);
      await t.http.get('/api/v1/jobs/mine/1').set('Authorization', seeker.auth).expect(403);
    });
  });

  describe('withdrawing an application', () => {
    it('the applicant withdraws; the resume is deleted; the employer sees it withdrawn; twice is 409', async () => {
      const { owner, job, applicationId } = await employerWithApplicant();
      const stored = await one<{ resume_file: string }>(
        `SELECT resume_file FROM applications WHERE id = $1`,
        [applicationId],
      );
      expect(await filesIn(t.config.uploads.resumeDir)).toContain(stored.resume_file);

      const res = await t.http
        .post(`/api/v1/applications/${applicationId}/withdraw`)
        .set('Authorization', seeker.auth)
        .expect(200);
      expect(res.body).toMatchObject({ id: applicationId, status: 'withdrawn', hasResume: false });
      expect(
        await one(`SELECT status, resume_file, resume_size FROM applications WHERE id = $1`, [
          applicationId,
        ]),
      ).toEqual({ status: 'withdrawn', resume_file: null, resume_size: null });
      expect(await filesIn(t.config.uploads.resumeDir)).not.toContain(stored.resume_file);

      const before = await snapshot(t);
      const again = await t.http
        .post(`/api/v1/applications/${applicationId}/withdraw`)
        .set('Authorization', seeker.auth)
        .expect(409);
      expect(again.body).toMatchObject({ code: 'INVALID_STATUS_TRANSITION' });
      expect(again.body.message).toContain('already withdrawn');

      // the employer keeps the row, marked withdrawn, without the resume, and cannot revive it
      const seen = await t.http
        .get(`/api/v1/applications/${applicationId}`)
        .set('Authorization', owner.auth)
        .expect(200);
      expect(seen.body).toMatchObject({ status: 'withdrawn', hasResume: false });
      const list = await t.http
        .get(`/api/v1/jobs/${job.id}/applications`)
        .set('Authorization', owner.auth)
        .expect(200);
      expect(list.body.data).toMatchObject([{ id: applicationId, status: 'withdrawn' }]);
      const resume = await t.http
        .get(`/api/v1/applications/${applicationId}/resume`)
        .set('Authorization', owner.auth)
        .expect(404);
      expect(resume.body.code).toBe('RESUME_NOT_FOUND');
      const moved = await t.http
        .patch(`/api/v1/applications/${applicationId}`)
        .set('Authorization', owner.auth)
        .send({ status: 'reviewed' })
        .expect(409);
      expect(moved.body.code).toBe('INVALID_STATUS_TRANSITION');
      expect(await snapshot(t)).toEqual(before);
    });

    it.each(['rejected', 'hired'])('cannot withdraw once %s (409)', async (status) => {
      const { owner, applicationId } = await employerWithApplicant();
      const path = ['shortlisted', ...(status === 'hired' ? ['hired'] : ['rejected'])];
      for (const next of path) {
        await t.http
          .patch(`/api/v1/applications/${applicationId}`)
          .set('Authorization', owner.auth)
          .send({ status: next })
          .expect(200);
      }
      const before = await snapshot(t);
      const res = await t.http
        .post(`/api/v1/applications/${applicationId}/withdraw`)
        .set('Authorization', seeker.auth)
        .expect(409);
      expect(res.body.message).toContain(status);
      expect(await snapshot(t)).toEqual(before);
    });

    it('only the applicant withdraws: the employer and admins 403, anyone else 404', async () => {
      const { owner, applicationId } = await employerWithApplicant();
      const stranger = await createUser(t, 'job_seeker');
      const before = await snapshot(t);
      for (const [who, status] of [
        [owner, 403],
        [admin, 403],
        [rival, 404],
        [stranger, 404],
      ] as const) {
        const res = await t.http
          .post(`/api/v1/applications/${applicationId}/withdraw`)
          .set('Authorization', who.auth)
          .expect(status);
        if (status === 403) expect(res.body.code).toBe('NOT_APPLICANT');
      }
      await t.http.post(`/api/v1/applications/${applicationId}/withdraw`).expect(401);
      expect(await snapshot(t)).toEqual(before);
    });

    it('an employer cannot set the status withdrawn (400 naming the field)', async () => {
      const { owner, applicationId } = await employerWithApplicant();
      const res = await t.http
        .patch(`/api/v1/applications/${applicationId}`)
        .set('Authorization', owner.auth)
        .send({ status: 'withdrawn' })
        .expect(400);
      expect(res.body.message).toContain('status');
    });

    it('the seeker’s own list shows it withdrawn', async () => {
      const other = await employerWithApplicant();
      await t.http
        .post(`/api/v1/applications/${other.applicationId}/withdraw`)
        .set('Authorization', seeker.auth)
        .expect(200);
      const mine = await t.http
        .get('/api/v1/applications/mine')
        .query({ limit: 100 })
        .set('Authorization', seeker.auth)
        .expect(200);
      expect(
        mine.body.data.find((a: { id: number }) => a.id === other.applicationId),
      ).toMatchObject({ status: 'withdrawn', hasResume: false });
    });
  });
});

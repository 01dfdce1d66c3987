import { readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { createTestApp, type TestApp } from '../support/create-test-app.js';
import {
  applyTo,
  createJob,
  createSpa,
  createUser,
  FILES,
  snapshot,
  type TestUser,
} from '../support/factories.js';
import { binary, filesIn } from '../support/files.js';

interface ApplicationRow {
  id: number;
  job_id: number;
  applicant_id: number;
  status: string;
  cover_letter: string | null;
  resume_file: string | null;
  resume_size: number | null;
}

interface ApplicationBody {
  id: number;
  status: string;
  applicant: { id: number };
  job: { id: number };
}

describe('applications', () => {
  let t: TestApp;
  let admin: TestUser;
  let owner: TestUser;
  let rival: TestUser;
  let seeker: TestUser;
  let other: TestUser;
  let spaId: number;

  beforeAll(async () => {
    t = await createTestApp();
    [admin, owner, rival, seeker, other] = await Promise.all([
      createUser(t, 'admin'),
      createUser(t, 'employer', 'Olga Owner'),
      createUser(t, 'employer', 'Rita Rival'),
      createUser(t, 'job_seeker', 'Sam Seeker'),
      createUser(t, 'job_seeker', 'Otto Other'),
    ]);
    spaId = (await createSpa(t, owner)).id;
  });
  afterAll(() => t.close());

  const newJob = async (overrides: Record<string, unknown> = {}) =>
    createJob(t, owner, spaId, overrides);

  async function rowsFor(jobId: number): Promise<ApplicationRow[]> {
    return t.db.query(`SELECT * FROM applications WHERE job_id = $1 ORDER BY id`, [jobId]);
  }

  async function row(id: number): Promise<ApplicationRow> {
    const rows: ApplicationRow[] = await t.db.query(`SELECT * FROM applications WHERE id = $1`, [
      id,
    ]);
    return rows[0];
  }

  const resumes = () => filesIn(t.config.uploads.resumeDir);
  const publicFiles = () => filesIn(t.config.uploads.publicDir);

  const applyWithResume = (user: TestUser, jobId: number, file: Buffer = FILES.pdf) =>
    t.http
      .post(`/api/v1/jobs/${jobId}/applications`)
      .set('Authorization', user.auth)
      .field('coverLetter', 'Please find my resume attached.')
      .attach('resume', file, { filename: 'resume.pdf', contentType: 'application/pdf' });

  const downloadResume = (user: TestUser, id: number) =>
    t.http
      .get(`/api/v1/applications/${id}/resume`)
      .set('Authorization', user.auth)
      .buffer(true)
      .parse(binary);

  describe('apply', () => {
    it('accepts JSON with a cover letter', async () => {
      const job = await newJob();
      const res = await t.http
        .post(`/api/v1/jobs/${job.id}/applications`)
        .set('Authorization', seeker.auth)
        .send({ coverLetter: '  I love hot stones.  ' })
        .expect(201);
      expect(res.body).toEqual({
        id: expect.any(Number),
        status: 'submitted',
        coverLetter: 'I love hot stones.',
        hasResume: false,
        job: { id: job.id, slug: job.slug, title: job.title, spaId, spaName: expect.any(String) },
        applicant: {
          id: seeker.id,
          fullName: 'Sam Seeker',
          email: seeker.email,
          phone: seeker.phone,
        },
        createdAt: expect.any(String),
        updatedAt: expect.any(String),
      });
      expect(await rowsFor(job.id)).toEqual([
        expect.objectContaining({
          id: res.body.id,
          applicant_id: seeker.id,
          status: 'submitted',
          cover_letter: 'I love hot stones.',
          resume_file: null,
          resume_size: null,
        }),
      ]);
    });

    it('accepts multipart with a cover letter and a PDF resume, stored privately', async () => {
      const job = await newJob();
      const publicBefore = await publicFiles();
      const res = await applyWithResume(seeker, job.id).expect(201);
      expect(res.body).toMatchObject({
        status: 'submitted',
        coverLetter: 'Please find my resume attached.',
        hasResume: true,
        applicant: { id: seeker.id },
        job: { id: job.id },
      });
      expect(JSON.stringify(res.body)).not.toMatch(/resumeFile|\.pdf/);

      const stored = await row(res.body.id);
      expect(stored.resume_file).toMatch(/^[0-9a-f-]{36}\.pdf$/);
      expect(stored.resume_size).toBe(FILES.pdf.length);
      const name = stored.resume_file!;
      expect(await readFile(join(t.config.uploads.resumeDir, name))).toEqual(FILES.pdf);

      // never under the public upload folder, and never reachable through /uploads
      expect(await publicFiles()).toEqual(publicBefore);
      const resumeFolder = relative(t.config.uploads.publicDir, t.config.uploads.resumeDir);
      for (const path of [
        `/uploads/${name}`,
        `/uploads/spas/${name}`,
        `/uploads/resumes/${name}`,
        `/uploads/${resumeFolder}/${name}`,
        `/uploads/${resumeFolder.replace(/\.\./g, '%2e%2e')}/${name}`,
        `/uploads/..%2fresumes%2f${name}`,
      ]) {
        const got = await t.http.get(path).buffer(true).parse(binary);
        expect(got.status).toBeGreaterThanOrEqual(400);
        expect((got.body as Buffer).toString()).not.toContain('%PDF');
      }
    });

    it('accepts an application without any body', async () => {
      const job = await newJob();
      const res = await t.http
        .post(`/api/v1/jobs/${job.id}/applications`)
        .set('Authorization', other.auth)
        .expect(201);
      expect(res.body).toMatchObject({ coverLetter: null, hasResume: false });
      expect(await rowsFor(job.id)).toHaveLength(1);
    });

    it('refuses a second application to the same job with 409 ALREADY_APPLIED, keeping no new file', async () => {
      const job = await newJob();
      const first = await applyTo(t, seeker, job.id);
      const resumesBefore = await resumes();

      const again = await t.http
        .post(`/api/v1/jobs/${job.id}/applications`)
        .set('Authorization', seeker.auth)
        .send({ coverLetter: 'Me again' })
        .expect(409);
      expect(again.body).toMatchObject({
        statusCode: 409,
        code: 'ALREADY_APPLIED',
        requestId: expect.any(String),
      });
      const withFile = await applyWithResume(seeker, job.id).expect(409);
      expect(withFile.body.code).toBe('ALREADY_APPLIED');

      const rows = await rowsFor(job.id);
      expect(rows.map((r) => r.id)).toEqual([first.id]);
      expect(rows[0].cover_letter).toBe('I would love to join.');
      expect(await resumes()).toEqual(resumesBefore);
      // another seeker may still apply
      await applyTo(t, other, job.id);
    });

    it('lets exactly one of 5 concurrent applications by one seeker through', async () => {
      const job = await newJob();
      const resumesBefore = await resumes();
      const results = await Promise.all(
        Array.from({ length: 5 }, () => applyWithResume(seeker, job.id)),
      );
      expect(results.map((r) => r.status).sort()).toEqual([201, 409, 409, 409, 409]);
      for (const r of results.filter((x) => x.status === 409)) {
        expect(r.body.code).toBe('ALREADY_APPLIED');
      }
      const rows = await rowsFor(job.id);
      expect(rows).toHaveLength(1);
      const added = (await resumes()).filter((f) => !resumesBefore.includes(f));
      expect(added).toEqual([rows[0].resume_file]);
    });

    it('answers 404 for a closed, expired, unknown or deactivated-spa job, storing nothing', async () => {
      const closed = await newJob();
      await t.http.delete(`/api/v1/jobs/${closed.id}`).set('Authorization', owner.auth).expect(204);
      const expired = await newJob();
      await t.db.query(`UPDATE jobs SET expires_at = now() - interval '1 minute' WHERE id = $1`, [
        expired.id,
      ]);
      const otherSpa = await createSpa(t, owner);
      const orphan = await createJob(t, owner, otherSpa.id);
      await t.http
        .delete(`/api/v1/spas/${otherSpa.id}`)
        .set('Authorization', owner.auth)
        .expect(204);

      const before = await snapshot(t);
      const resumesBefore = await resumes();
      for (const id of [closed.id, expired.id, orphan.id, 999999]) {
        const json = await t.http
          .post(`/api/v1/jobs/${id}/applications`)
          .set('Authorization', seeker.auth)
          .send({ coverLetter: 'Hello?' })
          .expect(404);
        expect(json.body).toMatchObject({ statusCode: 404, code: 'JOB_NOT_OPEN' });
        await applyWithResume(seeker, id).expect(404);
      }
      expect(await snapshot(t)).toEqual(before);
      expect(await resumes()).toEqual(resumesBefore);
    });

    it.each([
      ['a PNG sent as a PDF', FILES.png],
      ['a text file named .pdf', FILES.text],
    ])('refuses %s as a resume with 415, storing no row and no file', async (_, file) => {
      const job = await newJob();
      const resumesBefore = await resumes();
      const res = await applyWithResume(seeker, job.id, file).expect(415);
      expect(res.body).toMatchObject({ statusCode: 415, code: 'UNSUPPORTED_RESUME_TYPE' });
      expect(JSON.stringify(res.body)).not.toContain(t.config.uploads.resumeDir);
      expect(await rowsFor(job.id)).toEqual([]);
      expect(await resumes()).toEqual(resumesBefore);
      // the seeker has not used up their one application
      await applyWithResume(seeker, job.id).expect(201);
    });

    it('is for job seekers only, and validates its input', async () => {
      const job = await newJob();
      await t.http
        .post(`/api/v1/jobs/${job.id}/applications`)
        .send({ coverLetter: 'anon' })
        .expect(401);
      for (const user of [owner, admin]) {
        const res = await t.http
          .post(`/api/v1/jobs/${job.id}/applications`)
          .set('Authorization', user.auth)
          .send({})
          .expect(403);
        expect(res.body.code).toBe('FORBIDDEN_ROLE');
      }
      const long = await t.http
        .post(`/api/v1/jobs/${job.id}/applications`)
        .set('Authorization', seeker.auth)
        .send({ coverLetter: 'x'.repeat(5001) })
        .expect(400);
      expect(long.body.message).toContain('coverLetter');
      const extra = await t.http
        .post(`/api/v1/jobs/${job.id}/applications`)
        .set('Authorization', seeker.auth)
        .send({ status: 'hired' })
        .expect(400);
      expect(extra.body.message).toContain('status');
      await t.http
        .post(`/api/v1/jobs/abc/applications`)
        .set('Authorization', seeker.auth)
        .send({})
        .expect(400);
      expect(await rowsFor(job.id)).toEqual([]);
    });
  });

  describe('reading', () => {
    it('lists only the caller’s own applications, newest first, in keyset pages', async () => {
      const mineJobs = [await newJob(), await newJob(), await newJob()];
      const mineIds: number[] = [];
      for (const job of mineJobs) mineIds.push((await applyTo(t, other, job.id)).id);
      await applyTo(t, seeker, mineJobs[0].id);

      const seen: ApplicationBody[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const res: { body: { data: ApplicationBody[]; nextCursor: string | null } } = await t.http
          .get('/api/v1/applications/mine')
          .set('Authorization', other.auth)
          .query({ limit: 2, ...(cursor ? { cursor } : {}) })
          .expect(200);
        expect(res.body.data.length).toBeLessThanOrEqual(2);
        seen.push(...res.body.data);
        cursor = res.body.nextCursor;
        pages++;
      } while (cursor && pages < 50);

      expect(seen.every((a) => a.applicant.id === other.id)).toBe(true);
      const expected: Array<{ id: number }> = await t.db.query(
        `SELECT id FROM applications WHERE applicant_id = $1 ORDER BY created_at DESC, id DESC`,
        [other.id],
      );
      expect(seen.map((a) => a.id)).toEqual(expected.map((r) => r.id));
      expect(seen.map((a) => a.id)).toEqual(expect.arrayContaining(mineIds));

      const employer = await t.http
        .get('/api/v1/applications/mine')
        .set('Authorization', owner.auth)
        .expect(200);
      expect(employer.body).toEqual({ data: [], nextCursor: null });
    });

    it('shows a job’s applications to its spa’s owner and admins only', async () => {
      const job = await newJob();
      const a = await applyTo(t, seeker, job.id);
      const b = await applyTo(t, other, job.id);
      const elsewhere = await newJob();
      await applyTo(t, seeker, elsewhere.id);

      for (const user of [owner, admin]) {
        const res = await t.http
          .get(`/api/v1/jobs/${job.id}/applications`)
          .set('Authorization', user.auth)
          .expect(200);
        expect(res.body.data.map((x: ApplicationBody) => x.id)).toEqual([b.id, a.id]);
        expect(res.body.data.every((x: ApplicationBody) => x.job.id === job.id)).toBe(true);
        expect(res.body.nextCursor).toBeNull();
      }
      const first = await t.http
        .get(`/api/v1/jobs/${job.id}/applications?limit=1`)
        .set('Authorization', owner.auth)
        .expect(200);
      expect(first.body.data.map((x: ApplicationBody) => x.id)).toEqual([b.id]);
      const second = await t.http
        .get(`/api/v1/jobs/${job.id}/applications`)
        .query({ limit: 1, cursor: first.body.nextCursor })
        .set('Authorization', owner.auth)
        .expect(200);
      expect(second.body.data.map((x: ApplicationBody) => x.id)).toEqual([a.id]);
      expect(second.body.nextCursor).toBeNull();

      const denied = await t.http
        .get(`/api/v1/jobs/${job.id}/applications`)
        .set('Authorization', rival.auth)
        .expect(403);
      expect(denied.body.code).toBe('NOT_SPA_OWNER');
      expect(JSON.stringify(denied.body)).not.toContain(seeker.email);
      await t.http
        .get(`/api/v1/jobs/${job.id}/applications`)
        .set('Authorization', seeker.auth)
        .expect(403);
      await t.http
        .get('/api/v1/jobs/999999/applications')
        .set('Authorization', owner.auth)
        .expect(404);

      // one application: its applicant, the owner and admins see it; others get a 404
      for (const user of [seeker, owner, admin]) {
        const res = await t.http
          .get(`/api/v1/applications/${a.id}`)
          .set('Authorization', user.auth)
          .expect(200);
        expect(res.body.id).toBe(a.id);
      }
      for (const user of [other, rival]) {
        await t.http
          .get(`/api/v1/applications/${a.id}`)
          .set('Authorization', user.auth)
          .expect(404);
      }
    });

    it('serves the resume to the applicant, the owner and admins, and 404 to anyone else', async () => {
      const job = await newJob();
      const app = (await applyWithResume(seeker, job.id).expect(201)).body as ApplicationBody;

      for (const user of [seeker, owner, admin]) {
        const res = await downloadResume(user, app.id).expect(200);
        expect(res.headers['content-type']).toMatch(/^application\/pdf/);
        expect(res.headers['cache-control']).toMatch(/private/);
        expect(res.headers['cache-control']).toMatch(/no-store/);
        expect(res.headers['content-disposition']).toMatch(/^attachment/);
        expect(Buffer.compare(res.body as Buffer, FILES.pdf)).toBe(0);
      }
      for (const user of [other, rival]) {
        const res = await t.http
          .get(`/api/v1/applications/${app.id}/resume`)
          .set('Authorization', user.auth)
          .expect(404);
        expect(JSON.stringify(res.body)).not.toContain('%PDF');
        expect(res.headers['content-type']).toMatch(/json/);
      }
      await t.http.get(`/api/v1/applications/${app.id}/resume`).expect(401);
      await t.http
        .get('/api/v1/applications/999999/resume')
        .set('Authorization', admin.auth)
        .expect(404);

      const plain = await applyTo(t, other, job.id);
      const none = await t.http
        .get(`/api/v1/applications/${plain.id}/resume`)
        .set('Authorization', owner.auth)
        .expect(404);
      expect(none.body.statusCode).toBe(404);
    });
  });

  describe('status', () => {
    const move = (user: TestUser, id: number, status: string) =>
      t.http.patch(`/api/v1/applications/${id}`).set('Authorization', user.auth).send({ status });

    it('follows submitted → reviewed → shortlisted → hired, and hired is final', async () => {
      const job = await newJob();
      const app = await applyTo(t, seeker, job.id);
      for (const status of ['reviewed', 'shortlisted', 'hired']) {
        const res = await move(owner, app.id, status).expect(200);
        expect(res.body).toMatchObject({ id: app.id, status });
        expect((await row(app.id)).status).toBe(status);
      }
      for (const status of ['rejected', 'reviewed', 'shortlisted', 'submitted']) {
        const res = await move(owner, app.id, status).expect(409);
        expect(res.body.code).toBe('INVALID_STATUS_TRANSITION');
        expect(res.body.message).toContain('hired');
      }
      await move(admin, app.id, 'rejected').expect(409);
      expect((await row(app.id)).status).toBe('hired');
    });

    it('never re-enters submitted and never skips to hired', async () => {
      const job = await newJob();
      const app = await applyTo(t, seeker, job.id);
      const skip = await move(owner, app.id, 'hired').expect(409);
      expect(skip.body.code).toBe('INVALID_STATUS_TRANSITION');
      expect((await row(app.id)).status).toBe('submitted');
      await move(owner, app.id, 'reviewed').expect(200);
      const back = await move(owner, app.id, 'submitted').expect(409);
      expect(back.body.code).toBe('INVALID_STATUS_TRANSITION');
      expect((await row(app.id)).status).toBe('reviewed');
    });

    it('lets a rejected application go back to reviewed (by an admin too)', async () => {
      const job = await newJob();
      const app = await applyTo(t, seeker, job.id);
      await move(owner, app.id, 'rejected').expect(200);
      expect((await row(app.id)).status).toBe('rejected');
      await move(owner, app.id, 'shortlisted').expect(409);
      await move(owner, app.id, 'hired').expect(409);
      const res = await move(admin, app.id, 'reviewed').expect(200);
      expect(res.body.status).toBe('reviewed');
      expect((await row(app.id)).status).toBe('reviewed');
    });

    it('is not for the applicant, other employers or unknown values', async () => {
      const job = await newJob();
      const app = await applyTo(t, seeker, job.id);
      const self = await move(seeker, app.id, 'hired').expect(403);
      expect(self.body.code).toBe('FORBIDDEN_ROLE');
      await move(seeker, app.id, 'reviewed').expect(403);
      await move(rival, app.id, 'reviewed').expect(404);
      const bad = await move(owner, app.id, 'accepted').expect(400);
      expect(bad.body.message).toContain('status');
      await t.http
        .patch(`/api/v1/applications/${app.id}`)
        .set('Authorization', owner.auth)
        .send({})
        .expect(400);
      await move(owner, 999999, 'reviewed').expect(404);
      expect((await row(app.id)).status).toBe('submitted');
    });

    it('lets exactly one of racing moves from the same state win', async () => {
      const job = await newJob();
      const app = await applyTo(t, seeker, job.id);
      await move(owner, app.id, 'reviewed').expect(200);
      await move(owner, app.id, 'shortlisted').expect(200);
      // shortlisted → hired and shortlisted → reviewed: neither may follow the other
      const results = await Promise.all([
        move(owner, app.id, 'hired'),
        move(admin, app.id, 'reviewed'),
      ]);
      expect(results.map((r) => r.status).sort()).toEqual([200, 409]);
      const winner = results.find((r) => r.status === 200)!;
      expect((await row(app.id)).status).toBe(winner.body.status);
    });
  });

  describe('withdraw', () => {
    const withdraw = (who: TestUser, id: number) =>
      t.http.post(`/api/v1/applications/${id}/withdraw`).set('Authorization', who.auth);

    it('lets exactly one of racing withdrawals through, and deletes the resume once', async () => {
      const job = await newJob();
      const applied = await t.http
        .post(`/api/v1/jobs/${job.id}/applications`)
        .set('Authorization', seeker.auth)
        .attach('resume', FILES.pdf, 'cv.pdf')
        .expect(201);
      const { resume_file } = await row(applied.body.id);
      const results = await Promise.all([1, 2, 3].map(() => withdraw(seeker, applied.body.id)));
      expect(results.map((r) => r.status).sort()).toEqual([200, 409, 409]);
      expect(await row(applied.body.id)).toMatchObject({
        status: 'withdrawn',
        resume_file: null,
        resume_size: null,
      });
      expect(await filesIn(t.config.uploads.resumeDir)).not.toContain(resume_file);
    });

    it('is final: the employer cannot move it, and the seeker cannot apply to that job again', async () => {
      const job = await newJob();
      const app = await applyTo(t, seeker, job.id);
      await withdraw(seeker, app.id).expect(200);
      for (const status of ['submitted', 'reviewed', 'shortlisted', 'rejected', 'hired']) {
        await t.http
          .patch(`/api/v1/applications/${app.id}`)
          .set('Authorization', owner.auth)
          .send({ status })
          .expect(409);
      }
      const again = await t.http
        .post(`/api/v1/jobs/${job.id}/applications`)
        .set('Authorization', seeker.auth)
        .send({ coverLetter: 'Changed my mind.' })
        .expect(409);
      expect(again.body.code).toBe('ALREADY_APPLIED');
      expect(await rowsFor(job.id)).toMatchObject([{ id: app.id, status: 'withdrawn' }]);
    });

    it('can withdraw from reviewed and shortlisted, not from rejected (a decision)', async () => {
      for (const [path, ok] of [
        [['reviewed'], true],
        [['shortlisted'], true],
        [['rejected'], false],
      ] as const) {
        const job = await newJob();
        const app = await applyTo(t, seeker, job.id);
        for (const status of path) {
          await t.http
            .patch(`/api/v1/applications/${app.id}`)
            .set('Authorization', owner.auth)
            .send({ status })
            .expect(200);
        }
        await withdraw(seeker, app.id).expect(ok ? 200 : 409);
        expect((await row(app.id)).status).toBe(ok ? 'withdrawn' : path[path.length - 1]);
      }
    });
  });
});

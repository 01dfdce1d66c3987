import { randomUUID } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { STATUS_CODES } from 'node:http';
import { join } from 'node:path';
import type { Response, Test } from 'supertest';
import { createTestApp, type TestApp } from '../support/create-test-app.js';
import {
  categoryId,
  city,
  createJob,
  createSpa,
  createUser,
  FILES,
  snapshot,
  type TestUser,
} from '../support/factories.js';
import { storedFiles } from '../support/files.js';

/**
 * Who may do what: every write route and the private reads, for every kind of caller, each on a
 * fresh spa, job and application so that a successful write (a DELETE) cannot change another
 * cell. A refused call leaves every table and both upload folders exactly as they were.
 */

const ACTORS = ['anonymous', 'seeker', 'applicant', 'otherEmployer', 'owner', 'admin'] as const;
type Actor = (typeof ACTORS)[number];

/** What one cell works on: created by the spa's owner and the applicant just before the call. */
interface Fixture {
  spaId: number;
  jobId: number;
  applicationId: number;
  /** A plain job seeker account, for the admin-only user route. */
  targetUserId: number;
  /** A file name in the spa's images (stored on disk), for routes with `withImage`. */
  imageName?: string;
}

type Send = (
  http: (method: 'get' | 'post' | 'patch' | 'delete', path: string) => Test,
  f: Fixture,
) => Test;

interface Route {
  route: string;
  send: Send;
  /** Which upload folder a successful call writes one file to. */
  writes?: 'image' | 'resume';
  /** What a successful call left behind (never anonymous: every route needs a token). */
  verify?: (res: Response, f: Fixture, caller: TestUser) => Promise<void>;
  /** The fixture's spa has one image. */
  withImage?: boolean;
}

const statuses = (
  anonymous: number,
  seeker: number,
  applicant: number,
  otherEmployer: number,
  owner: number,
  admin: number,
): Record<Actor, number> => ({ anonymous, seeker, applicant, otherEmployer, owner, admin });

let t: TestApp;
let users: Record<Exclude<Actor, 'anonymous'>, TestUser>;
let cityId0: number;
let categoryId0: number;
/** Reference rows the admin-only writes rename (each cell to a name of its own). */
let refs: { stateId: number; cityId: number; categoryId: number };

async function one<T>(sql: string, params: unknown[]): Promise<T> {
  const rows: T[] = await t.db.query(sql, params);
  return rows[0];
}

/** Reads a PDF body as bytes (supertest leaves it unparsed) and an error body as JSON. */
function pdfOrJson(res: Response, done: (err: Error | null, body: unknown) => void): void {
  const chunks: Buffer[] = [];
  res.on('data', (c: Buffer) => chunks.push(c));
  res.on('end', () => {
    const bytes = Buffer.concat(chunks);
    const json = String(res.headers['content-type']).startsWith('application/json');
    done(null, json ? JSON.parse(bytes.toString('utf8')) : bytes);
  });
}

/**
 * The matrix. Job seekers are refused by role (403) on employer routes whatever the id; an
 * application the caller may not see is a 404, so that it stays secret.
 */
// prettier-ignore
const MATRIX: Record<string, Record<Actor, number>> = {
  //                               statuses(anonymous, seeker, applicant, otherEmployer, owner, admin)
  'PATCH /users/me':               statuses(401, 200, 200, 200, 200, 200),
  'PATCH /users/:id':              statuses(401, 403, 403, 403, 403, 200),
  'POST /spas':                    statuses(401, 403, 403, 201, 201, 201),
  'PATCH /spas/:id':               statuses(401, 403, 403, 403, 200, 200),
  'DELETE /spas/:id':              statuses(401, 403, 403, 403, 204, 204),
  'POST /spas/:id/images':         statuses(401, 403, 403, 403, 201, 201),
  'POST /jobs':                    statuses(401, 403, 403, 403, 201, 201),
  'PATCH /jobs/:id':               statuses(401, 403, 403, 403, 200, 200),
  'DELETE /jobs/:id':              statuses(401, 403, 403, 403, 204, 204),
  'POST /jobs/:id/applications':   statuses(401, 201, 409, 403, 403, 403),
  'PATCH /applications/:id':       statuses(401, 403, 403, 404, 200, 200),
  'GET /jobs/:id/applications':    statuses(401, 403, 403, 403, 200, 200),
  'GET /applications/:id':         statuses(401, 404, 200, 404, 200, 200),
  'GET /applications/:id/resume':  statuses(401, 404, 200, 404, 200, 200),
  'GET /spas/mine':                statuses(401, 403, 403, 200, 200, 200),
  'GET /jobs/mine':                statuses(401, 403, 403, 200, 200, 200),
  'GET /jobs/mine/:id':            statuses(401, 403, 403, 403, 200, 200),
  'POST /applications/:id/withdraw': statuses(401, 404, 200, 404, 403, 403),
  'DELETE /spas/:id/images/:name': statuses(401, 403, 403, 403, 204, 204),
  'DELETE /spas/:id/images':       statuses(401, 403, 403, 403, 204, 204),
  'POST /states':                  statuses(401, 403, 403, 403, 403, 201),
  'PATCH /states/:id':             statuses(401, 403, 403, 403, 403, 200),
  'POST /cities':                  statuses(401, 403, 403, 403, 403, 201),
  'PATCH /cities/:id':             statuses(401, 403, 403, 403, 403, 200),
  'POST /job-categories':          statuses(401, 403, 403, 403, 403, 201),
  'PATCH /job-categories/:id':     statuses(401, 403, 403, 403, 403, 200),
  'GET /admin/jobs/failed':        statuses(401, 403, 403, 403, 403, 200),
  // an admin gets past the role check to the lookup: no such dead letter (the happy path, 202,
  // is in queue-mail.e2e-spec.ts, which dead-letters a real job first)
  'POST /admin/jobs/failed/:uuid/retry': statuses(401, 403, 403, 403, 403, 404),
  // verified callers (createUser's default) have nothing to verify (409); the token routes are
  // public: a token mailed to the fixture's target user works whoever sends it; the e-mail
  // change needs the caller's password, which a cell does not send (400: nothing changes)
  'POST /auth/verify-email/request': statuses(401, 409, 409, 409, 409, 409),
  'POST /auth/verify-email':       statuses(200, 200, 200, 200, 200, 200),
  // the mailed link (a GET that writes: cells here check that GETs write nothing, so an unknown
  // token; accounts.e2e-spec.ts follows real links)
  'GET /auth/verify-email':        statuses(400, 400, 400, 400, 400, 400),
  'POST /auth/password-reset/request': statuses(202, 202, 202, 202, 202, 202),
  'POST /auth/password-reset':     statuses(204, 204, 204, 204, 204, 204),
  'POST /users/me/email':          statuses(401, 400, 400, 400, 400, 400),
  'POST /jobs/:id/renew':          statuses(401, 403, 403, 403, 200, 200),
  'GET /users/me/notifications':   statuses(401, 200, 200, 200, 200, 200),
  'PATCH /users/me/notifications': statuses(401, 200, 200, 200, 200, 200),
  // job seekers only, each their own searches (the applicant's is the fixture's): another
  // seeker must not learn that it exists (404); the mail's unsubscribe link needs no login
  'POST /saved-searches':          statuses(401, 201, 201, 403, 403, 403),
  'GET /saved-searches':           statuses(401, 200, 200, 403, 403, 403),
  'GET /saved-searches/:id':       statuses(401, 404, 200, 403, 403, 403),
  'PATCH /saved-searches/:id':     statuses(401, 404, 200, 403, 403, 403),
  'DELETE /saved-searches/:id':    statuses(401, 404, 204, 403, 403, 403),
  'POST /saved-searches/:id/unsubscribe': statuses(200, 200, 200, 200, 200, 200),
  'GET /users/me/export':          statuses(401, 202, 202, 202, 202, 202),
  // with a wrong currentPassword (see ROUTES): the deletion itself is in privacy.e2e-spec.ts
  'DELETE /users/me':              statuses(401, 400, 400, 400, 400, 400),
};

/** The private lists hold exactly the caller's own rows: the fixture's only for its owner. */
const ownsFixture = (caller: TestUser) => caller.id === users.owner.id;

const ROUTES: Route[] = [
  {
    route: 'PATCH /users/me', // "owner" is the caller's own account: everyone signed in may
    send: (http) => http('patch', '/api/v1/users/me').send({ fullName: 'Renamed By Matrix' }),
    verify: async (_res, _f, caller) => {
      const row = await one<{ full_name: string }>(`SELECT full_name FROM users WHERE id = $1`, [
        caller.id,
      ]);
      expect(row.full_name).toBe('Renamed By Matrix');
    },
  },
  {
    route: 'PATCH /users/:id',
    send: (http, f) =>
      http('patch', `/api/v1/users/${f.targetUserId}`).send({ role: 'employer', isActive: false }),
    verify: async (_res, f) => {
      const row = await one(`SELECT role, is_active FROM users WHERE id = $1`, [f.targetUserId]);
      expect(row).toEqual({ role: 'employer', is_active: false });
    },
  },
  {
    route: 'POST /spas', // another employer simply creates a spa of their own
    send: (http) => http('post', '/api/v1/spas').send({ name: 'Matrix Spa', cityId: cityId0 }),
    verify: async (res, _f, caller) => {
      const row = await one(`SELECT owner_id, name FROM spas WHERE id = $1`, [res.body.id]);
      expect(row).toEqual({ owner_id: caller.id, name: 'Matrix Spa' });
    },
  },
  {
    route: 'PATCH /spas/:id',
    send: (http, f) =>
      http('patch', `/api/v1/spas/${f.spaId}`).send({ description: 'Changed by the matrix.' }),
    verify: async (_res, f) => {
      const row = await one(`SELECT description FROM spas WHERE id = $1`, [f.spaId]);
      expect(row).toEqual({ description: 'Changed by the matrix.' });
    },
  },
  {
    route: 'DELETE /spas/:id',
    send: (http, f) => http('delete', `/api/v1/spas/${f.spaId}`),
    verify: async (_res, f) => {
      const row = await one(`SELECT is_active FROM spas WHERE id = $1`, [f.spaId]);
      expect(row).toEqual({ is_active: false });
      await t.http.get(`/api/v1/spas/${f.spaId}`).expect(404);
    },
  },
  {
    route: 'POST /spas/:id/images',
    send: (http, f) =>
      http('post', `/api/v1/spas/${f.spaId}/images`).attach('image', FILES.png, 'photo.png'),
    writes: 'image',
    verify: async (res, f) => {
      const row = await one(`SELECT images FROM spas WHERE id = $1`, [f.spaId]);
      expect(row).toEqual({ images: [res.body.url] });
    },
  },
  {
    route: 'POST /jobs',
    send: (http, f) =>
      http('post', '/api/v1/jobs').send({
        spaId: f.spaId,
        categoryId: categoryId0,
        title: 'Matrix Massage Therapist',
        description: 'A job posted by the authorization matrix, long enough.',
      }),
    verify: async (res, f, caller) => {
      const row = await one(`SELECT spa_id, created_by FROM jobs WHERE id = $1`, [res.body.id]);
      expect(row).toEqual({ spa_id: f.spaId, created_by: caller.id });
    },
  },
  {
    route: 'PATCH /jobs/:id',
    send: (http, f) =>
      http('patch', `/api/v1/jobs/${f.jobId}`).send({ title: 'Senior Massage Therapist' }),
    verify: async (_res, f) => {
      const row = await one(`SELECT title FROM jobs WHERE id = $1`, [f.jobId]);
      expect(row).toEqual({ title: 'Senior Massage Therapist' });
    },
  },
  {
    route: 'DELETE /jobs/:id',
    send: (http, f) => http('delete', `/api/v1/jobs/${f.jobId}`),
    verify: async (_res, f) => {
      const row = await one(`SELECT is_active FROM jobs WHERE id = $1`, [f.jobId]);
      expect(row).toEqual({ is_active: false });
      await t.http.get(`/api/v1/jobs/${f.jobId}`).expect(404);
    },
  },
  {
    // job seekers only (admins, too, are refused); the applicant has already applied (409)
    route: 'POST /jobs/:id/applications',
    send: (http, f) =>
      http('post', `/api/v1/jobs/${f.jobId}/applications`)
        .field('coverLetter', 'Hello from the matrix.')
        .attach('resume', FILES.pdf, 'resume.pdf'),
    writes: 'resume',
    verify: async (res, f, caller) => {
      const row = await one(`SELECT job_id, applicant_id FROM applications WHERE id = $1`, [
        res.body.id,
      ]);
      expect(row).toEqual({ job_id: f.jobId, applicant_id: caller.id });
    },
  },
  {
    // job seekers are refused by role (403, whatever the id); an employer it is not for must
    // not learn that the application exists (404)
    route: 'PATCH /applications/:id',
    send: (http, f) =>
      http('patch', `/api/v1/applications/${f.applicationId}`).send({ status: 'reviewed' }),
    verify: async (_res, f) => {
      const row = await one(`SELECT status FROM applications WHERE id = $1`, [f.applicationId]);
      expect(row).toEqual({ status: 'reviewed' });
    },
  },
  {
    route: 'GET /jobs/:id/applications', // the job itself is public; its applications are not
    send: (http, f) => http('get', `/api/v1/jobs/${f.jobId}/applications`),
    verify: (res, f) => {
      expect(res.body.data.map((a: { id: number }) => a.id)).toEqual([f.applicationId]);
      return Promise.resolve();
    },
  },
  {
    route: 'GET /applications/:id',
    send: (http, f) => http('get', `/api/v1/applications/${f.applicationId}`),
    verify: (res, f) => {
      expect(res.body).toMatchObject({
        id: f.applicationId,
        applicant: { id: users.applicant.id },
      });
      return Promise.resolve();
    },
  },
  {
    route: 'GET /applications/:id/resume',
    send: (http, f) =>
      http('get', `/api/v1/applications/${f.applicationId}/resume`).buffer(true).parse(pdfOrJson),
    verify: (res) => {
      expect(res.headers['content-type']).toBe('application/pdf');
      expect(Buffer.compare(res.body as Buffer, FILES.pdf)).toBe(0);
      return Promise.resolve();
    },
  },
  {
    route: 'GET /spas/mine',
    send: (http) => http('get', '/api/v1/spas/mine').query({ limit: 100 }),
    verify: (res, f, caller) => {
      expect(res.headers['cache-control']).toContain('no-store');
      expect(res.body.data.map((s: { id: number }) => s.id).includes(f.spaId)).toBe(
        ownsFixture(caller),
      );
      return Promise.resolve();
    },
  },
  {
    route: 'GET /jobs/mine',
    send: (http) => http('get', '/api/v1/jobs/mine').query({ limit: 100 }),
    verify: (res, f, caller) => {
      expect(res.headers['cache-control']).toContain('no-store');
      expect(res.body.data.map((j: { id: number }) => j.id).includes(f.jobId)).toBe(
        ownsFixture(caller),
      );
      return Promise.resolve();
    },
  },
  {
    // the job is public, so another employer may learn that it is not theirs (403)
    route: 'GET /jobs/mine/:id',
    send: (http, f) => http('get', `/api/v1/jobs/mine/${f.jobId}`),
    verify: (res, f) => {
      expect(res.body).toMatchObject({ id: f.jobId, isActive: true, closedByAdmin: false });
      return Promise.resolve();
    },
  },
  {
    // the applicant only; the employer and admins see it but may not withdraw it (403)
    route: 'POST /applications/:id/withdraw',
    send: (http, f) => http('post', `/api/v1/applications/${f.applicationId}/withdraw`),
    verify: async (res, f) => {
      expect(res.body).toMatchObject({ status: 'withdrawn', hasResume: false });
      const row = await one(`SELECT status, resume_file FROM applications WHERE id = $1`, [
        f.applicationId,
      ]);
      expect(row).toEqual({ status: 'withdrawn', resume_file: null });
    },
  },
  {
    route: 'DELETE /spas/:id/images/:name',
    withImage: true,
    send: (http, f) => http('delete', `/api/v1/spas/${f.spaId}/images/${f.imageName}`),
    verify: async (_res, f) => {
      expect(await one(`SELECT images FROM spas WHERE id = $1`, [f.spaId])).toEqual({ images: [] });
      expect((await storedFiles(t)).uploads).not.toContain(`spas/${f.imageName}`);
    },
  },
  {
    route: 'DELETE /spas/:id/images',
    withImage: true,
    send: (http, f) => http('delete', `/api/v1/spas/${f.spaId}/images`),
    verify: async (_res, f) => {
      expect(await one(`SELECT images FROM spas WHERE id = $1`, [f.spaId])).toEqual({ images: [] });
      expect((await storedFiles(t)).uploads).not.toContain(`spas/${f.imageName}`);
    },
  },
  {
    route: 'POST /states',
    send: (http) => http('post', '/api/v1/states').send({ code: 'ZZ', name: 'Matrix State' }),
    verify: async (res) => {
      const row = await one(`SELECT code, name FROM states WHERE id = $1`, [res.body.id]);
      expect(row).toEqual({ code: 'ZZ', name: 'Matrix State' });
    },
  },
  {
    route: 'PATCH /states/:id',
    send: (http, f) =>
      http('patch', `/api/v1/states/${refs.stateId}`).send({ name: `Matrix State ${f.spaId}` }),
    verify: async (_res, f) => {
      const row = await one(`SELECT name FROM states WHERE id = $1`, [refs.stateId]);
      expect(row).toEqual({ name: `Matrix State ${f.spaId}` });
    },
  },
  {
    route: 'POST /cities',
    send: (http) =>
      http('post', '/api/v1/cities').send({ stateId: refs.stateId, name: 'Matrix City' }),
    verify: async (res) => {
      const row = await one(`SELECT state_id, name FROM cities WHERE id = $1`, [res.body.id]);
      expect(row).toEqual({ state_id: refs.stateId, name: 'Matrix City' });
    },
  },
  {
    route: 'PATCH /cities/:id',
    send: (http, f) =>
      http('patch', `/api/v1/cities/${refs.cityId}`).send({ name: `Matrix Town ${f.spaId}` }),
    verify: async (_res, f) => {
      const row = await one(`SELECT name FROM cities WHERE id = $1`, [refs.cityId]);
      expect(row).toEqual({ name: `Matrix Town ${f.spaId}` });
    },
  },
  {
    route: 'POST /job-categories',
    send: (http) => http('post', '/api/v1/job-categories').send({ name: 'Matrix Category' }),
    verify: async (res) => {
      const row = await one(`SELECT name FROM job_categories WHERE id = $1`, [res.body.id]);
      expect(row).toEqual({ name: 'Matrix Category' });
    },
  },
  {
    route: 'PATCH /job-categories/:id',
    send: (http) =>
      http('patch', `/api/v1/job-categories/${refs.categoryId}`).send({ isActive: false }),
    verify: async () => {
      const row = await one(`SELECT is_active FROM job_categories WHERE id = $1`, [
        refs.categoryId,
      ]);
      expect(row).toEqual({ is_active: false });
      await t.db.query(`UPDATE job_categories SET is_active = true WHERE id = $1`, [
        refs.categoryId,
      ]);
    },
  },
  ...((): Route[] => {
    /** A token of an account flow, as its mail carries it (stored hashed, valid for an hour). */
    const accountToken = async (userId: number, purpose: string): Promise<string> => {
      const { createHash, randomBytes } = await import('node:crypto');
      const token = randomBytes(32).toString('base64url');
      await t.db.query(
        `INSERT INTO account_tokens (user_id, purpose, token_hash, expires_at)
         VALUES ($1, $2, $3, now() + interval '1 hour')`,
        [userId, purpose, createHash('sha256').update(token).digest('hex')],
      );
      return token;
    };
    return [
      {
        route: 'POST /auth/verify-email/request',
        send: (http) => http('post', '/api/v1/auth/verify-email/request'),
      },
      {
        route: 'POST /auth/verify-email',
        send: (async (http: Parameters<Send>[0], f: Fixture) =>
          http('post', '/api/v1/auth/verify-email').send({
            token: await accountToken(f.targetUserId, 'verify_email'),
          })) as unknown as Send,
        verify: async (res, f) => {
          expect(res.body).toEqual({
            email: `target-${f.spaId}@example.test`,
            emailVerified: true,
          });
          const row = await one<{ verified: boolean }>(
            `SELECT email_verified_at IS NOT NULL AS verified FROM users WHERE id = $1`,
            [f.targetUserId],
          );
          expect(row).toEqual({ verified: true });
        },
      },
      {
        route: 'GET /auth/verify-email',
        send: (http) => http('get', `/api/v1/auth/verify-email?token=${'A'.repeat(43)}`),
      },
      {
        route: 'POST /auth/password-reset/request', // the same answer whoever asks, token or not
        send: (http, f) =>
          http('post', '/api/v1/auth/password-reset/request').send({
            email: `target-${f.spaId}@example.test`,
          }),
        verify: async (_res, f) => {
          const row = await one(
            `SELECT count(*)::int AS n FROM account_tokens WHERE user_id = $1 AND purpose = 'password_reset'`,
            [f.targetUserId],
          );
          expect(row).toEqual({ n: 1 });
        },
      },
      {
        route: 'POST /auth/password-reset',
        send: (async (http: Parameters<Send>[0], f: Fixture) =>
          http('post', '/api/v1/auth/password-reset').send({
            token: await accountToken(f.targetUserId, 'password_reset'),
            password: 'a matrix of new passphrases',
          })) as unknown as Send,
        verify: async (_res, f) => {
          const row = await one<{ password_hash: string }>(
            `SELECT password_hash FROM users WHERE id = $1`,
            [f.targetUserId],
          );
          expect(row.password_hash).toMatch(/^\$argon2id\$/);
        },
      },
      {
        route: 'POST /users/me/email',
        send: (http, f) =>
          http('post', '/api/v1/users/me/email').send({
            email: `moved-${f.spaId}@example.test`,
            currentPassword: 'not the caller password',
          }),
      },
    ];
  })(),
  {
    // the job is public, so another employer may learn that it is not theirs (403)
    route: 'POST /jobs/:id/renew',
    send: (http, f) => http('post', `/api/v1/jobs/${f.jobId}/renew`),
    verify: async (res, f) => {
      expect(res.body).toMatchObject({ id: f.jobId, isActive: true });
      const row = await one<{ days: number }>(
        `SELECT round(extract(epoch FROM expires_at - now()) / 86400)::int AS days FROM jobs WHERE id = $1`,
        [f.jobId],
      );
      expect(row).toEqual({ days: t.config.jobs.ttlDays });
    },
  },
  {
    route: 'GET /users/me/notifications',
    send: (http) => http('get', '/api/v1/users/me/notifications'),
    verify: (res) => {
      expect(res.headers['cache-control']).toContain('no-store');
      expect(res.body).toEqual({
        applications: expect.stringMatching(/^(instant|daily|off)$/),
        statusChanges: expect.any(Boolean),
        withdrawals: expect.any(Boolean),
        jobExpiring: expect.any(Boolean),
      });
      return Promise.resolve();
    },
  },
  {
    // each caller changes only their own choices
    route: 'PATCH /users/me/notifications',
    send: (http) => http('patch', '/api/v1/users/me/notifications').send({ jobExpiring: false }),
    verify: async (res, _f, caller) => {
      expect(res.body).toMatchObject({ jobExpiring: false });
      const row = await one(`SELECT job_expiring FROM notice_preferences WHERE user_id = $1`, [
        caller.id,
      ]);
      expect(row).toEqual({ job_expiring: false });
    },
  },
  {
    route: 'POST /saved-searches',
    send: (http) =>
      http('post', '/api/v1/saved-searches').send({
        name: 'Matrix search',
        filters: { cityId: cityId0 },
      }),
    verify: async (res, _f, caller) => {
      const row = await one(`SELECT user_id, filters FROM saved_searches WHERE id = $1`, [
        res.body.id,
      ]);
      expect(row).toEqual({ user_id: caller.id, filters: { cityId: cityId0 } });
    },
  },
  {
    route: 'GET /saved-searches',
    send: (http) => http('get', '/api/v1/saved-searches').query({ limit: 100 }),
    verify: async (res, _f, caller) => {
      expect(res.headers['cache-control']).toContain('no-store');
      const ids = res.body.data.map((s: { id: number }) => s.id);
      const rows: { id: number }[] = await t.db.query(
        `SELECT id FROM saved_searches WHERE user_id = $1 ORDER BY created_at DESC, id DESC LIMIT 100`,
        [caller.id],
      );
      expect(ids).toEqual(rows.map((r) => r.id));
    },
  },
  // The routes on one search: each cell saves one for the applicant first (saved_searches is not
  // in the snapshot). `send` returns a promise of the request, which the cell awaits alike.
  ...(['get', 'patch', 'delete'] as const).map((method): Route => ({
    route: `${method.toUpperCase()} /saved-searches/:id`,
    send: (async (http: Parameters<Send>[0], f: Fixture) => {
      const [search] = await t.db.query(
        `INSERT INTO saved_searches (user_id, name) VALUES ($1, $2) RETURNING id`,
        [users.applicant.id, `Matrix ${f.spaId}`],
      );
      const req = http(method, `/api/v1/saved-searches/${search.id}`);
      return method === 'patch' ? req.send({ frequency: 'daily' }) : req;
    }) as unknown as Send,
    verify: async (res, f) => {
      const rows = await t.db.query(`SELECT frequency FROM saved_searches WHERE name = $1`, [
        `Matrix ${f.spaId}`,
      ]);
      if (method === 'get') expect(res.body).toMatchObject({ name: `Matrix ${f.spaId}` });
      expect(rows).toEqual(
        { get: [{ frequency: 'instant' }], patch: [{ frequency: 'daily' }], delete: [] }[method],
      );
    },
  })),
  {
    // the link of an alert mail, signed for the applicant's search: whoever follows it, logged
    // in as anyone or not at all
    route: 'POST /saved-searches/:id/unsubscribe',
    send: (async (http: Parameters<Send>[0], f: Fixture) => {
      const [search] = await t.db.query(
        `INSERT INTO saved_searches (user_id, name) VALUES ($1, $2) RETURNING id`,
        [users.applicant.id, `Matrix ${f.spaId}`],
      );
      const { unsubscribeUrl } = await import('../../src/saved-searches/unsubscribe-link.js');
      const url = new URL(
        unsubscribeUrl(t.config.publicUrl, t.config.auth.secretKey, search.id, users.applicant.id),
      );
      return http('post', `${url.pathname}${url.search}`);
    }) as unknown as Send,
    verify: async (res, f) => {
      expect(res.body).toEqual({ id: expect.any(Number), frequency: 'off' });
      const rows = await t.db.query(`SELECT id, frequency FROM saved_searches WHERE name = $1`, [
        `Matrix ${f.spaId}`,
      ]);
      expect(rows).toEqual([{ id: res.body.id, frequency: 'off' }]);
    },
  },
  {
    // "owner" is the caller's own account: everyone signed in asks for theirs, queued at first
    route: 'GET /users/me/export',
    send: (http) => http('get', '/api/v1/users/me/export'),
    verify: async (res, _f, caller) => {
      expect(res.headers['retry-after']).toBe('5');
      expect(res.body).toMatchObject({ status: 'pending', exportId: expect.any(Number) });
      const row = await one(`SELECT user_id, status FROM data_exports WHERE id = $1`, [
        res.body.exportId,
      ]);
      expect(row).toEqual({ user_id: caller.id, status: expect.stringMatching(/pending|ready/) });
    },
  },
  {
    // a wrong currentPassword for everyone: deleting the matrix's own accounts would change
    // every later cell; refused, it must leave every row as it was (checked for each cell)
    route: 'DELETE /users/me',
    send: (http) =>
      http('delete', '/api/v1/users/me').send({ currentPassword: 'not-the-password' }),
  },
];

ROUTES.push(
  {
    route: 'GET /admin/jobs/failed',
    send: (http) => http('get', '/api/v1/admin/jobs/failed'),
    verify: (res) => {
      expect(res.body).toEqual({ data: expect.any(Array), nextCursor: null });
      return Promise.resolve();
    },
  },
  {
    route: 'POST /admin/jobs/failed/:uuid/retry',
    send: (http) => http('post', `/api/v1/admin/jobs/failed/${randomUUID()}/retry`),
  },
);

const CELLS = ROUTES.flatMap((r) =>
  ACTORS.map((actor) => [r.route, actor, MATRIX[r.route][actor], r] as const),
);

async function files(): Promise<{ image: string[]; resume: string[] }> {
  const stored = await storedFiles(t);
  return { image: stored.uploads, resume: stored.resumes };
}

/** `{ statusCode, error, message, code?, requestId }`, plus the per-field `details` of a 400. */
function expectErrorBody(res: Response, status: number): void {
  const { details, ...body } = res.body as Record<string, unknown>;
  if (details !== undefined) expect(details).toEqual(expect.any(Array));
  expect(body).toEqual({
    statusCode: status,
    error: STATUS_CODES[status],
    message: expect.any(String),
    code: expect.any(String),
    requestId: res.headers['x-request-id'],
  });
}

async function fixture(withImage = false): Promise<Fixture> {
  const spa = await createSpa(t, users.owner);
  let imageName: string | undefined;
  if (withImage) {
    // stored directly, as an upload leaves it: only the routes that delete images need one
    imageName = `${randomUUID()}.png`;
    await mkdir(join(t.config.uploads.publicDir, 'spas'), { recursive: true });
    await writeFile(join(t.config.uploads.publicDir, 'spas', imageName), FILES.png);
    await t.db.query(`UPDATE spas SET images = $1 WHERE id = $2`, [
      [`/uploads/spas/${imageName}`],
      spa.id,
    ]);
  }
  const job = await createJob(t, users.owner, spa.id);
  const application = await t.http
    .post(`/api/v1/jobs/${job.id}/applications`)
    .set('Authorization', users.applicant.auth)
    .field('coverLetter', 'I would love to join.')
    .attach('resume', FILES.pdf, 'resume.pdf')
    .expect(201);
  // inserted directly: registering (hashing a password) for each cell would be slow
  const [target] = await t.db.query(
    `INSERT INTO users (email, password_hash, full_name, role)
     VALUES ($1, 'not-a-hash', 'Target User', 'job_seeker') RETURNING id`,
    [`target-${spa.id}@example.test`],
  );
  return {
    spaId: spa.id,
    jobId: job.id,
    applicationId: application.body.id,
    targetUserId: target.id,
    imageName,
  };
}

function caller(actor: Actor) {
  const user = actor === 'anonymous' ? undefined : users[actor];
  return (method: 'get' | 'post' | 'patch' | 'delete', path: string): Test => {
    const req = t.http[method](path);
    return user ? req.set('Authorization', user.auth) : req;
  };
}

describe('authorization', () => {
  beforeAll(async () => {
    t = await createTestApp();
    const [seeker, applicant, otherEmployer, owner, admin] = await Promise.all([
      createUser(t, 'job_seeker', 'Some Seeker'),
      createUser(t, 'job_seeker', 'The Applicant'),
      createUser(t, 'employer', 'Other Employer'),
      createUser(t, 'employer', 'Spa Owner'),
      createUser(t, 'admin', 'Site Admin'),
    ]);
    users = { seeker, applicant, otherEmployer, owner, admin };
    cityId0 = (await city(t)).cityId;
    categoryId0 = await categoryId(t);
    const [state] = await t.db.query(
      `INSERT INTO states (code, name, slug) VALUES ('YY', 'Matrix Target', 'matrix-target') RETURNING id`,
    );
    const [town] = await t.db.query(
      `INSERT INTO cities (state_id, name, slug) VALUES ($1, 'Matrix Target', 'matrix-target') RETURNING id`,
      [state.id],
    );
    const [category] = await t.db.query(
      `INSERT INTO job_categories (name, slug) VALUES ('Matrix Target', 'matrix-target') RETURNING id`,
    );
    refs = { stateId: state.id, cityId: town.id, categoryId: category.id };
  });
  afterAll(() => t?.close());

  it(`covers ${ROUTES.length} routes × ${ACTORS.length} callers = ${CELLS.length} cells`, () => {
    expect(Object.keys(MATRIX).sort()).toEqual(ROUTES.map((r) => r.route).sort());
    expect(ROUTES.map((r) => r.route).sort()).toEqual(
      [
        'PATCH /users/me',
        'PATCH /users/:id',
        'POST /spas',
        'PATCH /spas/:id',
        'DELETE /spas/:id',
        'POST /spas/:id/images',
        'POST /jobs',
        'PATCH /jobs/:id',
        'DELETE /jobs/:id',
        'POST /jobs/:id/applications',
        'PATCH /applications/:id',
        'GET /jobs/:id/applications',
        'GET /applications/:id',
        'GET /applications/:id/resume',
        'GET /spas/mine',
        'GET /jobs/mine',
        'GET /jobs/mine/:id',
        'POST /applications/:id/withdraw',
        'DELETE /spas/:id/images/:name',
        'DELETE /spas/:id/images',
        'POST /states',
        'PATCH /states/:id',
        'POST /cities',
        'PATCH /cities/:id',
        'POST /job-categories',
        'PATCH /job-categories/:id',
        'GET /admin/jobs/failed',
        'POST /admin/jobs/failed/:uuid/retry',
        'POST /auth/verify-email/request',
        'POST /auth/verify-email',
        'GET /auth/verify-email',
        'POST /auth/password-reset/request',
        'POST /auth/password-reset',
        'POST /users/me/email',
        'POST /jobs/:id/renew',
        'GET /users/me/notifications',
        'PATCH /users/me/notifications',
        'POST /saved-searches',
        'GET /saved-searches',
        'GET /saved-searches/:id',
        'PATCH /saved-searches/:id',
        'DELETE /saved-searches/:id',
        'POST /saved-searches/:id/unsubscribe',
        'GET /users/me/export',
        'DELETE /users/me',
      ].sort(),
    );
    expect(CELLS).toHaveLength(45 * 6);
  });

  it.each(CELLS)('%s as %s → %i', async (_route, actor, status, r) => {
    const f = await fixture(r.withImage);
    const dbBefore = await snapshot(t);
    const filesBefore = await files();

    const res = await r.send(caller(actor), f);

    expect(res.status).toBe(status);
    const filesAfter = await files();
    if (status >= 400) {
      expectErrorBody(res, status);
      expect(await snapshot(t)).toEqual(dbBefore);
      expect(filesAfter).toEqual(filesBefore);
      return;
    }
    for (const kind of ['image', 'resume'] as const) {
      const added = filesAfter[kind].filter((name) => !filesBefore[kind].includes(name));
      expect(added).toHaveLength(r.writes === kind ? 1 : 0);
    }
    if (r.route.startsWith('GET ')) expect(await snapshot(t)).toEqual(dbBefore);
    await r.verify?.(res, f, users[actor as Exclude<Actor, 'anonymous'>]);
  });

  describe('admin-only fields', () => {
    it.each([
      ['rating', 4.5, 'rating'],
      ['isVerified', true, 'is_verified'],
      ['isActive', false, 'is_active'],
    ] as const)(
      'an owner cannot set %s on their spa; an admin can',
      async (field, value, column) => {
        const spa = await createSpa(t, users.owner);
        const before = await snapshot(t);
        const refused = await t.http
          .patch(`/api/v1/spas/${spa.id}`)
          .set('Authorization', users.owner.auth)
          .send({ description: 'Smuggled along', [field]: value })
          .expect(403);
        expect(refused.body).toMatchObject({ code: 'ADMIN_ONLY_FIELD' });
        expect(refused.body.message).toContain(field);
        expect(await snapshot(t)).toEqual(before);

        await t.http
          .patch(`/api/v1/spas/${spa.id}`)
          .set('Authorization', users.admin.auth)
          .send({ [field]: value })
          .expect(200);
        const row = await one<{ v: unknown }>(`SELECT ${column} AS v FROM spas WHERE id = $1`, [
          spa.id,
        ]);
        expect(field === 'rating' ? Number(row.v) : row.v).toBe(value);
      },
    );

    it('an owner cannot feature a job, neither when posting nor when editing; an admin can', async () => {
      const spa = await createSpa(t, users.owner);
      const job = await createJob(t, users.owner, spa.id);
      const before = await snapshot(t);
      const posted = await t.http
        .post('/api/v1/jobs')
        .set('Authorization', users.owner.auth)
        .send({
          spaId: spa.id,
          categoryId: categoryId0,
          title: 'Featured Esthetician',
          description: 'Trying to feature this posting without paying for it.',
          isFeatured: true,
        })
        .expect(403);
      expect(posted.body.message).toContain('isFeatured');
      const edited = await t.http
        .patch(`/api/v1/jobs/${job.id}`)
        .set('Authorization', users.owner.auth)
        .send({ title: 'Now Featured', isFeatured: true })
        .expect(403);
      expect(edited.body).toMatchObject({ code: 'ADMIN_ONLY_FIELD' });
      expect(await snapshot(t)).toEqual(before);

      await t.http
        .patch(`/api/v1/jobs/${job.id}`)
        .set('Authorization', users.admin.auth)
        .send({ isFeatured: true })
        .expect(200);
      expect(await one(`SELECT is_featured FROM jobs WHERE id = $1`, [job.id])).toEqual({
        is_featured: true,
      });
    });
  });

  describe('tokens and roles', () => {
    it("refuses a deactivated user's token on the very next request", async () => {
      const user = await createUser(t, 'employer');
      await t.http.get('/api/v1/users/me').set('Authorization', user.auth).expect(200);
      await t.http
        .patch(`/api/v1/users/${user.id}`)
        .set('Authorization', users.admin.auth)
        .send({ isActive: false })
        .expect(200);

      const before = await snapshot(t);
      const me = await t.http.get('/api/v1/users/me').set('Authorization', user.auth).expect(401);
      expectErrorBody(me, 401);
      await t.http
        .post('/api/v1/spas')
        .set('Authorization', user.auth)
        .send({ name: 'Ghost Spa', cityId: cityId0 })
        .expect(401);
      const login = await t.http
        .post('/api/v1/auth/login')
        .send({ email: user.email, password: user.password })
        .expect(403);
      expect(login.body).toMatchObject({ code: 'ACCOUNT_DISABLED' });
      expect(await snapshot(t)).toEqual(before);
    });

    it('applies a demotion on the very next request', async () => {
      const user = await createUser(t, 'employer');
      await t.http
        .patch(`/api/v1/users/${user.id}`)
        .set('Authorization', users.admin.auth)
        .send({ role: 'job_seeker' })
        .expect(200);
      const before = await snapshot(t);
      const res = await t.http
        .post('/api/v1/spas')
        .set('Authorization', user.auth)
        .send({ name: 'Former Employer Spa', cityId: cityId0 })
        .expect(403);
      expect(res.body).toMatchObject({ code: 'FORBIDDEN_ROLE' });
      expect(await snapshot(t)).toEqual(before);
    });

    it('a password change signs out the older tokens', async () => {
      const user = await createUser(t, 'job_seeker');
      const changed = await t.http
        .patch('/api/v1/users/me')
        .set('Authorization', user.auth)
        .send({ password: 'a-brand-new-password', currentPassword: user.password })
        .expect(200);
      expect(changed.body).not.toHaveProperty('passwordHash');
      await t.http.get('/api/v1/users/me').set('Authorization', user.auth).expect(401);
      const login = await t.http
        .post('/api/v1/auth/login')
        .send({ email: user.email, password: 'a-brand-new-password' })
        .expect(200);
      await t.http
        .get('/api/v1/users/me')
        .set('Authorization', `Bearer ${login.body.accessToken}`)
        .expect(200);
    });

    it.each(['admin', 'Admin', ' admin'])(
      'refuses to register with role %j (400, nothing written)',
      async (role) => {
        const before = await snapshot(t);
        const email = `would-be-admin-${role.trim().toLowerCase()}@example.test`;
        const res = await t.http
          .post('/api/v1/auth/register')
          .send({ email, password: 'long-enough-password', fullName: 'Would Be', role })
          .expect(400);
        expectErrorBody(res, 400);
        expect(res.body.message).toContain('role');
        expect(await snapshot(t)).toEqual(before);
        expect(await t.db.query(`SELECT id FROM users WHERE email = $1`, [email])).toEqual([]);
      },
    );
  });
});

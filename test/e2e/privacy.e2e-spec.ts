import { randomBytes } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import type { Response } from 'supertest';
import { PREPARE_EXPORT, DataExportsService } from '../../src/privacy/data-exports.service.js';
import { createTestApp, type TestApp } from '../support/create-test-app.js';
import {
  createJob,
  createSpa,
  createUser,
  FILES,
  snapshot,
  type Role,
  type TestUser,
} from '../support/factories.js';
import { storedFiles } from '../support/files.js';
import { TestSmtpServer } from '../support/smtp.js';
import { waitFor } from '../support/wait.js';
import { ALL_JOBS } from '../support/queue.js';

/**
 * Data rights, on the embedded database and on PostgreSQL alike: the export is prepared by the
 * queue (202, then 200 with the document and a mail), holds the caller's rows and resume bytes
 * and nothing of anyone else, and is bounded; the deletion leaves nothing personal in any table
 * that references the account nor on disk, keeps the employer's (anonymised) application,
 * revokes every token and frees the e-mail address.
 */

let smtp: TestSmtpServer;
let t: TestApp;

const unique = () => randomBytes(4).toString('hex');

/** A user whose name is unique in the database, so that a scan for it finds only their rows. */
async function person(role: Role): Promise<TestUser & { name: string }> {
  const name = `Zed ${role} ${unique()}`;
  return { ...(await createUser(t, role, name)), name };
}

const getExport = (user: TestUser, query = '') =>
  t.http.get(`/api/v1/users/me/export${query}`).set('Authorization', user.auth);

/** The export once ready (asks every 200 ms, as a client told Retry-After would, only faster). */
async function readyExport(user: TestUser, query = ''): Promise<Response> {
  let res: Response | undefined;
  const ready = await waitFor(async () => {
    res = await getExport(user, query);
    query = ''; // a refresh is asked once; then the caller waits for it like anyone
    expect([200, 202]).toContain(res.status);
    return res.status === 200;
  }, 30_000);
  expect(ready, 'the export became ready').toBe(true);
  return res!;
}

async function applyWithResume(seeker: TestUser, jobId: number, letter: string) {
  const res = await t.http
    .post(`/api/v1/jobs/${jobId}/applications`)
    .set('Authorization', seeker.auth)
    .field('coverLetter', letter)
    .attach('resume', FILES.pdf, 'resume.pdf')
    .expect(201);
  const [row] = await t.db.query(`SELECT resume_file FROM applications WHERE id = $1`, [
    res.body.id,
  ]);
  return { id: res.body.id as number, resumeFile: row.resume_file as string };
}

async function employerWithJob() {
  const owner = await person('employer');
  const spa = await createSpa(t, owner);
  const image = await t.http
    .post(`/api/v1/spas/${spa.id}/images`)
    .set('Authorization', owner.auth)
    .attach('image', FILES.png, 'front.png')
    .expect(201);
  const job = await createJob(t, owner, spa.id, { title: `Spa Therapist ${unique()}` });
  return { owner, spa, job, imageUrl: image.body.url as string };
}

/** A saved search with one alert, and notification choices: rows of the personal tables. */
async function savedSearchAndChoices(seeker: TestUser, jobId: number) {
  const search = await t.http
    .post('/api/v1/saved-searches')
    .set('Authorization', seeker.auth)
    .send({ name: `Massage near me ${unique()}`, filters: { q: 'massage' }, frequency: 'daily' })
    .expect(201);
  // as the alert scan records a match
  await t.db.query(
    `INSERT INTO saved_search_alerts (search_id, job_id, delivery) VALUES ($1, $2, 'daily')`,
    [search.body.id, jobId],
  );
  await t.http
    .patch('/api/v1/users/me/notifications')
    .set('Authorization', seeker.auth)
    .send({ statusChanges: false })
    .expect(200);
  return { searchId: search.body.id as number, searchName: search.body.name as string };
}

const deleteMe = (user: TestUser, body: object = { currentPassword: user.password }) =>
  t.http.delete('/api/v1/users/me').set('Authorization', user.auth).send(body);

/** Every (table, column) whose foreign key references users, as the migrations made them. */
async function referencesToUsers(): Promise<Array<{ table: string; column: string }>> {
  return t.db.query(
    `SELECT c.conrelid::regclass::text AS "table", a.attname AS "column"
       FROM pg_constraint c
       JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = ANY (c.conkey)
      WHERE c.contype = 'f' AND c.confrelid = 'users'::regclass
      ORDER BY 1, 2`,
  );
}

/** Tables (with their schema) whose rows contain `text` anywhere, the queue's included. */
async function tablesContaining(text: string): Promise<string[]> {
  const tables: { name: string }[] = await t.db.query(
    `SELECT format('%I.%I', table_schema, table_name) AS name FROM information_schema.tables
      WHERE table_schema IN ('public', 'pgboss') AND table_type = 'BASE TABLE'`,
  );
  const found: string[] = [];
  for (const { name } of tables) {
    const [{ n }] = await t.db.query(
      `SELECT count(*)::int AS n FROM ${name} x WHERE strpos(lower(x::text), lower($1)) > 0`,
      [text],
    );
    if (n > 0) found.push(name);
  }
  return found;
}

describe('data rights', () => {
  beforeAll(async () => {
    smtp = await TestSmtpServer.start();
    t = await createTestApp({
      env: { MAIL_URL: smtp.url, QUEUE_POLL_INTERVAL_MS: '500', DATA_EXPORT_DAILY_LIMIT: '2' },
    });
  });
  afterAll(async () => {
    await t?.close();
    await smtp?.stop();
  });

  describe('GET /users/me/export', () => {
    it('is prepared by the queue (202 with Retry-After, then 200), holds the caller’s rows and resume, nothing of anyone else, and is announced by one mail', async () => {
      const { owner, job } = await employerWithJob();
      const seeker = await person('job_seeker');
      const other = await person('job_seeker');
      const mine = await applyWithResume(seeker, job.id, 'My own words about massage.');
      await applyWithResume(other, job.id, 'Somebody else entirely.');
      const { searchId, searchName } = await savedSearchAndChoices(seeker, job.id);
      await savedSearchAndChoices(other, job.id);
      await t.http
        .post('/api/v1/auth/password-reset/request')
        .send({ email: seeker.email })
        .expect(202);
      const [token] = await t.db.query(
        `SELECT token_hash FROM account_tokens WHERE user_id = $1 AND purpose = 'password_reset'`,
        [seeker.id],
      );

      const first = await getExport(seeker).expect(202);
      expect(first.headers['retry-after']).toBe('5');
      expect(first.headers['cache-control']).toBe('private, no-store');
      expect(first.body).toEqual({
        status: 'pending',
        exportId: expect.any(Number),
        requestedAt: expect.any(String),
        retryAfterSeconds: 5,
      });
      const exportId = first.body.exportId as number;
      // the request and its job were written together
      const [queued] = await t.db.query(
        `SELECT count(*)::int AS n FROM ${ALL_JOBS} WHERE name = $1 AND (data->>'exportId')::int = $2`,
        [PREPARE_EXPORT, exportId],
      );
      expect(queued.n).toBe(1);
      // asking again while it is prepared starts nothing new
      const again = await getExport(seeker);
      expect([200, 202]).toContain(again.status);
      if (again.status === 202) expect(again.body.exportId).toBe(exportId);

      const res = await readyExport(seeker);
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      expect(res.headers['content-disposition']).toBe(
        `attachment; filename="spajobs-export-${exportId}.json"`,
      );
      expect(res.headers['cache-control']).toBe('private, no-store');
      const rows = await t.db.query(`SELECT id, status FROM data_exports WHERE user_id = $1`, [
        seeker.id,
      ]);
      expect(rows).toEqual([{ id: exportId, status: 'ready' }]);

      const doc = res.body;
      expect(doc).toMatchObject({ format: 'spajobs-data-export/1', exportId });
      expect(doc.user).toMatchObject({
        id: seeker.id,
        email: seeker.email,
        fullName: seeker.name,
        phone: seeker.phone,
        role: 'job_seeker',
      });
      expect(Object.keys(doc.user)).not.toContain('passwordHash');
      expect(Object.keys(doc.user)).not.toContain('tokenVersion');
      expect(doc.applications).toHaveLength(1);
      const [application] = doc.applications;
      expect(application).toMatchObject({
        id: mine.id,
        jobId: job.id,
        jobTitle: job.title,
        coverLetter: 'My own words about massage.',
        resume: { fileName: mine.resumeFile, mediaType: 'application/pdf', size: FILES.pdf.length },
      });
      expect(Buffer.from(application.resume.base64, 'base64').equals(FILES.pdf)).toBe(true);
      expect(doc.spas).toEqual([]);
      // the token's purpose and times, never its hash
      expect(doc.accountTokens).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ purpose: 'password_reset', usedAt: null }),
        ]),
      );
      expect(doc.dataExports).toEqual([expect.objectContaining({ id: exportId })]);
      expect(doc.savedSearches).toEqual([
        expect.objectContaining({ id: searchId, name: searchName, frequency: 'daily' }),
      ]);
      expect(doc.savedSearchAlerts).toEqual([
        expect.objectContaining({ searchId, jobId: job.id, delivery: 'daily' }),
      ]);
      expect(doc.noticePreferences).toEqual([expect.objectContaining({ statusChanges: false })]);

      const text = JSON.stringify(doc);
      for (const secret of [other.email, other.phone, other.name, owner.email, owner.phone]) {
        expect(text).not.toContain(secret);
      }
      expect(text).not.toContain('Somebody else entirely.');
      expect(text).not.toMatch(/\$argon2/);
      expect(text).not.toContain(token.token_hash);

      const messageId = `<data-export-ready.${exportId}@spajobs.local>`;
      expect(await waitFor(() => Promise.resolve(smtp.withMessageId(messageId).length > 0))).toBe(
        true,
      );
      await new Promise((r) => setTimeout(r, 1500));
      const [mail, ...more] = smtp.withMessageId(messageId);
      expect(more).toEqual([]);
      expect(mail.to).toEqual([seeker.email]);
      expect(mail.headers.get('subject')).toContain('data export is ready');
      // transactional: the person asked for it
      expect(mail.headers.has('list-unsubscribe')).toBe(false);
      expect(mail.decoded).toContain('/api/v1/users/me/export');
      expect(mail.raw).toMatch(/Content-Type: text\/html/);
    });

    it('sends the stored gzip as it is, and the plain JSON to a client without gzip', async () => {
      const seeker = await person('job_seeker');
      await readyExport(seeker);
      const gz = await getExport(seeker)
        .set('Accept-Encoding', 'gzip')
        .buffer(true)
        .parse((res, done) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => done(null, Buffer.concat(chunks)));
        })
        .expect(200);
      expect(gz.headers['content-encoding']).toBe('gzip');
      const plain = await getExport(seeker).set('Accept-Encoding', 'identity').expect(200);
      expect(plain.headers['content-encoding']).toBeUndefined();
      expect(plain.body.user.email).toBe(seeker.email);
      // superagent may already have inflated it; either way the bytes are the same document
      const body = gz.body as Buffer;
      const json = body[0] === 0x1f ? gunzipSync(body).toString() : body.toString();
      expect(JSON.parse(json)).toEqual(plain.body);
    });

    it('gives an employer their spas, jobs and images, and none of their applicants', async () => {
      const { owner, spa, job, imageUrl } = await employerWithJob();
      const seeker = await person('job_seeker');
      await applyWithResume(seeker, job.id, 'Hello employer.');

      const doc = (await readyExport(owner)).body;
      expect(doc.spas).toEqual([
        expect.objectContaining({
          id: spa.id,
          name: spa.name,
          images: [
            {
              url: `${t.config.publicUrl}${imageUrl}`,
              fileName: imageUrl.split('/').at(-1),
              mediaType: 'image/png',
            },
          ],
        }),
      ]);
      expect(doc.jobs).toEqual([expect.objectContaining({ id: job.id, title: job.title })]);
      expect(doc.applications).toEqual([]);
      const text = JSON.stringify(doc);
      for (const secret of [seeker.email, seeker.phone, seeker.name, 'Hello employer.']) {
        expect(text).not.toContain(secret);
      }
    });

    it('prepares one export at a time and at most DATA_EXPORT_DAILY_LIMIT a day; refresh replaces the ready one', async () => {
      const seeker = await person('job_seeker');
      const first = (await readyExport(seeker)).body.exportId as number;
      // a ready export is served again, not prepared again
      expect((await getExport(seeker).expect(200)).body.exportId).toBe(first);

      const refreshed = await getExport(seeker, '?refresh=true').expect(202);
      const second = refreshed.body.exportId as number;
      expect(second).not.toBe(first);
      // while it is prepared, another refresh is the same pending one
      const during = await getExport(seeker, '?refresh=true');
      if (during.status === 202) expect(during.body.exportId).toBe(second);
      expect((await readyExport(seeker)).body.exportId).toBe(second);
      const rows = await t.db.query(
        `SELECT id, status, document IS NULL AS dropped FROM data_exports WHERE user_id = $1 ORDER BY id`,
        [seeker.id],
      );
      expect(rows).toEqual([
        { id: first, status: 'superseded', dropped: true },
        { id: second, status: 'ready', dropped: false },
      ]);

      const before = await t.db.query(`SELECT count(*)::int AS n FROM data_exports`);
      const limited = await getExport(seeker, '?refresh=true').expect(429);
      expect(limited.body).toMatchObject({ code: 'EXPORT_LIMIT_REACHED' });
      expect(limited.body.message).toContain('DATA_EXPORT_DAILY_LIMIT');
      const wait = Number(limited.headers['retry-after']);
      expect(wait).toBeGreaterThan(86_000);
      expect(wait).toBeLessThanOrEqual(86_400);
      expect(await t.db.query(`SELECT count(*)::int AS n FROM data_exports`)).toEqual(before);
      // the ready one is still there to take
      expect((await getExport(seeker).expect(200)).body.exportId).toBe(second);
    });

    it('is prepared by a worker, never by the request: without workers it stays pending', async () => {
      const web = await createTestApp({ env: { WORKERS_ENABLED: 'false' } });
      try {
        const seeker = await createUser(web, 'job_seeker');
        const auth = { Authorization: seeker.auth };
        const first = await web.http.get('/api/v1/users/me/export').set(auth).expect(202);
        await new Promise((r) => setTimeout(r, 2500));
        const later = await web.http.get('/api/v1/users/me/export').set(auth).expect(202);
        expect(later.body.exportId).toBe(first.body.exportId);
        const [job] = await web.db.query(
          `SELECT state::text AS state FROM pgboss.job WHERE name = $1 AND (data->>'exportId')::int = $2`,
          [PREPARE_EXPORT, first.body.exportId],
        );
        expect(job).toEqual({ state: 'created' });
      } finally {
        await web.close();
      }
    });

    it('gives concurrent first asks one and the same export', async () => {
      const seeker = await person('job_seeker');
      const answers = await Promise.all(Array.from({ length: 6 }, () => getExport(seeker)));
      const ids = new Set(answers.map((res) => res.body.exportId as number));
      // (a late one may already find it prepared: 200, the same export)
      for (const res of answers) expect([200, 202]).toContain(res.status);
      expect(ids.size).toBe(1);
      const rows = await t.db.query(
        `SELECT count(*)::int AS n FROM data_exports WHERE user_id = $1`,
        [seeker.id],
      );
      expect(rows).toEqual([{ n: 1 }]);
      const [queued] = await t.db.query(
        `SELECT count(*)::int AS n FROM ${ALL_JOBS} WHERE name = $1 AND (data->>'exportId')::int = $2`,
        [PREPARE_EXPORT, [...ids][0]],
      );
      expect(queued.n).toBe(1);
    });

    it('is deleted with the record of its mail once expired (the scheduled cleanup)', async () => {
      const seeker = await person('job_seeker');
      const id = (await readyExport(seeker)).body.exportId as number;
      const key = `data-export-ready:${id}`;
      await waitFor(async () => {
        const rows = await t.db.query(`SELECT 1 FROM sent_notices WHERE notice_key = $1`, [key]);
        return rows.length > 0;
      });
      await t.db.query(
        `UPDATE data_exports SET expires_at = now() - interval '1 second' WHERE id = $1`,
        [id],
      );
      expect(await t.app.get(DataExportsService).cleanup()).toBeGreaterThanOrEqual(1);
      expect(await t.db.query(`SELECT 1 FROM data_exports WHERE id = $1`, [id])).toEqual([]);
      expect(await t.db.query(`SELECT 1 FROM sent_notices WHERE notice_key = $1`, [key])).toEqual(
        [],
      );
      // and the next ask prepares a new one
      expect((await getExport(seeker).expect(202)).body.exportId).not.toBe(id);
    });
  });

  describe('DELETE /users/me', () => {
    it('refuses a wrong or missing currentPassword with 400 and changes nothing', async () => {
      const seeker = await person('job_seeker');
      const before = await snapshot(t);
      const wrong = await deleteMe(seeker, { currentPassword: 'not-my-password' }).expect(400);
      expect(wrong.body).toMatchObject({ code: 'INVALID_CURRENT_PASSWORD' });
      const missing = await deleteMe(seeker, {}).expect(400);
      expect(missing.body).toMatchObject({ code: 'VALIDATION_FAILED' });
      expect(missing.body.message).toContain('currentPassword');
      expect(await snapshot(t)).toEqual(before);
      await t.http.get('/api/v1/users/me').set('Authorization', seeker.auth).expect(200);
    });

    it('leaves nothing personal behind: rows in every table that references the account, files, tokens; the employer keeps an anonymised application; the address registers again', async () => {
      const { owner, job } = await employerWithJob();
      const seeker = await person('job_seeker');
      const application = await applyWithResume(seeker, job.id, 'A letter only I wrote.');
      const { searchId, searchName } = await savedSearchAndChoices(seeker, job.id);
      await readyExport(seeker);
      await t.http
        .post('/api/v1/auth/password-reset/request')
        .send({ email: seeker.email })
        .expect(202);
      const [reset] = await t.db.query(
        `SELECT id FROM account_tokens WHERE user_id = $1 AND purpose = 'password_reset'`,
        [seeker.id],
      );
      // its mail out first, so that its record exists (and must go) when the account does
      expect(
        await waitFor(async () => {
          const rows = await t.db.query(`SELECT 1 FROM sent_notices WHERE notice_key = $1`, [
            `password-reset:${reset.id}`,
          ]);
          return rows.length > 0;
        }),
      ).toBe(true);
      const [{ tv }] = await t.db.query(`SELECT token_version AS tv FROM users WHERE id = $1`, [
        seeker.id,
      ]);
      expect((await storedFiles(t)).resumes).toContain(application.resumeFile);

      await deleteMe(seeker).expect(204);

      // every token refused at once; the old credentials open nothing
      const revoked = await t.http
        .get('/api/v1/users/me')
        .set('Authorization', seeker.auth)
        .expect(401);
      expect(revoked.body).toMatchObject({ code: 'TOKEN_REVOKED' });
      await t.http
        .post('/api/v1/auth/login')
        .send({ email: seeker.email, password: seeker.password })
        .expect(401);

      const [user] = await t.db.query(
        `SELECT email, full_name, phone, password_hash, is_active, token_version, last_login_at
           FROM users WHERE id = $1`,
        [seeker.id],
      );
      expect(user).toEqual({
        email: expect.stringMatching(/^deleted-\d+\.[0-9a-f]{16}@deleted\.invalid$/),
        full_name: 'Deleted user',
        phone: null,
        password_hash: '!deleted',
        is_active: false,
        token_version: tv + 1,
        last_login_at: null,
      });

      // every table whose rows point at the account: only the anonymised ones keep any
      const KEPT: Record<string, (rows: Record<string, unknown>[]) => void> = {
        applications: (rows) =>
          expect(rows).toEqual([
            expect.objectContaining({
              id: application.id,
              cover_letter: null,
              resume_file: null,
              resume_size: null,
            }),
          ]),
        spas: (rows) => expect(rows).toEqual([]),
        jobs: (rows) => expect(rows).toEqual([]),
      };
      const references = await referencesToUsers();
      expect(references.map((r) => r.table)).toEqual(
        expect.arrayContaining([
          'applications',
          'spas',
          'jobs',
          'upload_usage',
          'data_exports',
          'account_tokens',
          'notice_preferences',
          'saved_searches',
        ]),
      );
      // tied to the account through its saved search
      expect(
        await t.db.query(`SELECT 1 FROM saved_search_alerts WHERE search_id = $1`, [searchId]),
      ).toEqual([]);
      for (const { table, column } of references) {
        const rows = await t.db.query(`SELECT * FROM ${table} WHERE ${column} = $1`, [seeker.id]);
        if (KEPT[table]) KEPT[table](rows);
        else expect(rows, `${table}.${column}`).toEqual([]);
      }
      // and nowhere in the database, the queue's tables included (the scan does reach them),
      // their address, phone or name
      expect(await tablesContaining(PREPARE_EXPORT)).toContainEqual(
        expect.stringMatching(/^pgboss\./),
      );
      for (const text of [
        seeker.email,
        seeker.phone,
        seeker.name,
        'A letter only I wrote.',
        searchName,
      ]) {
        expect(await tablesContaining(text), text).toEqual([]);
      }
      // the records of the mails they were sent went with the rows they were tied to
      const orphans = await t.db.query(
        `SELECT notice_key FROM sent_notices
          WHERE (kind = 'data-export-ready'
                 AND split_part(notice_key, ':', 2) NOT IN (SELECT id::text FROM data_exports))
             OR (kind IN ('verify-email', 'password-reset')
                 AND split_part(notice_key, ':', 2) NOT IN (SELECT id::text FROM account_tokens))`,
      );
      expect(orphans).toEqual([]);
      expect((await storedFiles(t)).resumes).not.toContain(application.resumeFile);

      // the employer keeps the application, anonymised
      const list = await t.http
        .get(`/api/v1/jobs/${job.id}/applications`)
        .set('Authorization', owner.auth)
        .expect(200);
      const kept = list.body.data.find((a: { id: number }) => a.id === application.id);
      expect(kept).toMatchObject({
        hasResume: false,
        coverLetter: null,
        applicant: { fullName: 'Deleted user', phone: null },
      });
      expect(JSON.stringify(kept)).not.toContain(seeker.email);
      await t.http
        .get(`/api/v1/applications/${application.id}/resume`)
        .set('Authorization', owner.auth)
        .expect(404);

      // the address is free again
      await t.http
        .post('/api/v1/auth/register')
        .send({ email: seeker.email, password: seeker.password, fullName: 'Back Again' })
        .expect(201);
    });

    it('an employer’s spas are deactivated, their jobs closed, their images deleted, and the public lists and cache follow at once', async () => {
      const { owner, spa, job, imageUrl } = await employerWithJob();
      const seeker = await person('job_seeker');
      const application = await applyWithResume(seeker, job.id, 'Still interested.');
      const imageName = `spas/${imageUrl.split('/').at(-1)}`;
      // cached public reads before the deletion
      await t.http.get(`/api/v1/jobs/${job.id}`).expect(200);
      await t.http.get(`/api/v1/spas/${spa.id}`).expect(200);
      const listed = await t.http.get(`/api/v1/jobs?spaId=${spa.id}`).expect(200);
      expect(listed.body.data.map((j: { id: number }) => j.id)).toEqual([job.id]);
      expect((await storedFiles(t)).uploads).toContain(imageName);

      await deleteMe(owner).expect(204);

      expect((await t.http.get(`/api/v1/jobs?spaId=${spa.id}`).expect(200)).body.data).toEqual([]);
      await t.http.get(`/api/v1/spas/${spa.id}`).expect(404);
      expect([404, 410]).toContain((await t.http.get(`/api/v1/jobs/${job.id}`)).status);
      await t.http.get(`/${imageUrl.replace(/^\//, '')}`).expect(404);
      expect((await storedFiles(t)).uploads).not.toContain(imageName);
      const [row] = await t.db.query(`SELECT is_active, images FROM spas WHERE id = $1`, [spa.id]);
      expect(row).toEqual({ is_active: false, images: [] });
      const [jobRow] = await t.db.query(`SELECT is_active FROM jobs WHERE id = $1`, [job.id]);
      expect(jobRow).toEqual({ is_active: false });
      for (const text of [owner.email, owner.phone, owner.name]) {
        expect(await tablesContaining(text), text).toEqual([]);
      }
      // the applicant still has their application, resume included
      const mine = await t.http
        .get('/api/v1/applications/mine')
        .set('Authorization', seeker.auth)
        .expect(200);
      expect(mine.body.data).toEqual([
        expect.objectContaining({ id: application.id, hasResume: true }),
      ]);
    });

    it('refuses the only active admin (409 LAST_ADMIN, nothing changes); with another admin, an admin may go', async () => {
      await t.db.query(`UPDATE users SET is_active = false WHERE role = 'admin'`);
      const first = await person('admin');
      const before = await snapshot(t);
      const refused = await deleteMe(first).expect(409);
      expect(refused.body).toMatchObject({ code: 'LAST_ADMIN' });
      expect(await snapshot(t)).toEqual(before);

      const second = await person('admin');
      await deleteMe(first).expect(204);
      expect((await deleteMe(second).expect(409)).body).toMatchObject({ code: 'LAST_ADMIN' });
      await t.http.get('/api/v1/users/me').set('Authorization', second.auth).expect(200);
    });

    it('drops an export still being prepared: the queued job then finds nothing to do', async () => {
      // asked and deleted through a process without workers, so that no worker can prepare the
      // export in between; then a worker process takes the job
      const web = await createTestApp({
        env: { MAIL_URL: smtp.url, QUEUE_POLL_INTERVAL_MS: '500', WORKERS_ENABLED: 'false' },
      });
      let worker: TestApp | undefined;
      try {
        const seeker = await createUser(web, 'job_seeker');
        const auth = { Authorization: seeker.auth };
        const pending = await web.http.get('/api/v1/users/me/export').set(auth).expect(202);
        await web.http
          .delete('/api/v1/users/me')
          .set(auth)
          .send({ currentPassword: seeker.password })
          .expect(204);
        expect(
          await web.db.query(`SELECT 1 FROM data_exports WHERE id = $1`, [pending.body.exportId]),
        ).toEqual([]);
        worker = await createTestApp({ shareWith: web, env: { WORKERS_ENABLED: 'true' } });
        const done = await waitFor(async () => {
          const [job] = await web.db.query(
            `SELECT state::text AS state FROM pgboss.job WHERE name = $1 AND (data->>'exportId')::int = $2`,
            [PREPARE_EXPORT, pending.body.exportId],
          );
          return job?.state === 'completed';
        });
        expect(done).toBe(true);
        // (by address: this database's export ids repeat the shared SMTP server's others)
        expect(smtp.received.filter((m) => m.to.includes(seeker.email))).toEqual([]);
      } finally {
        await worker?.close();
        await web.close();
      }
    });
  });
});

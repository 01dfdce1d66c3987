import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { createTestApp, type TestApp } from '../support/create-test-app.js';
import {
  applyTo,
  city,
  createJob,
  createSpa,
  createUser,
  FILES,
  type TestUser,
} from '../support/factories.js';
import { storedFiles } from '../support/files.js';

const MIB = 1024 * 1024;
/** A PNG by its magic bytes, padded to `bytes`. */
const pngOf = (bytes: number) =>
  Buffer.concat([FILES.png, Buffer.alloc(Math.floor(bytes) - FILES.png.length)]);

interface Partial {
  status: number;
  body: { code?: string; message?: string };
  /** Bytes of the body the client had sent when the response arrived. */
  sent: number;
  declared: number;
}

/**
 * Starts a multipart upload that declares `declared` bytes, sends only the first 64 KB and
 * waits for the answer. A server that reads the body before deciding never answers.
 */
async function sendPartially(
  t: TestApp,
  path: string,
  auth: string,
  field: string,
  declared = 10 * MIB,
): Promise<Partial> {
  const server: Server = t.app.getHttpServer();
  if (!server.listening) await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  const boundary = `b${randomBytes(8).toString('hex')}`;
  const first = Buffer.concat([
    Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name="${field}"; filename="big.bin"\r\n` +
        `Content-Type: application/octet-stream\r\n\r\n`,
    ),
    FILES.pdf,
    FILES.png,
    Buffer.alloc(64 * 1024),
  ]);
  return new Promise((resolve, reject) => {
    const req = httpRequest({
      host: '127.0.0.1',
      port,
      method: 'POST',
      path,
      headers: {
        authorization: auth,
        'content-type': `multipart/form-data; boundary=${boundary}`,
        'content-length': String(declared),
      },
    });
    let done = false;
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        done = true;
        resolve({
          status: res.statusCode ?? 0,
          body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as Partial['body'],
          sent: first.length,
          declared,
        });
        req.destroy();
      });
    });
    req.on('error', (err) => {
      if (!done) reject(err);
    });
    req.write(first);
  });
}

async function noFilesStored(t: TestApp): Promise<void> {
  expect(await storedFiles(t)).toEqual({ uploads: [], resumes: [] });
}

describe('uploads', () => {
  let t: TestApp;
  let admin: TestUser;

  beforeAll(async () => {
    t = await createTestApp({
      env: {
        MAX_UPLOAD_MB: '1',
        UPLOAD_DAILY_QUOTA_FILES: '3',
        UPLOAD_DAILY_QUOTA_MB: '2',
        MAX_SPAS_PER_EMPLOYER: '2',
      },
    });
    admin = await createUser(t, 'admin');
  });
  afterAll(() => t.close());

  const usage = async (user: TestUser) =>
    t.db.query<{ bytes: number; files: number }[]>(
      `SELECT bytes::int AS bytes, files FROM upload_usage WHERE user_id = $1`,
      [user.id],
    );
  const uploadImage = (user: TestUser, spaId: number, data: Buffer = FILES.png) =>
    t.http
      .post(`/api/v1/spas/${spaId}/images`)
      .set('Authorization', user.auth)
      .attach('image', data, { filename: 'a.png', contentType: 'image/png' });
  const applyWithResume = (user: TestUser, jobId: number, data: Buffer = FILES.pdf) =>
    t.http
      .post(`/api/v1/jobs/${jobId}/applications`)
      .set('Authorization', user.auth)
      .field('coverLetter', 'Hello')
      .attach('resume', data, { filename: 'cv.pdf', contentType: 'application/pdf' });

  describe('checks who may upload before reading the body', () => {
    it('answers a non-owner’s 10 MB image upload with 403 after 64 KB, writing nothing', async () => {
      const owner = await createUser(t, 'employer');
      const rival = await createUser(t, 'employer');
      const seeker = await createUser(t, 'job_seeker');
      const spa = await createSpa(t, owner);

      const byRival = await sendPartially(t, `/api/v1/spas/${spa.id}/images`, rival.auth, 'image');
      expect(byRival.status).toBe(403);
      expect(byRival.body.code).toBe('NOT_SPA_OWNER');
      expect(byRival.sent).toBeLessThan(byRival.declared / 100);

      const bySeeker = await sendPartially(
        t,
        `/api/v1/spas/${spa.id}/images`,
        seeker.auth,
        'image',
      );
      expect(bySeeker.status).toBe(403);
      expect(bySeeker.body.code).toBe('FORBIDDEN_ROLE');

      const absent = await sendPartially(t, '/api/v1/spas/999999/images', owner.auth, 'image');
      expect(absent.status).toBe(404);

      await noFilesStored(t);
      expect(await usage(rival)).toEqual([]);
      const [row] = await t.db.query(`SELECT images FROM spas WHERE id = $1`, [spa.id]);
      expect(row.images).toEqual([]);
    });

    it('answers a resume upload to a closed job, by an employer or a second time, before reading it', async () => {
      const owner = await createUser(t, 'employer');
      const seeker = await createUser(t, 'job_seeker');
      const spa = await createSpa(t, owner);
      const open = await createJob(t, owner, spa.id);
      const closed = await createJob(t, owner, spa.id);
      await t.http
        .patch(`/api/v1/jobs/${closed.id}`)
        .set('Authorization', owner.auth)
        .send({ isActive: false })
        .expect(200);
      await applyTo(t, seeker, open.id);

      const toClosed = await sendPartially(
        t,
        `/api/v1/jobs/${closed.id}/applications`,
        seeker.auth,
        'resume',
      );
      expect(toClosed.status).toBe(404);
      const byEmployer = await sendPartially(
        t,
        `/api/v1/jobs/${open.id}/applications`,
        owner.auth,
        'resume',
      );
      expect(byEmployer.status).toBe(403);
      const again = await sendPartially(
        t,
        `/api/v1/jobs/${open.id}/applications`,
        seeker.auth,
        'resume',
      );
      expect(again.status).toBe(409);
      expect(again.body.code).toBe('ALREADY_APPLIED');
      await noFilesStored(t);
      const [{ n }] = await t.db.query(
        `SELECT count(*)::int AS n FROM applications WHERE applicant_id = $1`,
        [seeker.id],
      );
      expect(n).toBe(1);
    });
  });

  describe('streams to disk', () => {
    it('stores an image under a random name and leaves no temporary file', async () => {
      const owner = await createUser(t, 'employer');
      const spa = await createSpa(t, owner);
      const res = await uploadImage(owner, spa.id, pngOf(300 * 1024)).expect(201);
      const name = (res.body.url as string).split('/').pop()!;
      expect(await storedFiles(t)).toEqual({ uploads: [`spas/${name}`], resumes: [] });
      expect(await readFile(join(t.config.uploads.publicDir, 'spas', name))).toEqual(
        pngOf(300 * 1024),
      );
      await t.http
        .delete(`/api/v1/spas/${spa.id}/images/${name}`)
        .set('Authorization', owner.auth)
        .expect(204);
    });

    it('cuts off a file past MAX_UPLOAD_MB with a 413 naming the limit and deletes what it wrote', async () => {
      const owner = await createUser(t, 'employer');
      const seeker = await createUser(t, 'job_seeker');
      const spa = await createSpa(t, owner);
      const job = await createJob(t, owner, spa.id);
      const image = await uploadImage(owner, spa.id, pngOf(1.5 * MIB)).expect(413);
      expect(image.body).toMatchObject({ code: 'PAYLOAD_TOO_LARGE' });
      expect(image.body.message).toMatch(/MAX_UPLOAD_MB \(1 MB\)/);
      const resume = await applyWithResume(
        seeker,
        job.id,
        Buffer.concat([FILES.pdf, Buffer.alloc(1.5 * MIB)]),
      ).expect(413);
      expect(resume.body.message).toMatch(/resume is too large/);
      await noFilesStored(t);
      expect(await usage(owner)).toEqual([]);
      expect(await usage(seeker)).toEqual([]);
    });

    it('deletes the temporary file when the content is refused', async () => {
      const owner = await createUser(t, 'employer');
      const spa = await createSpa(t, owner);
      await uploadImage(owner, spa.id, FILES.text).expect(415);
      await uploadImage(owner, spa.id, Buffer.alloc(0)).expect(400);
      await noFilesStored(t);
      expect(await usage(owner)).toEqual([]);
    });
  });

  describe('daily quota', () => {
    it('refuses the upload past UPLOAD_DAILY_QUOTA_FILES with 429, before reading it', async () => {
      const owner = await createUser(t, 'employer');
      const spa = await createSpa(t, owner);
      for (let i = 0; i < 3; i++) await uploadImage(owner, spa.id).expect(201);
      expect(await usage(owner)).toEqual([{ bytes: 3 * FILES.png.length, files: 3 }]);
      const before = await storedFiles(t);

      const res = await uploadImage(owner, spa.id).expect(429);
      expect(res.body.code).toBe('UPLOAD_QUOTA_EXCEEDED');
      expect(res.body.message).toMatch(/UPLOAD_DAILY_QUOTA_FILES/);
      const partial = await sendPartially(t, `/api/v1/spas/${spa.id}/images`, owner.auth, 'image');
      expect(partial.status).toBe(429);
      expect(await storedFiles(t)).toEqual(before);
      expect(await usage(owner)).toEqual([{ bytes: 3 * FILES.png.length, files: 3 }]);

      // the quota is per account: another employer still uploads
      const other = await createUser(t, 'employer');
      await uploadImage(other, (await createSpa(t, other)).id).expect(201);
    });

    it('counts bytes across images and resumes, up to UPLOAD_DAILY_QUOTA_MB', async () => {
      const owner = await createUser(t, 'employer');
      const spa = await createSpa(t, owner);
      const job = await createJob(t, owner, spa.id);
      // an employer cannot apply: the resume half runs as a seeker with their own quota
      await uploadImage(owner, spa.id, pngOf(0.9 * MIB)).expect(201);
      await uploadImage(owner, spa.id, pngOf(0.9 * MIB)).expect(201);
      const res = await uploadImage(owner, spa.id, pngOf(0.9 * MIB)).expect(429);
      expect(res.body.message).toMatch(/UPLOAD_DAILY_QUOTA_MB/);
      expect(await usage(owner)).toEqual([{ bytes: 2 * Math.floor(0.9 * MIB), files: 2 }]);
      const [row] = await t.db.query(`SELECT images FROM spas WHERE id = $1`, [spa.id]);
      expect(row.images).toHaveLength(2);
      expect((await storedFiles(t)).uploads.filter((f) => f.startsWith('.'))).toEqual([]);

      const seeker = await createUser(t, 'job_seeker');
      await applyWithResume(seeker, job.id).expect(201);
      expect(await usage(seeker)).toEqual([{ bytes: FILES.pdf.length, files: 1 }]);
    });

    it('gives the quota back when the row that would keep the file is refused', async () => {
      const owner = await createUser(t, 'employer');
      const spa = await createSpa(t, owner);
      const placeholders = Array.from({ length: 19 }, (_, i) => `/uploads/spas/p-${i}.png`);
      await t.db.query(`UPDATE spas SET images = $1 WHERE id = $2`, [placeholders, spa.id]);
      // two race for the last slot: one wins, the other's file and quota are given back
      const results = await Promise.all([uploadImage(owner, spa.id), uploadImage(owner, spa.id)]);
      expect(results.map((r) => r.status).sort()).toEqual([201, 409]);
      expect(await usage(owner)).toEqual([{ bytes: FILES.png.length, files: 1 }]);
      const won = results.find((r) => r.status === 201)!.body.url as string;
      const images = (await storedFiles(t)).uploads.filter((f) => won.endsWith(f));
      expect(images).toHaveLength(1);
    });

    it('lets only as many concurrent uploads in as the quota has room for', async () => {
      const owner = await createUser(t, 'employer');
      const spa = await createSpa(t, owner);
      const before = (await storedFiles(t)).uploads.length;
      const results = await Promise.all(
        Array.from({ length: 6 }, () => uploadImage(owner, spa.id)),
      );
      expect(results.filter((r) => r.status === 201)).toHaveLength(3);
      expect(results.filter((r) => r.status === 429)).toHaveLength(3);
      expect(await usage(owner)).toEqual([{ bytes: 3 * FILES.png.length, files: 3 }]);
      expect((await storedFiles(t)).uploads.length).toBe(before + 3);
    });

    it('holds across processes: a second instance on the same database sees the count', async () => {
      const owner = await createUser(t, 'employer');
      const spa = await createSpa(t, owner);
      for (let i = 0; i < 2; i++) await uploadImage(owner, spa.id).expect(201);
      const twin = await createTestApp({ shareWith: t });
      try {
        await twin.http
          .post(`/api/v1/spas/${spa.id}/images`)
          .set('Authorization', owner.auth)
          .attach('image', FILES.png, 'a.png')
          .expect(201);
        const res = await twin.http
          .post(`/api/v1/spas/${spa.id}/images`)
          .set('Authorization', owner.auth)
          .attach('image', FILES.png, 'a.png')
          .expect(429);
        expect(res.body.code).toBe('UPLOAD_QUOTA_EXCEEDED');
      } finally {
        await twin.close();
      }
      await uploadImage(owner, spa.id).expect(429);
    });
  });

  describe('spa images can be deleted', () => {
    let owner: TestUser;
    let rival: TestUser;
    let seeker: TestUser;

    beforeAll(async () => {
      [owner, rival, seeker] = await Promise.all([
        createUser(t, 'employer'),
        createUser(t, 'employer'),
        createUser(t, 'job_seeker'),
      ]);
    });

    const imagesOf = async (spaId: number) =>
      (
        (await t.db.query(`SELECT images FROM spas WHERE id = $1`, [spaId]))[0] as {
          images: string[];
        }
      ).images;
    const fileOf = (url: string) => join(t.config.uploads.publicDir, 'spas', url.split('/').pop()!);

    it('removes one image from the spa, from disk and from the public payload (204)', async () => {
      const spa = await createSpa(t, owner);
      const a = (await uploadImage(owner, spa.id).expect(201)).body.url as string;
      const b = (await uploadImage(owner, spa.id).expect(201)).body.url as string;
      await t.http.get(`/api/v1/spas/${spa.id}`).expect(200);
      const name = a.split('/').pop()!;

      for (const [user, status] of [
        [rival, 403],
        [seeker, 403],
      ] as const) {
        await t.http
          .delete(`/api/v1/spas/${spa.id}/images/${name}`)
          .set('Authorization', user.auth)
          .expect(status);
      }
      await t.http.delete(`/api/v1/spas/${spa.id}/images/${name}`).expect(401);
      expect(existsSync(fileOf(a))).toBe(true);

      await t.http
        .delete(`/api/v1/spas/${spa.id}/images/${name}`)
        .set('Authorization', owner.auth)
        .expect(204);
      expect(existsSync(fileOf(a))).toBe(false);
      expect(existsSync(fileOf(b))).toBe(true);
      expect(await imagesOf(spa.id)).toEqual([b]);
      expect((await t.http.get(`/api/v1/spas/${spa.id}`).expect(200)).body.images).toEqual([b]);
      await t.http.get(a).expect(404);

      const again = await t.http
        .delete(`/api/v1/spas/${spa.id}/images/${name}`)
        .set('Authorization', owner.auth)
        .expect(404);
      expect(again.body.code).toBe('IMAGE_NOT_FOUND');
      for (const bad of ['nope.png', '..%2F..%2Fetc%2Fpasswd', 'p-1.png']) {
        await t.http
          .delete(`/api/v1/spas/${spa.id}/images/${bad}`)
          .set('Authorization', admin.auth)
          .expect(404);
      }
      expect(existsSync(fileOf(b))).toBe(true);
    });

    it('keeps the files of a deactivated spa (restorable) and purges them on request', async () => {
      const spa = await createSpa(t, owner);
      const url = (await uploadImage(owner, spa.id).expect(201)).body.url as string;
      await t.http.delete(`/api/v1/spas/${spa.id}`).set('Authorization', owner.auth).expect(204);
      expect(existsSync(fileOf(url))).toBe(true);
      expect(await imagesOf(spa.id)).toEqual([url]);

      // the owner no longer sees the deactivated spa; an admin purges it
      await t.http
        .delete(`/api/v1/spas/${spa.id}/images`)
        .set('Authorization', owner.auth)
        .expect(404);
      await t.http
        .delete(`/api/v1/spas/${spa.id}/images`)
        .set('Authorization', admin.auth)
        .expect(204);
      expect(existsSync(fileOf(url))).toBe(false);
      expect(await imagesOf(spa.id)).toEqual([]);
    });
  });

  describe('spas per employer', () => {
    it('refuses the spa past MAX_SPAS_PER_EMPLOYER with 409, counting deactivated ones; admins are exempt', async () => {
      const owner = await createUser(t, 'employer');
      const first = await createSpa(t, owner);
      await createSpa(t, owner);
      await t.http.delete(`/api/v1/spas/${first.id}`).set('Authorization', owner.auth).expect(204);
      const res = await t.http
        .post('/api/v1/spas')
        .set('Authorization', owner.auth)
        .send({ name: 'One Too Many', cityId: (await city(t)).cityId })
        .expect(409);
      expect(res.body.code).toBe('TOO_MANY_SPAS');
      expect(res.body.message).toMatch(/at most 2 spas/);
      const [{ n }] = await t.db.query(`SELECT count(*)::int AS n FROM spas WHERE owner_id = $1`, [
        owner.id,
      ]);
      expect(n).toBe(2);

      for (let i = 0; i < 3; i++) await createSpa(t, admin);
    });

    it('lets only MAX_SPAS_PER_EMPLOYER of concurrent creates in', async () => {
      const owner = await createUser(t, 'employer');
      const { cityId } = await city(t);
      const results = await Promise.all(
        Array.from({ length: 5 }, (_, i) =>
          t.http
            .post('/api/v1/spas')
            .set('Authorization', owner.auth)
            .send({ name: `Racing Spa ${i}`, cityId }),
        ),
      );
      expect(results.map((r) => r.status).sort()).toEqual([201, 201, 409, 409, 409]);
      const [{ n }] = await t.db.query(`SELECT count(*)::int AS n FROM spas WHERE owner_id = $1`, [
        owner.id,
      ]);
      expect(n).toBe(2);
    });
  });
});

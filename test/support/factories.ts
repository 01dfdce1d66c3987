import { randomBytes } from 'node:crypto';
import type { TestApp } from './create-test-app.js';

export type Role = 'job_seeker' | 'employer' | 'admin';

export interface TestUser {
  id: number;
  email: string;
  phone: string;
  password: string;
  role: Role;
  token: string;
  /** `Authorization` header value. */
  auth: string;
}

const unique = () => randomBytes(5).toString('hex');

/**
 * Registers a user through the API (admins are promoted in the database: nobody can self-assign
 * admin). The address is then marked verified in the database, as a user who followed the mailed
 * link (employers must be verified to post jobs); `{ verified: false }` keeps it unverified.
 */
export async function createUser(
  t: TestApp,
  role: Role = 'job_seeker',
  name = 'Test User',
  options: { verified?: boolean } = {},
): Promise<TestUser> {
  const email = `${role}-${unique()}@example.test`;
  const phone = `+1 555 ${String(Math.floor(Math.random() * 9_000_000) + 1_000_000)}`;
  const password = `pw-${unique()}-secret`;
  const res = await t.http
    .post('/api/v1/auth/register')
    .send({ email, password, fullName: name, phone, role: role === 'admin' ? 'employer' : role })
    .expect(201);
  const id = res.body.user.id as number;
  if (role === 'admin') await t.db.query(`UPDATE users SET role = 'admin' WHERE id = $1`, [id]);
  if (options.verified !== false) {
    await t.db.query(`UPDATE users SET email_verified_at = now() WHERE id = $1`, [id]);
  }
  const token = res.body.accessToken as string;
  return { id, email, phone, password, role, token, auth: `Bearer ${token}` };
}

export interface Place {
  cityId: number;
  stateId: number;
  cityName: string;
}

/** A city (by index into the reference data, so tests can pick distinct ones). */
export async function city(t: TestApp, index = 0): Promise<Place> {
  const rows = await t.db.query(
    `SELECT id, state_id, name FROM cities ORDER BY id OFFSET $1 LIMIT 1`,
    [index],
  );
  return { cityId: rows[0].id, stateId: rows[0].state_id, cityName: rows[0].name };
}

export async function categoryId(t: TestApp, index = 0): Promise<number> {
  const rows = await t.db.query(`SELECT id FROM job_categories ORDER BY id OFFSET $1 LIMIT 1`, [
    index,
  ]);
  return rows[0].id as number;
}

export async function createSpa(
  t: TestApp,
  owner: TestUser,
  overrides: Record<string, unknown> = {},
): Promise<{ id: number; slug: string; [k: string]: unknown }> {
  const res = await t.http
    .post('/api/v1/spas')
    .set('Authorization', owner.auth)
    .send({ name: `Spa ${unique()}`, cityId: (await city(t)).cityId, ...overrides })
    .expect(201);
  return res.body;
}

export async function createJob(
  t: TestApp,
  owner: TestUser,
  spaId: number,
  overrides: Record<string, unknown> = {},
): Promise<{ id: number; slug: string; [k: string]: unknown }> {
  const res = await t.http
    .post('/api/v1/jobs')
    .set('Authorization', owner.auth)
    .send({
      spaId,
      categoryId: await categoryId(t),
      title: 'Licensed Massage Therapist',
      description: 'Deliver relaxing massage treatments to our guests in a calm day spa.',
      ...overrides,
    })
    .expect(201);
  return res.body;
}

export async function applyTo(
  t: TestApp,
  seeker: TestUser,
  jobId: number,
  body: Record<string, unknown> = { coverLetter: 'I would love to join.' },
): Promise<{ id: number; [k: string]: unknown }> {
  const res = await t.http
    .post(`/api/v1/jobs/${jobId}/applications`)
    .set('Authorization', seeker.auth)
    .send(body)
    .expect(201);
  return res.body;
}

/** A fingerprint of every domain table's rows: equal before and after means nothing was written. */
export async function snapshot(t: TestApp): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const table of [
    'users',
    'spas',
    'jobs',
    'applications',
    'states',
    'cities',
    'job_categories',
  ]) {
    const [row] = await t.db.query(
      `SELECT count(*)::text AS n, coalesce(md5(string_agg(x::text, '|' ORDER BY x.id)), '') AS h FROM ${table} x`,
    );
    out[table] = `${row.n}:${row.h}`;
  }
  return out;
}

/** Minimal valid files, identified by their magic bytes. */
export const FILES = {
  png: Buffer.from(
    '89504e470d0a1a0a0000000d4948445200000001000000010806000000' +
      '1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082',
    'hex',
  ),
  jpeg: Buffer.concat([
    Buffer.from('ffd8ffe000104a46494600010100000100010000', 'hex'),
    Buffer.alloc(64),
    Buffer.from('ffd9', 'hex'),
  ]),
  webp: Buffer.concat([
    Buffer.from('RIFF'),
    Buffer.from([0x24, 0, 0, 0]),
    Buffer.from('WEBPVP8 '),
    Buffer.from([0x18, 0, 0, 0]),
    Buffer.alloc(24),
  ]),
  pdf: Buffer.from('%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n'),
  text: Buffer.from('just some text, not an image at all\n'),
};

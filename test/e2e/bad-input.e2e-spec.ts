import { createHmac } from 'node:crypto';
import { STATUS_CODES } from 'node:http';
import type { Response, Test } from 'supertest';
import { createTestApp, type TestApp } from '../support/create-test-app.js';
import {
  applyTo,
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
 * Bad input on every route: each row must be a 4xx in the error shape of API.md, whose message
 * names the field or the problem, that leaks no stack trace, SQL or file path, and that leaves
 * every table and both upload folders as they were. The app runs with MAX_UPLOAD_MB=1.
 */

type Who = 'owner' | 'seeker' | 'admin';

interface Fixture {
  spaId: number;
  /** The seeker's application is on this job (salary 100..200). */
  jobId: number;
  /** Open, and the seeker has not applied to it. */
  openJobId: number;
  /** Deleted (closed) by its owner. */
  closedJobId: number;
  /** The seeker's application, without a resume. */
  applicationId: number;
  cityId: number;
  categoryId: number;
  /** Real cursors, to replay against another sort order or another list. */
  cursors: { spasByRating: string; spasNewest: string; jobsPopular: string; cities: string };
}

let t: TestApp;
let f: Fixture;
let users: Record<Who, TestUser>;

const MIB = 1024 * 1024;
const HUGE = '99999999999999999999';
const SQL = "1'; DROP TABLE spas;--";
const long = (n: number) => 'x'.repeat(n);

/** A cursor-shaped string the server never issued: valid base64url JSON, wrong signature. */
const FORGED_CURSOR = `${Buffer.from(
  JSON.stringify({ o: 'newest', v: ['2999-01-01T00:00:00.000Z', 2147483647] }),
).toString('base64url')}.${'A'.repeat(22)}`;

/** Signed with this server's cursor key: only the check of its content can refuse it. */
const signedCursor = (payload: object) => {
  const body = Buffer.from(JSON.stringify(payload)).toString('base64url');
  const mac = createHmac('sha256', `cursor:${t.config.auth.secretKey}`)
    .update(body)
    .digest('base64url')
    .slice(0, 22);
  return `${body}.${mac}`;
};

/** Signed with another server's key: right shape, wrong secret. */
const FOREIGN_TOKEN = (() => {
  const part = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const body = `${part({ alg: 'HS256', typ: 'JWT' })}.${part({ sub: '1', tv: 0, exp: 4102444800 })}`;
  const mac = createHmac('sha256', 'another-server-secret-key').update(body).digest('base64url');
  return `${body}.${mac}`;
})();

const api = (path: string) => `/api/v1${path}`;

function as(who: Who | undefined, req: Test): Test {
  return who ? req.set('Authorization', users[who].auth) : req;
}
const get = (path: string, who?: Who) => as(who, t.http.get(api(path)));
const del = (path: string, who?: Who) => as(who, t.http.delete(api(path)));
const post = (path: string, body: unknown, who?: Who) =>
  as(who, t.http.post(api(path))).send(body as object);
const patch = (path: string, body: unknown, who?: Who) =>
  as(who, t.http.patch(api(path))).send(body as object);
/** A raw JSON text, sent as it is. */
const postRaw = (path: string, text: string, who?: Who) =>
  as(who, t.http.post(api(path)))
    .set('Content-Type', 'application/json')
    .send(text);
const upload = (path: string, who: Who, field: string, data: Buffer, name: string) =>
  as(who, t.http.post(api(path))).attach(field, data, name);

const validSpa = () => ({ name: 'Valid Spa Name', cityId: f.cityId });
const validJob = () => ({
  spaId: f.spaId,
  categoryId: f.categoryId,
  title: 'Massage Therapist',
  description: 'A perfectly valid description of the job.',
});
const register = (extra: Record<string, unknown>) => ({
  email: 'new-user@example.test',
  password: 'long-enough-password',
  fullName: 'New User',
  ...extra,
});
/** Replaces the body of a real cursor, keeping its signature: an edited cursor. */
const tampered = (cursor: string) =>
  `${Buffer.from(JSON.stringify({ o: 'newest', v: ['2999-01-01T00:00:00.000Z', 1] })).toString('base64url')}.${cursor.split('.')[1]}`;

// One row per line, so that the table reads as a table.
// prettier-ignore
const TABLE: Array<[route: string, input: string, status: number, names: string | RegExp, send: () => Test]> = [
  // ── locations and categories ──────────────────────────────────────────────────────────
  ['GET /states', 'unknown query field', 400, 'unknown', () => get('/states?unknown=1')],
  ['GET /states', 'limit not a number', 400, 'limit', () => get('/states?limit=abc')],
  ['GET /cities', 'stateId text', 400, 'stateId', () => get('/cities?stateId=abc')],
  ['GET /cities', 'stateId SQL', 400, 'stateId', () => get(`/cities?stateId=${encodeURIComponent('1 OR 1=1')}`)],
  ['GET /cities', 'stateId negative', 400, 'stateId', () => get('/cities?stateId=-1')],
  ['GET /cities', 'stateId huge', 400, 'stateId', () => get(`/cities?stateId=${HUGE}`)],
  ['GET /cities', 'stateId absent', 404, 'State 999999', () => get('/cities?stateId=999999')],
  ['GET /cities', 'limit 0', 400, 'limit', () => get('/cities?limit=0')],
  ['GET /cities', 'limit 101', 400, 'limit', () => get('/cities?limit=101')],
  ['GET /cities', 'q over-long', 400, 'q', () => get(`/cities?q=${long(101)}`)],
  ['GET /cities', 'cursor SQL', 400, 'cursor', () => get(`/cities?cursor=${encodeURIComponent("' OR 1=1 --")}`)],
  ['GET /cities', 'forged cursor', 400, /cursor.*not issued/, () => get(`/cities?cursor=${FORGED_CURSOR}`)],
  ['GET /cities', "a spa list's cursor", 400, /cursor.*another sort order/, () => get(`/cities?cursor=${f.cursors.spasNewest}`)],
  ['GET /cities', 'unknown query field', 400, 'unknown', () => get('/cities?unknown=1')],
  ['GET /cities', 'signed cursor, name with NUL', 400, /cursor.*not a valid string/, () => get(`/cities?cursor=${signedCursor({ o: 'name', v: ['Palm\u0000', 1] })}`)],
  ['GET /job-categories', 'unknown query field', 400, 'unknown', () => get('/job-categories?unknown=1')],
  ['POST /states', 'code lower-case', 400, 'code', () => post('/states', { code: 'zz', name: 'Zedland' }, 'admin')],
  ['POST /states', 'code of three letters', 400, 'code', () => post('/states', { code: 'ZZZ', name: 'Zedland' }, 'admin')],
  ['POST /states', 'name missing', 400, 'name', () => post('/states', { code: 'ZZ' }, 'admin')],
  ['POST /states', 'slug with spaces', 400, 'slug', () => post('/states', { code: 'ZZ', name: 'Zedland', slug: 'zed land' }, 'admin')],
  ['POST /states', 'isActive on create', 400, 'isActive', () => post('/states', { code: 'ZZ', name: 'Zedland', isActive: false }, 'admin')],
  ['POST /states', 'code taken', 409, 'code', () => post('/states', { code: 'CA', name: 'Zedland' }, 'admin')],
  ['POST /states', 'name taken', 409, 'name', () => post('/states', { code: 'ZZ', name: 'Alaska' }, 'admin')],
  ['PATCH /states/:id', 'name null', 400, 'name', () => patch('/states/1', { name: null }, 'admin')],
  ['PATCH /states/:id', 'isActive text', 400, 'isActive', () => patch('/states/1', { isActive: 'no' }, 'admin')],
  ['PATCH /states/:id', 'name taken', 409, 'name', () => patch('/states/1', { name: 'Wyoming' }, 'admin')],
  ['PATCH /states/:id', 'id text', 400, 'id', () => patch('/states/abc', { name: 'Zedland' }, 'admin')],
  ['PATCH /states/:id', 'absent id', 404, 'State 999999', () => patch('/states/999999', { name: 'Zedland' }, 'admin')],
  ['POST /cities', 'stateId missing', 400, 'stateId', () => post('/cities', { name: 'Zed City' }, 'admin')],
  ['POST /cities', 'stateId text', 400, 'stateId', () => post('/cities', { stateId: 'one', name: 'Zed City' }, 'admin')],
  ['POST /cities', 'name empty', 400, 'name', () => post('/cities', { stateId: 1, name: '  ' }, 'admin')],
  ['POST /cities', 'name over-long', 400, 'name', () => post('/cities', { stateId: 1, name: long(101) }, 'admin')],
  ['POST /cities', 'stateId absent', 404, 'State 999999', () => post('/cities', { stateId: 999999, name: 'Zed City' }, 'admin')],
  ['PATCH /cities/:id', 'moved to another state', 400, 'stateId', () => patch(`/cities/${f.cityId}`, { stateId: 2 }, 'admin')],
  ['PATCH /cities/:id', 'slug upper-case', 400, 'slug', () => patch(`/cities/${f.cityId}`, { slug: 'Zed' }, 'admin')],
  ['PATCH /cities/:id', 'id text', 400, 'id', () => patch('/cities/abc', { name: 'Zed City' }, 'admin')],
  ['PATCH /cities/:id', 'absent id', 404, 'City 999999', () => patch('/cities/999999', { name: 'Zed City' }, 'admin')],
  ['POST /job-categories', 'name missing', 400, 'name', () => post('/job-categories', {}, 'admin')],
  ['POST /job-categories', 'description a number', 400, 'description', () => post('/job-categories', { name: 'Zed Therapist', description: 5 }, 'admin')],
  ['POST /job-categories', 'name taken (any case)', 409, 'name', () => post('/job-categories', { name: 'massage therapist', slug: 'zed-massage' }, 'admin')],
  ['PATCH /job-categories/:id', 'name null', 400, 'name', () => patch(`/job-categories/${f.categoryId}`, { name: null }, 'admin')],
  ['PATCH /job-categories/:id', 'isActive text', 400, 'isActive', () => patch(`/job-categories/${f.categoryId}`, { isActive: 'false!' }, 'admin')],
  ['PATCH /job-categories/:id', 'id text', 400, 'id', () => patch('/job-categories/abc', { name: 'Zed Therapist' }, 'admin')],
  ['PATCH /job-categories/:id', 'absent id', 404, 'Category 999999', () => patch('/job-categories/999999', { name: 'Zed Therapist' }, 'admin')],

  // ── spas: public reads ────────────────────────────────────────────────────────────────
  ['GET /spas', 'cityId text', 400, 'cityId', () => get('/spas?cityId=abc')],
  ['GET /spas', 'stateId SQL', 400, 'stateId', () => get(`/spas?stateId=${encodeURIComponent(SQL)}`)],
  ['GET /spas', 'stateId negative', 400, 'stateId', () => get('/spas?stateId=-5')],
  ['GET /spas', 'minRating negative', 400, 'minRating', () => get('/spas?minRating=-1')],
  ['GET /spas', 'minRating above 5', 400, 'minRating', () => get('/spas?minRating=5.5')],
  ['GET /spas', 'minRating 1e999', 400, 'minRating', () => get('/spas?minRating=1e999')],
  ['GET /spas', 'minRating 3 decimals', 400, 'minRating', () => get('/spas?minRating=4.999')],
  ['GET /spas', 'sort unknown', 400, 'sort', () => get('/spas?sort=oldest')],
  ['GET /spas', 'sort SQL', 400, 'sort', () => get(`/spas?sort=${encodeURIComponent('rating; DROP TABLE spas')}`)],
  ['GET /spas', 'sort twice', 400, 'sort', () => get('/spas?sort=newest&sort=rating')],
  ['GET /spas', 'limit huge', 400, 'limit', () => get(`/spas?limit=${HUGE}`)],
  ['GET /spas', 'q over-long', 400, 'q', () => get(`/spas?q=${long(201)}`)],
  ['GET /spas', 'forged cursor', 400, /cursor.*not issued/, () => get(`/spas?cursor=${FORGED_CURSOR}`)],
  ['GET /spas', 'edited cursor', 400, /cursor.*not issued/, () => get(`/spas?cursor=${tampered(f.cursors.spasNewest)}`)],
  ['GET /spas', 'signed cursor, rating a string', 400, /cursor.*not a valid number/, () => get(`/spas?sort=rating&cursor=${signedCursor({ o: 'rating', v: ['4.5', 1] })}`)],
  ['GET /spas', 'signed cursor, date out of the calendar', 400, /cursor.*not a valid date/, () => get(`/spas?cursor=${signedCursor({ o: 'newest', v: ['2026-02-30T00:00:00.000Z', 1] })}`)],
  ['GET /spas', 'cursor of sort=rating', 400, /cursor.*another sort order/, () => get(`/spas?sort=newest&cursor=${f.cursors.spasByRating}`)],
  ['GET /spas', 'cursor over-long', 400, 'cursor', () => get(`/spas?cursor=${long(600)}`)],
  ['GET /spas', 'cursor not base64', 400, 'cursor', () => get('/spas?cursor=%E2%9C%93.%E2%9C%93')],
  ['GET /spas', 'unknown query field', 400, 'ownerId', () => get('/spas?ownerId=1')],
  ['GET /spas', 'bracket query field', 400, 'q[a]', () => get('/spas?q[a]=b')],
  ['GET /spas/:idOrSlug', 'absent id', 404, 'Spa 999999', () => get('/spas/999999')],
  ['GET /spas/:idOrSlug', 'huge number', 404, /not found/i, () => get(`/spas/${HUGE}`)],
  ['GET /spas/:idOrSlug', 'SQL', 404, /not found/i, () => get(`/spas/${encodeURIComponent(SQL)}`)],
  ['GET /spas/:idOrSlug', 'over-long slug', 404, /not found/i, () => get(`/spas/${long(300)}`)],

  // ── jobs: public reads ────────────────────────────────────────────────────────────────
  ['GET /jobs', 'salaryMin negative', 400, 'salaryMin', () => get('/jobs?salaryMin=-1')],
  ['GET /jobs', 'salaryMin huge', 400, 'salaryMin', () => get(`/jobs?salaryMin=${HUGE}`)],
  ['GET /jobs', 'salaryMin above max', 400, 'salaryMin', () => get('/jobs?salaryMin=10000001')],
  ['GET /jobs', 'categoryId decimal', 400, 'categoryId', () => get('/jobs?categoryId=1.5')],
  ['GET /jobs', 'spaId text', 400, 'spaId', () => get('/jobs?spaId=abc')],
  ['GET /jobs', 'spaId twice', 400, 'spaId', () => get('/jobs?spaId=1&spaId=2')],
  ['GET /jobs', 'employmentType SQL', 400, 'employmentType', () => get(`/jobs?employmentType=${encodeURIComponent("full_time' OR '1'='1")}`)],
  ['GET /jobs', 'featured not boolean', 400, 'featured', () => get('/jobs?featured=yes')],
  ['GET /jobs', 'sort SQL', 400, 'sort', () => get(`/jobs?sort=${encodeURIComponent('popular--')}`)],
  ['GET /jobs', 'q over-long', 400, 'q', () => get(`/jobs?q=${long(201)}`)],
  ['GET /jobs', 'limit negative', 400, 'limit', () => get('/jobs?limit=-1')],
  ['GET /jobs', 'limit 1e2', 400, 'limit', () => get('/jobs?limit=1e2')],
  ['GET /jobs', 'forged cursor', 400, /cursor.*not issued/, () => get(`/jobs?cursor=${FORGED_CURSOR}`)],
  ['GET /jobs', 'cursor SQL', 400, 'cursor', () => get(`/jobs?cursor=${encodeURIComponent("x' OR '1'='1")}`)],
  ['GET /jobs', 'cursor of sort=popular, sort=salary', 400, /cursor.*another sort order/, () => get(`/jobs?sort=salary&cursor=${f.cursors.jobsPopular}`)],
  ['GET /jobs', 'cursor of sort=popular, default sort', 400, /cursor.*another sort order/, () => get(`/jobs?cursor=${f.cursors.jobsPopular}`)],
  ['GET /jobs', 'signed cursor, date not a date', 400, /cursor.*not a valid date/, () => get(`/jobs?cursor=${signedCursor({ o: 'newest', v: ['yesterday', 1] })}`)],
  ['GET /jobs', 'signed cursor, id past int4', 400, /cursor.*not a valid int/, () => get(`/jobs?cursor=${signedCursor({ o: 'newest', v: ['2026-01-01T00:00:00.000Z', 2 ** 31] })}`)],
  ['GET /jobs', 'signed cursor, views a string', 400, /cursor.*not a valid int/, () => get(`/jobs?sort=popular&cursor=${signedCursor({ o: 'popular', v: ['10', 1] })}`)],
  ['GET /jobs', 'signed cursor, salary 1e300', 400, /cursor.*not a valid int/, () => get(`/jobs?sort=salary&cursor=${signedCursor({ o: 'salary', v: [1e300, 1] })}`)],
  ['GET /jobs', "a city list's cursor", 400, /cursor.*another sort order/, () => get(`/jobs?cursor=${f.cursors.cities}`)],
  ['GET /jobs', 'unknown query field', 400, 'isActive', () => get('/jobs?isActive=false')],
  ['GET /jobs/:idOrSlug', 'absent id', 404, 'Job 999999', () => get('/jobs/999999')],
  ['GET /jobs/:idOrSlug', 'huge number', 404, /not found/i, () => get(`/jobs/${HUGE}`)],
  ['GET /jobs/:idOrSlug', 'negative', 404, /not found/i, () => get('/jobs/-1')],
  ['GET /jobs/:idOrSlug', 'SQL', 404, /not found/i, () => get(`/jobs/${encodeURIComponent("1' OR '1'='1")}`)],

  // ── auth ──────────────────────────────────────────────────────────────────────────────
  ['POST /auth/register', 'malformed JSON', 400, 'not valid JSON', () => postRaw('/auth/register', '{"email": "a@b.co", ')],
  ['POST /auth/register', 'JSON body over 100kb', 413, 'too large', () => post('/auth/register', register({ fullName: long(110_000) }))],
  ['POST /auth/register', 'JSON array', 400, 'email', () => postRaw('/auth/register', '[]')],
  ['POST /auth/register', 'email missing', 400, 'email', () => post('/auth/register', register({ email: undefined }))],
  ['POST /auth/register', 'email not an email', 400, 'email', () => post('/auth/register', register({ email: 'not-an-email' }))],
  ['POST /auth/register', 'email over-long', 400, 'email', () => post('/auth/register', register({ email: `${long(250)}@example.test` }))],
  ['POST /auth/register', 'email a number', 400, 'email', () => post('/auth/register', register({ email: 12345 }))],
  ['POST /auth/register', 'password 7 characters', 400, 'password', () => post('/auth/register', register({ password: 'short12' }))],
  ['POST /auth/register', 'password over-long', 400, 'password', () => post('/auth/register', register({ password: long(129) }))],
  ['POST /auth/register', 'password with NUL', 400, 'password', () => post('/auth/register', register({ password: 'pass\u0000word123' }))],
  ['POST /auth/register', 'fullName over-long', 400, 'fullName', () => post('/auth/register', register({ fullName: long(121) }))],
  ['POST /auth/register', 'fullName a number', 400, 'fullName', () => post('/auth/register', register({ fullName: 42 }))],
  ['POST /auth/register', 'phone not a phone', 400, 'phone', () => post('/auth/register', register({ phone: 'call me maybe' }))],
  ['POST /auth/register', 'role admin', 400, 'role', () => post('/auth/register', register({ role: 'admin' }))],
  ['POST /auth/register', 'role SQL', 400, 'role', () => post('/auth/register', register({ role: "employer' OR '1'='1" }))],
  ['POST /auth/register', 'unknown field isActive', 400, 'isActive', () => post('/auth/register', register({ isActive: true }))],
  ['POST /auth/register', 'e-mail taken (other case)', 409, 'email', () => post('/auth/register', register({ email: users.owner.email.toUpperCase() }))],
  ['POST /auth/login', 'malformed JSON', 400, 'not valid JSON', () => postRaw('/auth/login', '{email: x}')],
  ['POST /auth/login', 'email an object', 400, 'email', () => post('/auth/login', { email: { $ne: null }, password: 'x' })],
  ['POST /auth/login', 'password missing', 400, 'password', () => post('/auth/login', { email: users.owner.email })],
  ['POST /auth/login', 'unknown field role', 400, 'role', () => post('/auth/login', { email: users.owner.email, password: 'whatever1', role: 'admin' })],
  ['POST /auth/login', 'wrong password', 401, 'Invalid email or password', () => post('/auth/login', { email: users.owner.email, password: 'not-the-password' })],

  // ── users ─────────────────────────────────────────────────────────────────────────────
  ['GET /users/me', 'Basic credentials', 401, 'bearer token', () => t.http.get(api('/users/me')).set('Authorization', 'Basic YTpi')],
  ['GET /users/me', 'garbage token', 401, 'token', () => t.http.get(api('/users/me')).set('Authorization', 'Bearer abc')],
  ['GET /users/me', 'alg=none token', 401, 'token', () => t.http.get(api('/users/me')).set('Authorization', 'Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiIxIiwidHYiOjB9.')],
  ['GET /users/me', "another server's token", 401, 'token', () => t.http.get(api('/users/me')).set('Authorization', `Bearer ${FOREIGN_TOKEN}`)],
  ['PATCH /users/me', 'fullName empty', 400, 'fullName', () => patch('/users/me', { fullName: '   ' }, 'seeker')],
  ['PATCH /users/me', 'fullName over-long', 400, 'fullName', () => patch('/users/me', { fullName: long(121) }, 'seeker')],
  ['PATCH /users/me', 'phone null', 400, 'phone', () => patch('/users/me', { phone: null }, 'seeker')],
  ['PATCH /users/me', 'password without currentPassword', 400, 'currentPassword', () => patch('/users/me', { password: 'a-new-password' }, 'seeker')],
  ['PATCH /users/me', 'wrong currentPassword', 400, 'currentPassword', () => patch('/users/me', { password: 'a-new-password', currentPassword: 'wrong-password' }, 'seeker')],
  ['PATCH /users/me', 'password too short', 400, 'password', () => patch('/users/me', { password: 'short', currentPassword: users.seeker.password }, 'seeker')],
  ['PATCH /users/me', 'role (unknown field)', 400, 'role', () => patch('/users/me', { role: 'admin' }, 'seeker')],
  ['PATCH /users/me', 'email (unknown field)', 400, 'email', () => patch('/users/me', { email: 'other@example.test' }, 'seeker')],
  ['PATCH /users/me', 'JSON body over 100kb', 413, 'too large', () => patch('/users/me', { fullName: long(110_000) }, 'seeker')],
  ['GET /users', 'role unknown', 400, 'role', () => get('/users?role=root', 'admin')],
  ['GET /users', 'isActive not boolean', 400, 'isActive', () => get('/users?isActive=maybe', 'admin')],
  ['GET /users', 'limit 0', 400, 'limit', () => get('/users?limit=0', 'admin')],
  ['GET /users', 'q over-long', 400, 'q', () => get(`/users?q=${long(255)}`, 'admin')],
  ['GET /users', 'forged cursor', 400, /cursor.*not issued/, () => get(`/users?cursor=${FORGED_CURSOR}`, 'admin')],
  ['GET /users', "a city list's cursor", 400, /cursor.*another sort order/, () => get(`/users?cursor=${f.cursors.cities}`, 'admin')],
  ['PATCH /users/:id', 'id text', 400, 'id', () => patch('/users/abc', { role: 'employer' }, 'admin')],
  ['PATCH /users/:id', 'id 0', 400, 'id', () => patch('/users/0', { role: 'employer' }, 'admin')],
  ['PATCH /users/:id', 'id huge', 400, 'id', () => patch(`/users/${HUGE}`, { role: 'employer' }, 'admin')],
  ['PATCH /users/:id', 'absent id', 404, 'User 999999', () => patch('/users/999999', { role: 'employer' }, 'admin')],
  ['PATCH /users/:id', 'role unknown', 400, 'role', () => patch(`/users/${users.seeker.id}`, { role: 'superadmin' }, 'admin')],
  ['PATCH /users/:id', 'isActive text', 400, 'isActive', () => patch(`/users/${users.seeker.id}`, { isActive: 'no' }, 'admin')],
  ['PATCH /users/:id', 'email (unknown field)', 400, 'email', () => patch(`/users/${users.seeker.id}`, { email: 'x@example.test' }, 'admin')],
  ['GET /admin/jobs/failed', 'limit 0', 400, 'limit', () => get('/admin/jobs/failed?limit=0', 'admin')],
  ['GET /admin/jobs/failed', 'limit text', 400, 'limit', () => get('/admin/jobs/failed?limit=abc', 'admin')],
  ['GET /admin/jobs/failed', 'unknown query field', 400, 'queue', () => get('/admin/jobs/failed?queue=x', 'admin')],
  ['GET /admin/jobs/failed', 'forged cursor', 400, /cursor.*not issued/, () => get(`/admin/jobs/failed?cursor=${FORGED_CURSOR}`, 'admin')],
  ['GET /admin/jobs/failed', "a city list's cursor", 400, /cursor.*another sort order/, () => get(`/admin/jobs/failed?cursor=${f.cursors.cities}`, 'admin')],
  ['GET /admin/jobs/failed', 'signed cursor, id not text', 400, /cursor.*not a valid string/, () => get(`/admin/jobs/failed?cursor=${signedCursor({ o: 'dead-letters', v: ['2026-01-01T00:00:00.000Z', 5] })}`, 'admin')],
  ['POST /admin/jobs/failed/:uuid/retry', 'uuid not a UUID', 400, 'uuid', () => post('/admin/jobs/failed/123/retry', {}, 'admin')],
  ['POST /admin/jobs/failed/:uuid/retry', 'uuid SQL', 400, 'uuid', () => post(`/admin/jobs/failed/${encodeURIComponent(SQL)}/retry`, {}, 'admin')],
  ['POST /admin/jobs/failed/:uuid/retry', 'absent id', 404, 'not found', () => post('/admin/jobs/failed/00000000-0000-4000-8000-000000000000/retry', {}, 'admin')],

  // ── spas: writes ──────────────────────────────────────────────────────────────────────
  ['POST /spas', 'malformed JSON', 400, 'not valid JSON', () => postRaw('/spas', '{"name": "Spa", "cityId": }', 'owner')],
  ['POST /spas', 'JSON body over 100kb', 413, 'too large', () => post('/spas', { ...validSpa(), description: long(110_000) }, 'owner')],
  ['POST /spas', 'name 1 character', 400, 'name', () => post('/spas', { ...validSpa(), name: 'A' }, 'owner')],
  ['POST /spas', 'name over-long', 400, 'name', () => post('/spas', { ...validSpa(), name: long(121) }, 'owner')],
  ['POST /spas', 'name null', 400, 'name', () => post('/spas', { ...validSpa(), name: null }, 'owner')],
  ['POST /spas', 'name with NUL', 400, 'name', () => post('/spas', { ...validSpa(), name: 'Spa\u0000Name' }, 'owner')],
  ['POST /spas', 'description over-long', 400, 'description', () => post('/spas', { ...validSpa(), description: long(5001) }, 'owner')],
  ['POST /spas', 'cityId text', 400, 'cityId', () => post('/spas', { ...validSpa(), cityId: 'abc' }, 'owner')],
  ['POST /spas', 'cityId SQL', 400, 'cityId', () => post('/spas', { ...validSpa(), cityId: SQL }, 'owner')],
  ['POST /spas', 'cityId negative', 400, 'cityId', () => post('/spas', { ...validSpa(), cityId: -1 }, 'owner')],
  ['POST /spas', 'cityId huge', 400, 'cityId', () => postRaw('/spas', `{"name":"Valid Spa Name","cityId":${HUGE}}`, 'owner')],
  ['POST /spas', 'cityId decimal', 400, 'cityId', () => post('/spas', { ...validSpa(), cityId: 1.5 }, 'owner')],
  ['POST /spas', 'cityId absent', 404, 'City 999999', () => post('/spas', { ...validSpa(), cityId: 999999 }, 'owner')],
  ['POST /spas', 'website javascript:', 400, 'website', () => post('/spas', { ...validSpa(), website: 'javascript:alert(1)' }, 'owner')],
  ['POST /spas', 'rating (not on create)', 400, 'rating', () => post('/spas', { ...validSpa(), rating: 5 }, 'owner')],
  ['POST /spas', 'ownerId (unknown field)', 400, 'ownerId', () => post('/spas', { ...validSpa(), ownerId: 1 }, 'owner')],
  ['PATCH /spas/:id', 'id text', 400, 'id', () => patch('/spas/abc', { name: 'New Name' }, 'owner')],
  ['PATCH /spas/:id', 'id 0', 400, 'id', () => patch('/spas/0', { name: 'New Name' }, 'owner')],
  ['PATCH /spas/:id', 'id decimal', 400, 'id', () => patch('/spas/1.5', { name: 'New Name' }, 'owner')],
  ['PATCH /spas/:id', 'absent id', 404, 'Spa 999999', () => patch('/spas/999999', { name: 'New Name' }, 'owner')],
  ['PATCH /spas/:id', 'name null', 400, 'name', () => patch(`/spas/${f.spaId}`, { name: null }, 'owner')],
  ['PATCH /spas/:id', 'cityId null', 400, 'cityId', () => patch(`/spas/${f.spaId}`, { cityId: null }, 'owner')],
  ['PATCH /spas/:id', 'cityId text', 400, 'cityId', () => patch(`/spas/${f.spaId}`, { cityId: 'abc' }, 'owner')],
  ['PATCH /spas/:id', 'rating text (admin)', 400, 'rating', () => patch(`/spas/${f.spaId}`, { rating: 'five' }, 'admin')],
  ['PATCH /spas/:id', 'rating above 5 (admin)', 400, 'rating', () => patch(`/spas/${f.spaId}`, { rating: 5.5 }, 'admin')],
  ['PATCH /spas/:id', 'rating negative (admin)', 400, 'rating', () => patch(`/spas/${f.spaId}`, { rating: -1 }, 'admin')],
  ['PATCH /spas/:id', 'isVerified text (admin)', 400, 'isVerified', () => patch(`/spas/${f.spaId}`, { isVerified: 'yes' }, 'admin')],
  ['PATCH /spas/:id', 'slug (immutable)', 400, 'slug', () => patch(`/spas/${f.spaId}`, { slug: 'new-slug' }, 'owner')],
  ['PATCH /spas/:id', 'ownerId (unknown field)', 400, 'ownerId', () => patch(`/spas/${f.spaId}`, { ownerId: 1 }, 'admin')],
  ['DELETE /spas/:id', 'id text', 400, 'id', () => del('/spas/abc', 'owner')],
  ['DELETE /spas/:id', 'id negative', 400, 'id', () => del('/spas/-1', 'owner')],
  ['DELETE /spas/:id', 'id +5', 400, 'id', () => del('/spas/%2B5', 'owner')],
  ['DELETE /spas/:id', 'id with spaces', 400, 'id', () => del('/spas/%201%20', 'owner')],
  ['DELETE /spas/:id', 'id huge', 400, 'id', () => del(`/spas/${HUGE}`, 'owner')],
  ['DELETE /spas/:id', 'id SQL', 400, 'id', () => del(`/spas/${encodeURIComponent('1 OR 1=1')}`, 'owner')],
  ['DELETE /spas/:id', 'absent id', 404, 'Spa 999999', () => del('/spas/999999', 'owner')],
  ['POST /spas/:id/images', 'text file named .jpg', 415, 'image', () => upload(`/spas/${f.spaId}/images`, 'owner', 'image', FILES.text, 'photo.jpg')],
  ['POST /spas/:id/images', 'PDF named .png', 415, 'image', () => upload(`/spas/${f.spaId}/images`, 'owner', 'image', FILES.pdf, 'photo.png')],
  ['POST /spas/:id/images', 'PNG over MAX_UPLOAD_MB', 413, /too large/i, () => upload(`/spas/${f.spaId}/images`, 'owner', 'image', Buffer.concat([FILES.png, Buffer.alloc(1.5 * MIB)]), 'big.png')],
  ['POST /spas/:id/images', 'no file', 400, 'file', () => as('owner', t.http.post(api(`/spas/${f.spaId}/images`)))],
  ['POST /spas/:id/images', 'empty file', 400, 'file', () => upload(`/spas/${f.spaId}/images`, 'owner', 'image', Buffer.alloc(0), 'empty.png')],
  ['POST /spas/:id/images', 'wrong field name', 400, 'photo', () => upload(`/spas/${f.spaId}/images`, 'owner', 'photo', FILES.png, 'photo.png')],
  ['POST /spas/:id/images', 'two files', 400, 'Too many files', () => upload(`/spas/${f.spaId}/images`, 'owner', 'image', FILES.png, 'a.png').attach('image', FILES.jpeg, 'b.jpg')],
  ['POST /spas/:id/images', 'id text', 400, 'id', () => upload('/spas/abc/images', 'owner', 'image', FILES.png, 'a.png')],
  ['POST /spas/:id/images', 'absent id', 404, 'Spa 999999', () => upload('/spas/999999/images', 'owner', 'image', FILES.png, 'a.png')],
  ['DELETE /spas/:id/images/:name', 'unknown name', 404, 'nope.png', () => del(`/spas/${f.spaId}/images/nope.png`, 'owner')],
  ['DELETE /spas/:id/images/:name', 'a well-formed name it does not have', 404, 'image', () => del(`/spas/${f.spaId}/images/00000000-0000-4000-8000-000000000000.png`, 'owner')],
  ['DELETE /spas/:id/images/:name', 'id text', 400, 'id', () => del('/spas/abc/images/nope.png', 'owner')],
  ['DELETE /spas/:id/images/:name', 'absent id', 404, 'Spa 999999', () => del('/spas/999999/images/nope.png', 'owner')],
  ['DELETE /spas/:id/images', 'id text', 400, 'id', () => del('/spas/abc/images', 'owner')],
  ['DELETE /spas/:id/images', 'absent id', 404, 'Spa 999999', () => del('/spas/999999/images', 'owner')],

  // ── jobs: writes ──────────────────────────────────────────────────────────────────────
  ['POST /jobs', 'malformed JSON', 400, 'not valid JSON', () => postRaw('/jobs', '{"title": "x"', 'owner')],
  ['POST /jobs', 'JSON body over 100kb', 413, 'too large', () => post('/jobs', { ...validJob(), description: long(110_000) }, 'owner')],
  ['POST /jobs', 'spaId text', 400, 'spaId', () => post('/jobs', { ...validJob(), spaId: 'abc' }, 'owner')],
  ['POST /jobs', 'spaId SQL', 400, 'spaId', () => post('/jobs', { ...validJob(), spaId: '1 OR 1=1' }, 'owner')],
  ['POST /jobs', 'spaId absent', 404, 'Spa 999999', () => post('/jobs', { ...validJob(), spaId: 999999 }, 'owner')],
  ['POST /jobs', 'categoryId negative', 400, 'categoryId', () => post('/jobs', { ...validJob(), categoryId: -1 }, 'owner')],
  ['POST /jobs', 'categoryId absent', 404, 'Category 999999', () => post('/jobs', { ...validJob(), categoryId: 999999 }, 'owner')],
  ['POST /jobs', 'title 2 characters', 400, 'title', () => post('/jobs', { ...validJob(), title: 'ab' }, 'owner')],
  ['POST /jobs', 'title over-long', 400, 'title', () => post('/jobs', { ...validJob(), title: long(151) }, 'owner')],
  ['POST /jobs', 'description too short', 400, 'description', () => post('/jobs', { ...validJob(), description: long(19) }, 'owner')],
  ['POST /jobs', 'employmentType unknown', 400, 'employmentType', () => post('/jobs', { ...validJob(), employmentType: 'gig' }, 'owner')],
  ['POST /jobs', 'employmentType SQL', 400, 'employmentType', () => post('/jobs', { ...validJob(), employmentType: "full_time'; DROP TABLE jobs;--" }, 'owner')],
  ['POST /jobs', 'salaryMin negative', 400, 'salaryMin', () => post('/jobs', { ...validJob(), salaryMin: -1 }, 'owner')],
  ['POST /jobs', 'salaryMax huge', 400, 'salaryMax', () => postRaw('/jobs', JSON.stringify(validJob()).replace('}', `,"salaryMax":${HUGE}}`), 'owner')],
  ['POST /jobs', 'salaryMin decimal', 400, 'salaryMin', () => post('/jobs', { ...validJob(), salaryMin: 1.5 }, 'owner')],
  ['POST /jobs', 'salaryMin above salaryMax', 400, 'salaryMin', () => post('/jobs', { ...validJob(), salaryMin: 200, salaryMax: 100 }, 'owner')],
  ['POST /jobs', 'expiresAt not a date', 400, 'expiresAt', () => post('/jobs', { ...validJob(), expiresAt: 'tomorrow' }, 'owner')],
  ['POST /jobs', 'expiresAt impossible date', 400, 'expiresAt', () => post('/jobs', { ...validJob(), expiresAt: '2099-02-30T00:00:00Z' }, 'owner')],
  ['POST /jobs', 'expiresAt in the past', 400, 'expiresAt', () => post('/jobs', { ...validJob(), expiresAt: '2001-01-01T00:00:00Z' }, 'owner')],
  ['POST /jobs', 'expiresAt huge number', 400, 'expiresAt', () => postRaw('/jobs', JSON.stringify(validJob()).replace('}', `,"expiresAt":${HUGE}}`), 'owner')],
  ['POST /jobs', 'isFeatured text', 400, 'isFeatured', () => post('/jobs', { ...validJob(), isFeatured: 'yes' }, 'admin')],
  ['POST /jobs', 'viewCount (unknown field)', 400, 'viewCount', () => post('/jobs', { ...validJob(), viewCount: 1_000_000 }, 'owner')],
  ['PATCH /jobs/:id', 'id text', 400, 'id', () => patch('/jobs/abc', { title: 'New Title' }, 'owner')],
  ['PATCH /jobs/:id', 'id hexadecimal', 400, 'id', () => patch('/jobs/0x10', { title: 'New Title' }, 'owner')],
  ['PATCH /jobs/:id', 'id 0', 400, 'id', () => patch('/jobs/0', { title: 'New Title' }, 'owner')],
  ['PATCH /jobs/:id', 'absent id', 404, 'Job 999999', () => patch('/jobs/999999', { title: 'New Title' }, 'owner')],
  ['PATCH /jobs/:id', 'title null', 400, 'title', () => patch(`/jobs/${f.jobId}`, { title: null }, 'owner')],
  ['PATCH /jobs/:id', 'categoryId null', 400, 'categoryId', () => patch(`/jobs/${f.jobId}`, { categoryId: null }, 'owner')],
  ['PATCH /jobs/:id', 'salaryMin above the stored salaryMax', 400, 'salaryMin', () => patch(`/jobs/${f.jobId}`, { salaryMin: 300 }, 'owner')],
  ['PATCH /jobs/:id', 'isActive text', 400, 'isActive', () => patch(`/jobs/${f.jobId}`, { isActive: 'nope' }, 'owner')],
  ['PATCH /jobs/:id', 'expiresAt month 13', 400, 'expiresAt', () => patch(`/jobs/${f.jobId}`, { expiresAt: '2099-13-45T00:00:00Z' }, 'owner')],
  ['PATCH /jobs/:id', 'spaId (cannot move)', 400, 'spaId', () => patch(`/jobs/${f.jobId}`, { spaId: f.spaId }, 'owner')],
  ['PATCH /jobs/:id', 'slug (immutable)', 400, 'slug', () => patch(`/jobs/${f.jobId}`, { slug: 'other-slug' }, 'owner')],
  ['DELETE /jobs/:id', 'id text', 400, 'id', () => del('/jobs/abc', 'owner')],
  ['DELETE /jobs/:id', 'id 1e3', 400, 'id', () => del('/jobs/1e3', 'owner')],
  ['DELETE /jobs/:id', 'absent id', 404, 'Job 999999', () => del('/jobs/999999', 'owner')],

  // ── applications ──────────────────────────────────────────────────────────────────────
  ['POST /jobs/:id/applications', 'id text', 400, 'id', () => post('/jobs/abc/applications', {}, 'seeker')],
  ['POST /jobs/:id/applications', 'absent job', 404, 'Job 999999', () => post('/jobs/999999/applications', {}, 'seeker')],
  ['POST /jobs/:id/applications', 'closed job', 404, 'not open', () => post(`/jobs/${f.closedJobId}/applications`, {}, 'seeker')],
  ['POST /jobs/:id/applications', 'already applied', 409, 'already applied', () => post(`/jobs/${f.jobId}/applications`, {}, 'seeker')],
  ['POST /jobs/:id/applications', 'coverLetter over-long', 400, 'coverLetter', () => post(`/jobs/${f.openJobId}/applications`, { coverLetter: long(5001) }, 'seeker')],
  ['POST /jobs/:id/applications', 'coverLetter a number', 400, 'coverLetter', () => post(`/jobs/${f.openJobId}/applications`, { coverLetter: 5 }, 'seeker')],
  ['POST /jobs/:id/applications', 'status (unknown field)', 400, 'status', () => post(`/jobs/${f.openJobId}/applications`, { status: 'hired' }, 'seeker')],
  ['POST /jobs/:id/applications', 'unknown multipart field', 400, 'status', () => as('seeker', t.http.post(api(`/jobs/${f.openJobId}/applications`))).field('status', 'hired').attach('resume', FILES.pdf, 'cv.pdf')],
  ['POST /jobs/:id/applications', 'PNG resume named .pdf', 415, 'resume', () => upload(`/jobs/${f.openJobId}/applications`, 'seeker', 'resume', FILES.png, 'cv.pdf')],
  ['POST /jobs/:id/applications', 'text resume named .pdf', 415, 'resume', () => upload(`/jobs/${f.openJobId}/applications`, 'seeker', 'resume', FILES.text, 'cv.pdf')],
  ['POST /jobs/:id/applications', 'resume over MAX_UPLOAD_MB', 413, /too large/i, () => upload(`/jobs/${f.openJobId}/applications`, 'seeker', 'resume', Buffer.concat([FILES.pdf, Buffer.alloc(1.5 * MIB)]), 'cv.pdf')],
  ['POST /jobs/:id/applications', 'wrong file field', 400, 'cv', () => upload(`/jobs/${f.openJobId}/applications`, 'seeker', 'cv', FILES.pdf, 'cv.pdf')],
  ['POST /jobs/:id/applications', 'JSON body over 100kb', 413, 'too large', () => post(`/jobs/${f.openJobId}/applications`, { coverLetter: long(110_000) }, 'seeker')],
  ['GET /jobs/:id/applications', 'id text', 400, 'id', () => get('/jobs/abc/applications', 'owner')],
  ['GET /jobs/:id/applications', 'absent job', 404, 'Job 999999', () => get('/jobs/999999/applications', 'owner')],
  ['GET /jobs/:id/applications', 'limit 0', 400, 'limit', () => get(`/jobs/${f.jobId}/applications?limit=0`, 'owner')],
  ['GET /jobs/:id/applications', 'forged cursor', 400, /cursor.*not issued/, () => get(`/jobs/${f.jobId}/applications?cursor=${FORGED_CURSOR}`, 'owner')],
  ['GET /jobs/:id/applications', 'unknown query field', 400, 'status', () => get(`/jobs/${f.jobId}/applications?status=hired`, 'owner')],
  ['GET /applications/mine', 'limit text', 400, 'limit', () => get('/applications/mine?limit=abc', 'seeker')],
  ['GET /applications/mine', 'cursor SQL', 400, 'cursor', () => get(`/applications/mine?cursor=${encodeURIComponent("' OR 1=1 --")}`, 'seeker')],
  ['GET /applications/mine', "a spa list's cursor (sort=rating)", 400, /cursor.*another sort order/, () => get(`/applications/mine?cursor=${f.cursors.spasByRating}`, 'seeker')],
  ['GET /applications/mine', 'unknown query field', 400, 'applicantId', () => get(`/applications/mine?applicantId=${users.owner.id}`, 'seeker')],
  ['GET /applications/mine', 'signed cursor, id fractional', 400, /cursor.*not a valid int/, () => get(`/applications/mine?cursor=${signedCursor({ o: 'newest', v: ['2026-01-01T00:00:00.000Z', 1.5] })}`, 'seeker')],
  ['GET /applications/:id', 'id 0', 400, 'id', () => get('/applications/0', 'seeker')],
  ['GET /applications/:id', 'id text', 400, 'id', () => get('/applications/abc', 'seeker')],
  ['GET /applications/:id', 'id 1e0', 400, 'id', () => get('/applications/1e0', 'seeker')],
  ['GET /applications/:id', 'id huge', 400, 'id', () => get(`/applications/${HUGE}`, 'seeker')],
  ['GET /applications/:id', 'absent id', 404, 'Application 999999', () => get('/applications/999999', 'seeker')],
  ['PATCH /applications/:id', 'id 0', 400, 'id', () => patch('/applications/0', { status: 'reviewed' }, 'owner')],
  ['PATCH /applications/:id', 'id SQL', 400, 'id', () => patch(`/applications/${encodeURIComponent('1; DROP TABLE applications')}`, { status: 'reviewed' }, 'owner')],
  ['PATCH /applications/:id', 'status unknown', 400, 'status', () => patch(`/applications/${f.applicationId}`, { status: 'approved' }, 'owner')],
  ['PATCH /applications/:id', 'status SQL', 400, 'status', () => patch(`/applications/${f.applicationId}`, { status: "'; DROP TABLE applications;--" }, 'owner')],
  ['PATCH /applications/:id', 'status missing', 400, 'status', () => patch(`/applications/${f.applicationId}`, {}, 'owner')],
  ['PATCH /applications/:id', 'status a number', 400, 'status', () => patch(`/applications/${f.applicationId}`, { status: 1 }, 'owner')],
  ['PATCH /applications/:id', 'jobId (unknown field)', 400, 'jobId', () => patch(`/applications/${f.applicationId}`, { status: 'reviewed', jobId: f.openJobId }, 'owner')],
  ['PATCH /applications/:id', 'submitted → hired', 409, 'submitted to hired', () => patch(`/applications/${f.applicationId}`, { status: 'hired' }, 'owner')],
  ['PATCH /applications/:id', 'malformed JSON', 400, 'not valid JSON', () => as('owner', t.http.patch(api(`/applications/${f.applicationId}`))).set('Content-Type', 'application/json').send('{"status":"reviewed"')],
  ['GET /applications/:id/resume', 'id text', 400, 'id', () => get('/applications/abc/resume', 'seeker')],
  ['GET /applications/:id/resume', 'no resume', 404, 'resume', () => get(`/applications/${f.applicationId}/resume`, 'seeker')],
  ['POST /applications/:id/withdraw', 'id text', 400, 'id', () => post('/applications/abc/withdraw', {}, 'seeker')],
  ['POST /applications/:id/withdraw', 'id huge', 400, 'id', () => post(`/applications/${HUGE}/withdraw`, {}, 'seeker')],
  ['POST /applications/:id/withdraw', 'absent id', 404, 'Application 999999', () => post('/applications/999999/withdraw', {}, 'seeker')],
  ['POST /applications/:id/withdraw', 'by the employer', 403, 'applicant', () => post(`/applications/${f.applicationId}/withdraw`, {}, 'owner')],

  // ── the owner's own lists ─────────────────────────────────────────────────────────────
  ['GET /spas/mine', 'limit 0', 400, 'limit', () => get('/spas/mine?limit=0', 'owner')],
  ['GET /spas/mine', 'unknown query field', 400, 'ownerId', () => get('/spas/mine?ownerId=1', 'owner')],
  ['GET /spas/mine', 'forged cursor', 400, /cursor.*not issued/, () => get(`/spas/mine?cursor=${FORGED_CURSOR}`, 'owner')],
  ['GET /spas/mine', "the public list's cursor", 400, /cursor.*another sort order/, () => get(`/spas/mine?cursor=${f.cursors.spasNewest}`, 'owner')],
  ['GET /spas/mine', 'signed cursor, date not a date', 400, /cursor.*not a valid date/, () => get(`/spas/mine?cursor=${signedCursor({ o: 'mine', v: ['soon', 1] })}`, 'owner')],
  ['GET /jobs/mine', 'spaId text', 400, 'spaId', () => get('/jobs/mine?spaId=abc', 'owner')],
  ['GET /jobs/mine', 'limit 101', 400, 'limit', () => get('/jobs/mine?limit=101', 'owner')],
  ['GET /jobs/mine', 'sort (unknown field)', 400, 'sort', () => get('/jobs/mine?sort=popular', 'owner')],
  ['GET /jobs/mine', "a public list's cursor", 400, /cursor.*another sort order/, () => get(`/jobs/mine?cursor=${f.cursors.jobsPopular}`, 'owner')],
  ['GET /jobs/mine', 'signed cursor, id a string', 400, /cursor.*not a valid int/, () => get(`/jobs/mine?cursor=${signedCursor({ o: 'mine', v: ['2026-01-01T00:00:00.000Z', '1'] })}`, 'owner')],
  ['GET /jobs/mine/:id', 'id text', 400, 'id', () => get('/jobs/mine/abc', 'owner')],
  ['GET /jobs/mine/:id', 'id huge', 400, 'id', () => get(`/jobs/mine/${HUGE}`, 'owner')],
  ['GET /jobs/mine/:id', 'absent id', 404, 'Job 999999', () => get('/jobs/mine/999999', 'owner')],
  ['POST /auth/verify-email', 'token missing', 400, 'token', () => post('/auth/verify-email', {})],
  ['POST /auth/verify-email', 'token a number', 400, 'token', () => post('/auth/verify-email', { token: 42 })],
  ['POST /auth/verify-email', 'token SQL', 400, 'token', () => post('/auth/verify-email', { token: SQL })],
  ['POST /auth/verify-email', 'token over-long', 400, 'token', () => post('/auth/verify-email', { token: long(129) })],
  ['POST /auth/verify-email', 'unknown token', 400, 'token', () => post('/auth/verify-email', { token: 'A'.repeat(43) })],
  ['POST /auth/verify-email', 'unknown field userId', 400, 'userId', () => post('/auth/verify-email', { token: 'A'.repeat(43), userId: 1 })],
  ['POST /auth/verify-email', 'malformed JSON', 400, 'not valid JSON', () => postRaw('/auth/verify-email', '{"token": ')],
  ['GET /auth/verify-email', 'token missing', 400, 'token', () => get('/auth/verify-email')],
  ['GET /auth/verify-email', 'token SQL', 400, 'token', () => get(`/auth/verify-email?token=${encodeURIComponent(SQL)}`)],
  ['GET /auth/verify-email', 'token twice', 400, 'token', () => get('/auth/verify-email?token=abc&token=def')],
  ['GET /auth/verify-email', 'unknown token', 400, 'token', () => get(`/auth/verify-email?token=${'B'.repeat(43)}`)],
  ['GET /auth/verify-email', 'unknown query field', 400, 'userId', () => get(`/auth/verify-email?token=${'B'.repeat(43)}&userId=1`)],
  ['POST /auth/verify-email/request', 'no token', 401, 'bearer token', () => post('/auth/verify-email/request', {})],
  ['POST /auth/verify-email/request', 'already verified', 409, 'already verified', () => post('/auth/verify-email/request', {}, 'owner')],
  ['POST /auth/password-reset/request', 'email missing', 400, 'email', () => post('/auth/password-reset/request', {})],
  ['POST /auth/password-reset/request', 'email not an email', 400, 'email', () => post('/auth/password-reset/request', { email: 'not-an-email' })],
  ['POST /auth/password-reset/request', 'email an object', 400, 'email', () => post('/auth/password-reset/request', { email: { $ne: null } })],
  ['POST /auth/password-reset/request', 'unknown field userId', 400, 'userId', () => post('/auth/password-reset/request', { email: users.owner.email, userId: 1 })],
  ['POST /auth/password-reset', 'token missing', 400, 'token', () => post('/auth/password-reset', { password: 'a long enough passphrase' })],
  ['POST /auth/password-reset', 'password missing', 400, 'password', () => post('/auth/password-reset', { token: 'A'.repeat(43) })],
  ['POST /auth/password-reset', 'password 7 characters', 400, 'password', () => post('/auth/password-reset', { token: 'A'.repeat(43), password: 'short12' })],
  ['POST /auth/password-reset', 'unknown token', 400, 'token', () => post('/auth/password-reset', { token: 'A'.repeat(43), password: 'a long enough passphrase' })],
  ['POST /users/me/email', 'no token', 401, 'bearer token', () => post('/users/me/email', { email: 'new@example.test', currentPassword: 'x' })],
  ['POST /users/me/email', 'email missing', 400, 'email', () => post('/users/me/email', { currentPassword: users.seeker.password }, 'seeker')],
  ['POST /users/me/email', 'email not an email', 400, 'email', () => post('/users/me/email', { email: 'nope', currentPassword: users.seeker.password }, 'seeker')],
  ['POST /users/me/email', 'currentPassword missing', 400, 'currentPassword', () => post('/users/me/email', { email: 'new@example.test' }, 'seeker')],
  ['POST /users/me/email', 'currentPassword wrong', 400, 'currentPassword', () => post('/users/me/email', { email: 'new@example.test', currentPassword: 'not-it' }, 'seeker')],
  ['POST /users/me/email', 'own address', 400, 'email', () => post('/users/me/email', { email: users.seeker.email.toUpperCase(), currentPassword: users.seeker.password }, 'seeker')],
  ['POST /users/me/email', 'address taken', 409, 'email', () => post('/users/me/email', { email: users.owner.email, currentPassword: users.seeker.password }, 'seeker')],
  ['POST /jobs/:id/renew', 'id text', 400, 'id', () => post('/jobs/abc/renew', {}, 'owner')],
  ['POST /jobs/:id/renew', 'id huge', 400, 'id', () => post(`/jobs/${HUGE}/renew`, {}, 'owner')],
  ['POST /jobs/:id/renew', 'absent id', 404, 'Job 999999', () => post('/jobs/999999/renew', {}, 'owner')],
  ['POST /jobs/:id/renew', 'a text body', 415, 'text/plain', () => as('owner', t.http.post(api(`/jobs/${f.openJobId}/renew`))).set('Content-Type', 'text/plain').send('renew')],
  ['GET /users/me/notifications', 'garbage token', 401, 'token', () => t.http.get(api('/users/me/notifications')).set('Authorization', 'Bearer abc')],
  ['PATCH /users/me/notifications', 'applications unknown', 400, 'applications', () => patch('/users/me/notifications', { applications: 'weekly' }, 'seeker')],
  ['PATCH /users/me/notifications', 'applications null', 400, 'applications', () => patch('/users/me/notifications', { applications: null }, 'seeker')],
  ['PATCH /users/me/notifications', 'statusChanges text', 400, 'statusChanges', () => patch('/users/me/notifications', { statusChanges: 'no' }, 'seeker')],
  ['PATCH /users/me/notifications', 'userId (unknown field)', 400, 'userId', () => patch('/users/me/notifications', { userId: users.owner.id, jobExpiring: false }, 'seeker')],
  ['POST /notifications/unsubscribe', 'token missing', 400, 'token', () => t.http.post(api('/notifications/unsubscribe'))],
  ['POST /notifications/unsubscribe', 'forged token', 400, /not issued/, () => t.http.post(api(`/notifications/unsubscribe?token=${FORGED_CURSOR}`)).type('form').send('List-Unsubscribe=One-Click')],
  ['POST /notifications/unsubscribe', 'token over-long', 400, 'token', () => t.http.post(api(`/notifications/unsubscribe?token=${long(3000)}`))],
  ['POST /notifications/unsubscribe', 'a JSON body', 415, 'application/json', () => t.http.post(api(`/notifications/unsubscribe?token=${FORGED_CURSOR}`)).send({ all: true })],
  ['GET /notifications/unsubscribe', 'forged token', 400, /not issued/, () => get(`/notifications/unsubscribe?token=${FORGED_CURSOR}`)],
  ['GET /notifications/unsubscribe', 'token missing', 400, 'token', () => get('/notifications/unsubscribe')],
  ['POST /saved-searches', 'filters.cityId text', 400, 'cityId', () => post('/saved-searches', { name: 'Mine', filters: { cityId: 'abc' } }, 'seeker')],
  ['POST /saved-searches', 'filters.salaryMin SQL', 400, 'salaryMin', () => post('/saved-searches', { name: 'Mine', filters: { salaryMin: SQL } }, 'seeker')],
  ['POST /saved-searches', 'filters.sort (not a filter)', 400, 'sort', () => post('/saved-searches', { name: 'Mine', filters: { sort: 'popular' } }, 'seeker')],
  ['POST /saved-searches', 'filters.cursor (not a filter)', 400, 'cursor', () => post('/saved-searches', { name: 'Mine', filters: { cursor: FORGED_CURSOR } }, 'seeker')],
  ['POST /saved-searches', 'filters an array', 400, 'filters', () => post('/saved-searches', { name: 'Mine', filters: [1] }, 'seeker')],
  ['POST /saved-searches', 'filters missing', 400, 'filters', () => post('/saved-searches', { name: 'Mine' }, 'seeker')],
  ['POST /saved-searches', 'frequency weekly', 400, 'frequency', () => post('/saved-searches', { name: 'Mine', filters: {}, frequency: 'weekly' }, 'seeker')],
  ['POST /saved-searches', 'name over-long', 400, 'name', () => post('/saved-searches', { name: long(101), filters: {} }, 'seeker')],
  ['POST /saved-searches', 'userId (unknown field)', 400, 'userId', () => post('/saved-searches', { name: 'Mine', filters: {}, userId: users.owner.id }, 'seeker')],
  ['POST /saved-searches', 'malformed JSON', 400, 'not valid JSON', () => postRaw('/saved-searches', '{"name":"Mine",', 'seeker')],
  ['GET /saved-searches', 'limit 0', 400, 'limit', () => get('/saved-searches?limit=0', 'seeker')],
  ['GET /saved-searches', 'forged cursor', 400, /cursor.*not issued/, () => get(`/saved-searches?cursor=${FORGED_CURSOR}`, 'seeker')],
  ['GET /saved-searches', "a public list's cursor", 400, /cursor.*another sort order/, () => get(`/saved-searches?cursor=${f.cursors.jobsPopular}`, 'seeker')],
  ['GET /saved-searches', 'unknown query field', 400, 'userId', () => get(`/saved-searches?userId=${users.owner.id}`, 'seeker')],
  ['GET /saved-searches/:id', 'id text', 400, 'id', () => get('/saved-searches/abc', 'seeker')],
  ['GET /saved-searches/:id', 'id huge', 400, 'id', () => get(`/saved-searches/${HUGE}`, 'seeker')],
  ['GET /saved-searches/:id', 'absent id', 404, 'Saved search 999999', () => get('/saved-searches/999999', 'seeker')],
  ['PATCH /saved-searches/:id', 'id 0', 400, 'id', () => patch('/saved-searches/0', { name: 'Renamed' }, 'seeker')],
  ['PATCH /saved-searches/:id', 'frequency unknown', 400, 'frequency', () => patch('/saved-searches/999999', { frequency: 'hourly' }, 'seeker')],
  ['PATCH /saved-searches/:id', 'name null', 400, 'name', () => patch('/saved-searches/999999', { name: null }, 'seeker')],
  ['PATCH /saved-searches/:id', 'filters.q over-long', 400, 'q', () => patch('/saved-searches/999999', { filters: { q: long(201) } }, 'seeker')],
  ['PATCH /saved-searches/:id', 'absent id', 404, 'Saved search 999999', () => patch('/saved-searches/999999', { name: 'Renamed' }, 'seeker')],
  ['DELETE /saved-searches/:id', 'id SQL', 400, 'id', () => del(`/saved-searches/${encodeURIComponent(SQL)}`, 'seeker')],
  ['DELETE /saved-searches/:id', 'absent id', 404, 'Saved search 999999', () => del('/saved-searches/999999', 'seeker')],
  ['GET /saved-searches/:id/unsubscribe', 'token missing', 400, 'token', () => get('/saved-searches/1/unsubscribe')],
  ['GET /saved-searches/:id/unsubscribe', 'token forged', 400, 'token', () => get(`/saved-searches/1/unsubscribe?token=${FORGED_CURSOR}`)],
  ['GET /saved-searches/:id/unsubscribe', 'id text', 400, 'id', () => get('/saved-searches/abc/unsubscribe?token=x.y')],
  ['POST /saved-searches/:id/unsubscribe', 'token forged', 400, 'token', () => t.http.post(api(`/saved-searches/1/unsubscribe?token=${FORGED_CURSOR}`))],
  ['POST /saved-searches/:id/unsubscribe', 'token over-long', 400, 'token', () => t.http.post(api(`/saved-searches/1/unsubscribe?token=${long(2049)}`))],
  ['POST /saved-searches/:id/unsubscribe', 'text body', 415, 'text/plain', () => t.http.post(api('/saved-searches/1/unsubscribe?token=x.y')).set('Content-Type', 'text/plain').send('unsubscribe me')],
  ['GET /users/me/export', 'refresh not a boolean', 400, 'refresh', () => get('/users/me/export?refresh=maybe', 'seeker')],
  ['GET /users/me/export', 'unknown query field', 400, 'format', () => get('/users/me/export?format=csv', 'seeker')],
  ['GET /users/me/export', 'no token', 401, 'token', () => get('/users/me/export')],
  ['DELETE /users/me', 'currentPassword missing', 400, 'currentPassword', () => del('/users/me', 'seeker').send({})],
  ['DELETE /users/me', 'no body', 400, 'currentPassword', () => del('/users/me', 'seeker')],
  ['DELETE /users/me', 'currentPassword wrong', 400, 'currentPassword', () => del('/users/me', 'seeker').send({ currentPassword: 'not-the-password' })],
  ['DELETE /users/me', 'currentPassword a number', 400, 'currentPassword', () => del('/users/me', 'seeker').send({ currentPassword: 12345678 })],
  ['DELETE /users/me', 'currentPassword SQL', 400, 'currentPassword', () => del('/users/me', 'seeker').send({ currentPassword: SQL })],
  ['DELETE /users/me', 'password (unknown field)', 400, 'password', () => del('/users/me', 'seeker').send({ currentPassword: 'x', password: 'new-password-here' })],
  ['DELETE /users/me', 'form-encoded body', 415, 'Content-Type', () => del('/users/me', 'seeker').type('form').send('currentPassword=x')],
  ['DELETE /users/me', 'the only admin', 409, 'admin', () => del('/users/me', 'admin').send({ currentPassword: users.admin.password })],
];

/** `text` as a whole word (or words): "q" must not be found inside "request". */
const asWord = (text: string) =>
  new RegExp(`(?<!\\w)${text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?!\\w)`);

const files = () => storedFiles(t);

/** What must never reach a client: stack frames, SQL or driver errors, file system paths. */
function expectNoLeak(res: Response): void {
  const text = res.text ?? '';
  expect(text).not.toMatch(/\n\s+at |\bat \S+ \(|\.[cm]?[jt]s:\d+/);
  expect(text).not.toMatch(
    /\bSELECT\b|\bINSERT INTO\b|\bDELETE FROM\b|\bUPDATE "?\w+"? SET\b|QueryFailedError|TypeORMError|violates|relation "|syntax error at/,
  );
  expect(text).not.toMatch(/node_modules|\/(?:work|tmp|home|usr|var|srv|opt)\/|[A-Za-z]:\\/);
  for (const dir of [t.config.uploads.publicDir, t.config.uploads.resumeDir, process.cwd()]) {
    expect(text).not.toContain(dir);
  }
}

describe('bad input', () => {
  beforeAll(async () => {
    t = await createTestApp({ env: { MAX_UPLOAD_MB: '1' } });
    const [owner, seeker, admin] = await Promise.all([
      createUser(t, 'employer', 'Spa Owner'),
      createUser(t, 'job_seeker', 'Job Seeker'),
      createUser(t, 'admin', 'Site Admin'),
    ]);
    users = { owner, seeker, admin };
    const spa = await createSpa(t, owner);
    const other = await createSpa(t, owner);
    await t.http
      .patch(`/api/v1/spas/${other.id}`)
      .set('Authorization', admin.auth)
      .send({ rating: 4.5 })
      .expect(200);
    const job = await createJob(t, owner, spa.id, { salaryMin: 100, salaryMax: 200 });
    const openJob = await createJob(t, owner, spa.id);
    const closedJob = await createJob(t, owner, spa.id);
    await t.http
      .delete(`/api/v1/jobs/${closedJob.id}`)
      .set('Authorization', owner.auth)
      .expect(204);
    const application = await applyTo(t, seeker, job.id);
    const cursor = async (path: string): Promise<string> => {
      const res = await t.http.get(`/api/v1${path}`).expect(200);
      expect(res.body.nextCursor).toEqual(expect.any(String));
      return res.body.nextCursor as string;
    };
    f = {
      spaId: spa.id,
      jobId: job.id,
      openJobId: openJob.id,
      closedJobId: closedJob.id,
      applicationId: application.id,
      cityId: (await city(t)).cityId,
      categoryId: await categoryId(t),
      cursors: {
        spasByRating: await cursor('/spas?sort=rating&limit=1'),
        spasNewest: await cursor('/spas?limit=1'),
        jobsPopular: await cursor('/jobs?sort=popular&limit=1'),
        cities: await cursor('/cities?limit=1'),
      },
    };
  });
  afterAll(() => t?.close());

  it(`has ${TABLE.length} rows covering every route`, () => {
    const routes = new Set(TABLE.map(([route]) => route));
    expect([...routes].sort()).toEqual(
      [
        'GET /states',
        'GET /cities',
        'GET /job-categories',
        'GET /spas',
        'GET /spas/:idOrSlug',
        'POST /spas',
        'PATCH /spas/:id',
        'DELETE /spas/:id',
        'POST /spas/:id/images',
        'DELETE /spas/:id/images/:name',
        'DELETE /spas/:id/images',
        'POST /states',
        'PATCH /states/:id',
        'POST /cities',
        'PATCH /cities/:id',
        'POST /job-categories',
        'PATCH /job-categories/:id',
        'GET /jobs',
        'GET /jobs/:idOrSlug',
        'POST /jobs',
        'PATCH /jobs/:id',
        'DELETE /jobs/:id',
        'POST /auth/register',
        'POST /auth/login',
        'GET /users/me',
        'PATCH /users/me',
        'GET /users',
        'PATCH /users/:id',
        'POST /jobs/:id/applications',
        'GET /jobs/:id/applications',
        'GET /applications/mine',
        'GET /applications/:id',
        'PATCH /applications/:id',
        'GET /applications/:id/resume',
        'POST /applications/:id/withdraw',
        'GET /spas/mine',
        'GET /jobs/mine',
        'GET /jobs/mine/:id',
        'GET /admin/jobs/failed',
        'POST /admin/jobs/failed/:uuid/retry',
        'POST /auth/verify-email',
        'GET /auth/verify-email',
        'POST /auth/verify-email/request',
        'POST /auth/password-reset/request',
        'POST /auth/password-reset',
        'POST /users/me/email',
        'POST /jobs/:id/renew',
        'GET /users/me/notifications',
        'PATCH /users/me/notifications',
        'POST /notifications/unsubscribe',
        'GET /notifications/unsubscribe',
        'POST /saved-searches',
        'GET /saved-searches',
        'GET /saved-searches/:id',
        'PATCH /saved-searches/:id',
        'DELETE /saved-searches/:id',
        'GET /saved-searches/:id/unsubscribe',
        'POST /saved-searches/:id/unsubscribe',
        'GET /users/me/export',
        'DELETE /users/me',
      ].sort(),
    );
  });

  it.each(TABLE)('%s, %s → %i', async (_route, _input, status, names, send) => {
    const dbBefore = await snapshot(t);
    const filesBefore = await files();

    const res = await send();

    expect(res.status, res.text.slice(0, 300)).toBe(status);
    const { details, ...body } = res.body as Record<string, unknown>;
    expect(body).toEqual({
      statusCode: status,
      error: STATUS_CODES[status],
      message: expect.any(String),
      code: expect.any(String),
      requestId: res.headers['x-request-id'],
    });
    if (details !== undefined) expect(details).toEqual(expect.any(Array));
    expect(body.message).toMatch(typeof names === 'string' ? asWord(names) : names);
    expectNoLeak(res);
    expect(await snapshot(t)).toEqual(dbBefore);
    expect(await files()).toEqual(filesBefore);
  });

  describe('SQL-looking text in free-text fields is only text', () => {
    const NAME = "Robert'); DROP TABLE spas;--";

    it('stores a spa name verbatim and keeps every table', async () => {
      const before = await snapshot(t);
      const res = await t.http
        .post('/api/v1/spas')
        .set('Authorization', users.owner.auth)
        .send({ name: NAME, description: "' OR '1'='1", cityId: f.cityId })
        .expect(201);
      expect(res.body.name).toBe(NAME);
      expect(res.body.slug).toMatch(/^[a-z0-9]+(-[a-z0-9]+)*$/);
      const [row] = await t.db.query(`SELECT name, description FROM spas WHERE id = $1`, [
        res.body.id,
      ]);
      expect(row).toEqual({ name: NAME, description: "' OR '1'='1" });
      const after = await snapshot(t);
      expect(Number(after.spas.split(':')[0])).toBe(Number(before.spas.split(':')[0]) + 1);
      for (const table of ['users', 'jobs', 'applications'] as const) {
        expect(after[table]).toBe(before[table]);
      }
      const read = await t.http.get(`/api/v1/spas/${res.body.slug}`).expect(200);
      expect(read.body.name).toBe(NAME);
    });

    it('stores a job title and a full name verbatim', async () => {
      const title = "Therapist'; DELETE FROM jobs WHERE '1'='1";
      const job = await t.http
        .post('/api/v1/jobs')
        .set('Authorization', users.owner.auth)
        .send({ ...validJob(), title })
        .expect(201);
      const [row] = await t.db.query(`SELECT title FROM jobs WHERE id = $1`, [job.body.id]);
      expect(row.title).toBe(title);

      const fullName = "Ana'); UPDATE users SET role = 'admin';--";
      await t.http
        .patch('/api/v1/users/me')
        .set('Authorization', users.seeker.auth)
        .send({ fullName })
        .expect(200);
      const me = await t.db.query(`SELECT full_name, role FROM users WHERE id = $1`, [
        users.seeker.id,
      ]);
      expect(me).toEqual([{ full_name: fullName, role: 'job_seeker' }]);
      const [{ admins }] = await t.db.query(
        `SELECT count(*)::int AS admins FROM users WHERE role = 'admin'`,
      );
      expect(admins).toBe(1);
    });

    it.each([
      ['/spas', "'; DROP TABLE spas;--"],
      ['/jobs', "x' OR 1=1 --"],
      ['/jobs', '!!:* & | ( ) <-> \\'],
      ['/cities', "%' OR name LIKE '%"],
      ['/users', "' OR 1=1 --"],
    ])('searches %s for %j as text (200, no error, tables intact)', async (path, q) => {
      const before = await snapshot(t);
      const res = await t.http
        .get(`/api/v1${path}`)
        .query({ q })
        .set('Authorization', users.admin.auth)
        .expect(200);
      expect(res.body).toEqual({ data: expect.any(Array), nextCursor: null });
      expect(await snapshot(t)).toEqual(before);
    });
  });
});

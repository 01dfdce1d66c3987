import { randomBytes } from 'node:crypto';
import { JwtService } from '@nestjs/jwt';
import { createTestApp, type TestApp } from '../support/create-test-app.js';
import {
  applyTo,
  createJob,
  createSpa,
  createUser,
  snapshot,
  type TestUser,
} from '../support/factories.js';

const unique = () => randomBytes(5).toString('hex');

interface UserRow {
  id: number;
  email: string;
  password_hash: string;
  full_name: string;
  phone: string | null;
  role: string;
  is_active: boolean;
  token_version: number;
  last_login_at: Date | null;
}

describe('auth and users', () => {
  let t: TestApp;
  let admin: TestUser;

  beforeAll(async () => {
    t = await createTestApp();
    admin = await createUser(t, 'admin', 'Ada Admin');
  });
  afterAll(() => t.close());

  async function row(id: number): Promise<UserRow> {
    const rows: UserRow[] = await t.db.query(`SELECT * FROM users WHERE id = $1`, [id]);
    return rows[0];
  }

  async function rowsByEmail(email: string): Promise<UserRow[]> {
    return t.db.query(`SELECT * FROM users WHERE lower(email) = lower($1)`, [email]);
  }

  /** No response body may carry a password hash, under any key. */
  function expectNoHash(body: unknown): void {
    const text = JSON.stringify(body);
    expect(text).not.toMatch(/\$argon2|\$2[aby]\$/);
    expect(text).not.toMatch(/password/i);
  }

  const me = (token: string) =>
    t.http.get('/api/v1/users/me').set('Authorization', `Bearer ${token}`);

  describe('register', () => {
    it('creates a job seeker by default and answers { user, accessToken, tokenType, expiresIn }', async () => {
      const email = `Mixed.Case-${unique()}@Example.TEST`;
      const res = await t.http
        .post('/api/v1/auth/register')
        .send({
          email,
          password: 'correct horse battery',
          fullName: 'Ana Lima',
          phone: '+1 415 555 0100',
        })
        .expect(201);

      expect(res.body).toEqual({
        user: {
          id: expect.any(Number),
          email: email.toLowerCase(),
          fullName: 'Ana Lima',
          phone: '+1 415 555 0100',
          role: 'job_seeker',
          isActive: true,
          emailVerified: false,
          createdAt: expect.any(String),
        },
        accessToken: expect.any(String),
        tokenType: 'Bearer',
        expiresIn: t.config.auth.accessTokenMinutes * 60,
      });
      expectNoHash(res.body);

      const stored = await row(res.body.user.id);
      expect(stored.email).toBe(email.toLowerCase());
      expect(stored.role).toBe('job_seeker');
      expect(stored.password_hash).toMatch(/^\$argon2id\$/);
      expect(stored.password_hash).not.toContain('correct horse battery');

      const who = await me(res.body.accessToken).expect(200);
      expect(who.body.id).toBe(res.body.user.id);
      expectNoHash(who.body);
    });

    it('lets an employer sign up as an employer', async () => {
      const res = await t.http
        .post('/api/v1/auth/register')
        .send({
          email: `boss-${unique()}@example.test`,
          password: 'pw-employer-1',
          fullName: 'Boss',
          role: 'employer',
        })
        .expect(201);
      expect(res.body.user.role).toBe('employer');
      expect((await row(res.body.user.id)).role).toBe('employer');
    });

    it('never lets anyone self-assign admin', async () => {
      const email = `sneaky-${unique()}@example.test`;
      const res = await t.http
        .post('/api/v1/auth/register')
        .send({ email, password: 'pw-sneaky-123', fullName: 'Sneaky', role: 'admin' })
        .expect(400);
      expect(res.body).toMatchObject({ statusCode: 400, code: 'VALIDATION_FAILED' });
      expect(res.body.message).toContain('role');
      expect(await rowsByEmail(email)).toHaveLength(0);
    });

    it.each([
      [{ password: 'short', fullName: 'X' }, 'password'],
      [{ password: 'long-enough-pw', fullName: '' }, 'fullName'],
      [{ password: 'long-enough-pw', fullName: 'X', phone: 'call me' }, 'phone'],
      [{ password: 'long-enough-pw', fullName: 'X', isActive: false }, 'isActive'],
    ])('refuses bad input %j with a 400 naming %s, writing nothing', async (body, field) => {
      const before = await snapshot(t);
      const res = await t.http
        .post('/api/v1/auth/register')
        .send({ email: `bad-${unique()}@example.test`, ...body })
        .expect(400);
      expect(res.body.message).toContain(field);
      expect(await snapshot(t)).toEqual(before);
    });

    it('refuses an e-mail taken in another case with 409 EMAIL_TAKEN', async () => {
      const email = `taken-${unique()}@example.test`;
      await t.http
        .post('/api/v1/auth/register')
        .send({ email, password: 'first-password', fullName: 'First' })
        .expect(201);
      const res = await t.http
        .post('/api/v1/auth/register')
        .send({ email: email.toUpperCase(), password: 'second-password', fullName: 'Second' })
        .expect(409);
      expect(res.body).toMatchObject({
        statusCode: 409,
        error: 'Conflict',
        code: 'EMAIL_TAKEN',
        requestId: expect.any(String),
      });
      const rows = await rowsByEmail(email);
      expect(rows).toHaveLength(1);
      expect(rows[0].full_name).toBe('First');
    });

    it('lets exactly one of 5 racing registrations of one e-mail win', async () => {
      const email = `race-${unique()}@example.test`;
      const variants = [
        email,
        email.toUpperCase(),
        ` ${email}`,
        email,
        `${email.slice(0, 3).toUpperCase()}${email.slice(3)}`,
      ];
      const results = await Promise.all(
        variants.map((e, i) =>
          t.http
            .post('/api/v1/auth/register')
            .send({ email: e, password: `race-password-${i}`, fullName: `Racer ${i}` }),
        ),
      );
      const statuses = results.map((r) => r.status).sort();
      expect(statuses).toEqual([201, 409, 409, 409, 409]);
      for (const r of results.filter((x) => x.status === 409))
        expect(r.body.code).toBe('EMAIL_TAKEN');
      expect(await rowsByEmail(email)).toHaveLength(1);
    });
  });

  describe('login', () => {
    let user: TestUser;

    beforeAll(async () => {
      user = await createUser(t, 'job_seeker', 'Login Person');
    });

    it('answers 200 with { user, accessToken, tokenType, expiresIn } as register does, in any e-mail case', async () => {
      const res = await t.http
        .post('/api/v1/auth/login')
        .send({ email: user.email.toUpperCase(), password: user.password })
        .expect(200);
      expect(res.body).toEqual({
        user: {
          id: user.id,
          email: user.email,
          fullName: 'Login Person',
          phone: user.phone,
          role: 'job_seeker',
          isActive: true,
          emailVerified: true,
          createdAt: expect.any(String),
        },
        accessToken: expect.any(String),
        tokenType: 'Bearer',
        expiresIn: t.config.auth.accessTokenMinutes * 60,
      });
      expectNoHash(res.body);
      expect((await me(res.body.accessToken).expect(200)).body.id).toBe(user.id);
      expect((await row(user.id)).last_login_at).not.toBeNull();
    });

    it('gives the same 401 for a wrong password and an unknown e-mail', async () => {
      const wrong = await t.http
        .post('/api/v1/auth/login')
        .send({ email: user.email, password: 'not-the-password' })
        .expect(401);
      const unknown = await t.http
        .post('/api/v1/auth/login')
        .send({ email: `nobody-${unique()}@example.test`, password: 'not-the-password' })
        .expect(401);
      expect(wrong.body.message).toBe(unknown.body.message);
      expect(wrong.body.code).toBe(unknown.body.code);
      expect(wrong.body.error).toBe(unknown.body.error);
      expect(wrong.body).not.toHaveProperty('accessToken');
      expect(wrong.body.message).not.toMatch(/not found|unknown|no such/i);
      // a 401 always names its scheme (RFC 9110), even when no token was involved
      expect(wrong.headers['www-authenticate']).toBe('Bearer realm="spajobs"');
    });
  });

  describe('passwords', () => {
    const register = (password: string, extra: Record<string, string> = {}) =>
      t.http.post('/api/v1/auth/register').send({
        email: `pw-${unique()}@example.test`,
        password,
        fullName: 'Pat Word',
        ...extra,
      });

    it.each([
      ['password123', /commonly used password/],
      ['Password1!', /commonly used password/],
      ['P@ssw0rd2024', /./],
      ['qwertyuiop', /frequently used password|keyboard|commonly used/i],
      ['iloveyou12', /commonly used password/],
      ['12345678', /heavily used password/],
      ['aaaaaaaaaaaa', /Repeated characters/],
      ['abcdefghijkl', /./],
      ['        ', /./],
    ])(
      'refuses the common password %j with 400 WEAK_PASSWORD saying why, writing nothing',
      async (password, why) => {
        const before = await snapshot(t);
        const res = await register(password).expect(400);
        expect(res.body).toMatchObject({ statusCode: 400, code: 'WEAK_PASSWORD' });
        expect(res.body.message).toMatch(/^password is too easy to guess: /);
        expect(res.body.message).toMatch(why);
        expect(res.body.details).toEqual([
          { field: 'password', message: expect.any(String), suggestions: expect.any(Array) },
        ]);
        // the answer does not echo the password back
        expect(JSON.stringify(res.body)).not.toContain(password);
        expect(await snapshot(t)).toEqual(before);
      },
    );

    it('refuses a password made of the user’s own e-mail or name', async () => {
      const tag = `zanzibar${unique()}`;
      const byEmail = await register(`${tag}!`, { email: `${tag}@example.test` }).expect(400);
      expect(byEmail.body.code).toBe('WEAK_PASSWORD');
      expect(await rowsByEmail(`${tag}@example.test`)).toHaveLength(0);
      // the same password is fine for someone else
      await register(`${tag}!`).expect(201);
    });

    it('stores a password exactly as sent: leading and trailing spaces are part of it', async () => {
      const password = '  tidal Basin 58 lanterns  ';
      const email = `spaces-${unique()}@example.test`;
      await register(password, { email }).expect(201);
      const login = (p: string) => t.http.post('/api/v1/auth/login').send({ email, password: p });
      await login(password).expect(200);
      for (const altered of [password.trim(), ` ${password.trim()}`, `${password} `]) {
        expect((await login(altered).expect(401)).body.code).toBe('INVALID_CREDENTIALS');
      }
    });

    it('applies the same rule to a password change, after checking the current password', async () => {
      const user = await createUser(t, 'job_seeker');
      const before = await row(user.id);
      const weak = await t.http
        .patch('/api/v1/users/me')
        .set('Authorization', user.auth)
        .send({ password: 'password1234', currentPassword: user.password })
        .expect(400);
      expect(weak.body.code).toBe('WEAK_PASSWORD');
      const wrongCurrent = await t.http
        .patch('/api/v1/users/me')
        .set('Authorization', user.auth)
        .send({ password: 'password1234', currentPassword: 'not-the-password' })
        .expect(400);
      expect(wrongCurrent.body.code).toBe('INVALID_CURRENT_PASSWORD');
      expect(await row(user.id)).toEqual(before);
      await me(user.token).expect(200);

      const spaced = ' quiet Harbor 93 gulls ';
      await t.http
        .patch('/api/v1/users/me')
        .set('Authorization', user.auth)
        .send({ password: spaced, currentPassword: user.password })
        .expect(200);
      await t.http
        .post('/api/v1/auth/login')
        .send({ email: user.email, password: spaced })
        .expect(200);
      await t.http
        .post('/api/v1/auth/login')
        .send({ email: user.email, password: spaced.trim() })
        .expect(401);
    });
  });

  describe('tokens', () => {
    let user: TestUser;

    beforeAll(async () => {
      user = await createUser(t, 'job_seeker');
    });

    it('refuses a request without a token', async () => {
      const res = await t.http.get('/api/v1/users/me').expect(401);
      expect(res.body).toMatchObject({ statusCode: 401, code: 'TOKEN_MISSING' });
    });

    it('refuses a token signed with another secret', async () => {
      const forged = new JwtService({ secret: 'some-other-secret-0123456789abcdef' }).sign({
        sub: String(user.id),
        tv: 0,
      });
      const res = await me(forged).expect(401);
      expect(res.body.statusCode).toBe(401);
      expect(JSON.stringify(res.body)).not.toContain(user.email);
    });

    it('refuses a tampered token (payload swapped, signature kept)', async () => {
      const other = await createUser(t, 'admin');
      const [header, , signature] = user.token.split('.');
      const payload = Buffer.from(JSON.stringify({ sub: String(other.id), tv: 0 })).toString(
        'base64url',
      );
      await me(`${header}.${payload}.${signature}`).expect(401);
      const flipped = user.token.slice(0, -2) + (user.token.endsWith('AA') ? 'BB' : 'AA');
      await me(flipped).expect(401);
      // the untouched token still works, so the 401s above are about the tampering
      await me(user.token).expect(200);
    });

    it('refuses an expired token', async () => {
      const expired = new JwtService({ secret: t.config.auth.secretKey }).sign(
        { sub: String(user.id), tv: 0 },
        { expiresIn: -10 },
      );
      const fresh = new JwtService({ secret: t.config.auth.secretKey }).sign(
        { sub: String(user.id), tv: 0 },
        { expiresIn: 60 },
      );
      await me(expired).expect(401);
      await me(fresh).expect(200);
    });

    it('refuses a token with the "none" algorithm', async () => {
      const header = Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url');
      const payload = Buffer.from(JSON.stringify({ sub: String(user.id), tv: 0 })).toString(
        'base64url',
      );
      await me(`${header}.${payload}.`).expect(401);
    });
  });

  describe('/users/me', () => {
    it('shows and updates the caller’s name and phone', async () => {
      const user = await createUser(t, 'job_seeker', 'Old Name');
      const got = await me(user.token).expect(200);
      expect(got.body).toMatchObject({
        id: user.id,
        email: user.email,
        fullName: 'Old Name',
        phone: user.phone,
      });
      expectNoHash(got.body);

      const res = await t.http
        .patch('/api/v1/users/me')
        .set('Authorization', user.auth)
        .send({ fullName: 'New Name', phone: '+1 212 555 0199' })
        .expect(200);
      expect(res.body).toMatchObject({
        id: user.id,
        fullName: 'New Name',
        phone: '+1 212 555 0199',
      });
      expectNoHash(res.body);
      const stored = await row(user.id);
      expect(stored.full_name).toBe('New Name');
      expect(stored.phone).toBe('+1 212 555 0199');
      expect(stored.token_version).toBe(0);
      // a profile edit does not sign anyone out
      await me(user.token).expect(200);
    });

    it.each([
      [{ role: 'admin' }, 'role'],
      [{ isActive: false }, 'isActive'],
      [{ email: 'new@example.test' }, 'email'],
      [{ phone: 'not a phone' }, 'phone'],
    ])('refuses %j with a 400 and changes nothing', async (body, field) => {
      const user = await createUser(t, 'job_seeker');
      const before = await row(user.id);
      const res = await t.http
        .patch('/api/v1/users/me')
        .set('Authorization', user.auth)
        .send(body)
        .expect(400);
      expect(res.body.message).toContain(field);
      expect(await row(user.id)).toEqual(before);
    });

    it('changes the password only with the current one; old tokens then stop working', async () => {
      const user = await createUser(t, 'job_seeker');
      const before = await row(user.id);

      const missing = await t.http
        .patch('/api/v1/users/me')
        .set('Authorization', user.auth)
        .send({ password: 'brand-new-password' })
        .expect(400);
      expect(missing.body.code).toBe('INVALID_CURRENT_PASSWORD');
      const wrong = await t.http
        .patch('/api/v1/users/me')
        .set('Authorization', user.auth)
        .send({ password: 'brand-new-password', currentPassword: 'wrong-password' })
        .expect(400);
      expect(wrong.body.code).toBe('INVALID_CURRENT_PASSWORD');
      expect((await row(user.id)).password_hash).toBe(before.password_hash);
      await me(user.token).expect(200);

      const ok = await t.http
        .patch('/api/v1/users/me')
        .set('Authorization', user.auth)
        .send({ password: 'brand-new-password', currentPassword: user.password })
        .expect(200);
      expectNoHash(ok.body);
      const after = await row(user.id);
      expect(after.password_hash).not.toBe(before.password_hash);
      expect(after.password_hash).toMatch(/^\$argon2id\$/);
      expect(after.token_version).toBe(before.token_version + 1);

      const refused = await me(user.token).expect(401);
      expect(refused.body.code).toBe('TOKEN_REVOKED');
      await t.http
        .post('/api/v1/auth/login')
        .send({ email: user.email, password: user.password })
        .expect(401);
      const login = await t.http
        .post('/api/v1/auth/login')
        .send({ email: user.email, password: 'brand-new-password' })
        .expect(200);
      expect((await me(login.body.accessToken).expect(200)).body.id).toBe(user.id);
    });
  });

  describe('admin', () => {
    it('is the only role that may list or change users', async () => {
      const seeker = await createUser(t, 'job_seeker');
      const employer = await createUser(t, 'employer');
      for (const u of [seeker, employer]) {
        const res = await t.http.get('/api/v1/users').set('Authorization', u.auth).expect(403);
        expect(res.body.code).toBe('FORBIDDEN_ROLE');
        await t.http
          .patch(`/api/v1/users/${u.id}`)
          .set('Authorization', u.auth)
          .send({ role: 'admin' })
          .expect(403);
        expect((await row(u.id)).role).toBe(u.role);
      }
    });

    it('filters by role, activity and e-mail prefix, and walks keyset pages', async () => {
      const tag = `flt${unique()}`;
      const made: Array<{ id: number; role: string }> = [];
      for (let i = 0; i < 7; i++) {
        const role = i % 2 === 0 ? 'employer' : 'job_seeker';
        const res = await t.http
          .post('/api/v1/auth/register')
          .send({
            email: `${tag}-${i}@example.test`,
            password: `filter-walk-${i}-${unique()}`,
            fullName: `F ${i}`,
            role,
          })
          .expect(201);
        made.push({ id: res.body.user.id, role });
      }
      await t.db.query(`UPDATE users SET is_active = false WHERE id = $1`, [made[0].id]);
      // someone whose e-mail merely contains the tag must not match a prefix search
      await t.http
        .post('/api/v1/auth/register')
        .send({ email: `x${tag}-0@example.test`, password: `other-${unique()}`, fullName: 'Other' })
        .expect(201);

      const walk = async (query: Record<string, string | number | boolean>) => {
        const seen: Array<{ id: number; role: string; isActive: boolean; email: string }> = [];
        let cursor: string | null = null;
        let pages = 0;
        do {
          const res: { body: { data: typeof seen; nextCursor: string | null } } = await t.http
            .get('/api/v1/users')
            .set('Authorization', admin.auth)
            .query({ ...query, limit: 2, ...(cursor ? { cursor } : {}) })
            .expect(200);
          expect(res.body.data.length).toBeLessThanOrEqual(2);
          for (const u of res.body.data) expectNoHash(u);
          seen.push(...res.body.data);
          cursor = res.body.nextCursor;
          pages++;
        } while (cursor && pages < 20);
        return { seen, pages };
      };

      const all = await walk({ q: tag.toUpperCase() });
      expect(all.pages).toBe(4);
      expect(all.seen.map((u) => u.id)).toEqual(made.map((m) => m.id).sort((a, b) => b - a));

      const employers = await walk({ q: tag, role: 'employer' });
      expect(employers.seen.map((u) => u.id).sort()).toEqual(
        made
          .filter((m) => m.role === 'employer')
          .map((m) => m.id)
          .sort(),
      );
      expect(employers.seen.every((u) => u.role === 'employer')).toBe(true);

      const active = await walk({ q: tag, isActive: true });
      expect(active.seen.map((u) => u.id).sort()).toEqual(
        made
          .slice(1)
          .map((m) => m.id)
          .sort(),
      );
      const inactive = await walk({ q: tag, isActive: false });
      expect(inactive.seen.map((u) => u.id)).toEqual([made[0].id]);
      expect(inactive.seen[0].isActive).toBe(false);

      const wildcard = await walk({ q: '%' });
      expect(wildcard.seen).toEqual([]);
    });

    it('refuses a bad filter or a forged cursor with a 400', async () => {
      for (const query of ['role=superuser', 'isActive=maybe', 'limit=101', 'cursor=abc.def']) {
        const res = await t.http
          .get(`/api/v1/users?${query}`)
          .set('Authorization', admin.auth)
          .expect(400);
        expect(res.body.message).toMatch(/role|isActive|limit|cursor/);
      }
    });

    it('changes a user’s role; it takes effect on the next request', async () => {
      const user = await createUser(t, 'job_seeker');
      await t.http
        .post('/api/v1/spas')
        .set('Authorization', user.auth)
        .send({ name: 'Not Yet', cityId: 1 })
        .expect(403);
      const res = await t.http
        .patch(`/api/v1/users/${user.id}`)
        .set('Authorization', admin.auth)
        .send({ role: 'employer' })
        .expect(200);
      expect(res.body).toMatchObject({ id: user.id, role: 'employer', isActive: true });
      expect((await row(user.id)).role).toBe('employer');
      expect((await me(user.token).expect(200)).body.role).toBe('employer');
    });

    it('deactivation refuses the user’s existing token at once and login with 403 ACCOUNT_DISABLED', async () => {
      const user = await createUser(t, 'employer');
      await me(user.token).expect(200);
      const res = await t.http
        .patch(`/api/v1/users/${user.id}`)
        .set('Authorization', admin.auth)
        .send({ isActive: false })
        .expect(200);
      expect(res.body.isActive).toBe(false);
      expect((await row(user.id)).is_active).toBe(false);

      await me(user.token).expect(401);
      await t.http
        .post('/api/v1/spas')
        .set('Authorization', user.auth)
        .send({ name: 'Gone Spa', cityId: 1 })
        .expect(401);
      const login = await t.http
        .post('/api/v1/auth/login')
        .send({ email: user.email, password: user.password })
        .expect(403);
      expect(login.body.code).toBe('ACCOUNT_DISABLED');
      expect(login.body).not.toHaveProperty('accessToken');
      // the wrong password tells nothing about the account
      const wrong = await t.http
        .post('/api/v1/auth/login')
        .send({ email: user.email, password: 'not-the-password' })
        .expect(401);
      expect(wrong.body.code).not.toBe('ACCOUNT_DISABLED');

      await t.http
        .patch(`/api/v1/users/${user.id}`)
        .set('Authorization', admin.auth)
        .send({ isActive: true })
        .expect(200);
      // reactivation does not revive the tokens issued before the deactivation
      const old = await me(user.token).expect(401);
      expect(old.body.code).toBe('TOKEN_REVOKED');
      const again = await t.http
        .post('/api/v1/auth/login')
        .send({ email: user.email, password: user.password })
        .expect(200);
      expect((await me(again.body.accessToken).expect(200)).body.id).toBe(user.id);
      await me(user.token).expect(401);
    });

    it('bumps the token version once per deactivation, not on other changes', async () => {
      const user = await createUser(t, 'employer');
      const patch = (body: object) =>
        t.http
          .patch(`/api/v1/users/${user.id}`)
          .set('Authorization', admin.auth)
          .send(body)
          .expect(200);
      await patch({ role: 'job_seeker' });
      await patch({ role: 'employer', isActive: true });
      expect((await row(user.id)).token_version).toBe(0);
      await me(user.token).expect(200);
      await patch({ isActive: false });
      await patch({ isActive: false });
      expect((await row(user.id)).token_version).toBe(1);
    });

    it('cuts a demoted employer off their job’s applicants at once', async () => {
      const employer = await createUser(t, 'employer');
      const seeker = await createUser(t, 'job_seeker');
      const spa = await createSpa(t, employer);
      const job = await createJob(t, employer, spa.id);
      await applyTo(t, seeker, job.id);
      const applicants = () =>
        t.http.get(`/api/v1/jobs/${job.id}/applications`).set('Authorization', employer.auth);
      const listed = await applicants().expect(200);
      expect(JSON.stringify(listed.body)).toContain(seeker.email);

      await t.http
        .patch(`/api/v1/users/${employer.id}`)
        .set('Authorization', admin.auth)
        .send({ role: 'job_seeker' })
        .expect(200);
      const refused = await applicants().expect(403);
      expect(refused.body.code).toBe('FORBIDDEN_ROLE');
      expect(JSON.stringify(refused.body)).not.toContain(seeker.email);
    });

    it('invalidates the cached public spa and job lists when a role or activation changes', async () => {
      const employer = await createUser(t, 'employer');
      const lists = ['/api/v1/spas', '/api/v1/jobs'];
      const warm = async () => {
        for (const path of lists) {
          await t.http.get(path).expect(200);
          expect((await t.http.get(path).expect(200)).headers['x-cache']).toBe('HIT');
        }
      };
      const expectMiss = async () => {
        for (const path of lists) {
          expect((await t.http.get(path).expect(200)).headers['x-cache']).toBe('MISS');
        }
      };
      for (const change of [
        { role: 'job_seeker' },
        { role: 'employer' },
        { isActive: false },
        { isActive: true },
      ]) {
        await warm();
        await t.http
          .patch(`/api/v1/users/${employer.id}`)
          .set('Authorization', admin.auth)
          .send(change)
          .expect(200);
        await expectMiss();
      }
      // a PATCH that changes nothing leaves the cache alone
      await warm();
      await t.http
        .patch(`/api/v1/users/${employer.id}`)
        .set('Authorization', admin.auth)
        .send({ isActive: true })
        .expect(200);
      for (const path of lists) {
        expect((await t.http.get(path).expect(200)).headers['x-cache']).toBe('HIT');
      }
    });

    it('refuses to let an admin demote or deactivate themselves (409)', async () => {
      const before = await row(admin.id);
      for (const body of [
        { role: 'employer' },
        { role: 'job_seeker' },
        { isActive: false },
        { role: 'admin', isActive: false },
      ]) {
        const res = await t.http
          .patch(`/api/v1/users/${admin.id}`)
          .set('Authorization', admin.auth)
          .send(body)
          .expect(409);
        expect(res.body.code).toBe('CANNOT_CHANGE_OWN_ACCESS');
      }
      expect(await row(admin.id)).toEqual(before);
      await me(admin.token).expect(200);
    });

    it('answers 404 for an unknown user and 400 for a bad id or value', async () => {
      await t.http
        .patch('/api/v1/users/999999')
        .set('Authorization', admin.auth)
        .send({ isActive: false })
        .expect(404);
      await t.http
        .patch('/api/v1/users/abc')
        .set('Authorization', admin.auth)
        .send({ isActive: false })
        .expect(400);
      const user = await createUser(t, 'job_seeker');
      const res = await t.http
        .patch(`/api/v1/users/${user.id}`)
        .set('Authorization', admin.auth)
        .send({ role: 'root' })
        .expect(400);
      expect(res.body.message).toContain('role');
      expect((await row(user.id)).role).toBe('job_seeker');
    });
  });
});

import { randomBytes } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { createTestApp, type TestApp } from '../support/create-test-app.js';
import {
  applyTo,
  categoryId,
  createJob,
  createSpa,
  createUser,
  snapshot,
  type Role,
  type TestUser,
} from '../support/factories.js';
import { TestSmtpServer, type ReceivedMail } from '../support/smtp.js';
import { waitFor } from '../support/wait.js';
import { ALL_JOBS } from '../support/queue.js';
import { ACCOUNT_MAIL } from '../../src/accounts/account-mails.js';
import { QueueService } from '../../src/queue/queue.service.js';

/**
 * Accounts people can recover, on the embedded database and on PostgreSQL alike: the
 * verification link mailed at registration, password reset, change of e-mail, each over a
 * single-use token that reaches a real SMTP server; unknown, expired and reused tokens change
 * nothing; each flow has its own limit; unverified employers cannot publish jobs.
 */

const FAST_QUEUE = {
  QUEUE_POLL_INTERVAL_MS: '500',
  QUEUE_RETRY_DELAY_SECONDS: '1',
  QUEUE_RETRY_DELAY_MAX_SECONDS: '1',
};
const TOKEN = /token=([A-Za-z0-9_-]{43})\b/;
const HOUR_MS = 3_600_000;
const unique = () => randomBytes(5).toString('hex');

let smtp: TestSmtpServer;
let t: TestApp;

beforeAll(async () => {
  smtp = await TestSmtpServer.start();
  t = await createTestApp({ env: { ...FAST_QUEUE, MAIL_URL: smtp.url } });
});
afterAll(async () => {
  await t?.close();
  await smtp?.stop();
});

/** The mails that reached `to` (whose subject contains `subject`), waiting for `count` of them. */
async function mailsTo(to: string, subject: string, count = 1): Promise<ReceivedMail[]> {
  const found = () =>
    smtp.received.filter(
      (m) => m.to.includes(to) && (m.headers.get('subject') ?? '').includes(subject),
    );
  expect(await waitFor(() => Promise.resolve(found().length >= count), 20_000)).toBe(true);
  return found();
}

function tokenOf(mail: ReceivedMail): string {
  const token = TOKEN.exec(mail.decoded)?.[1];
  expect(token).toBeDefined();
  return token!;
}

interface TokenRow {
  id: number;
  purpose: string;
  token_hash: string;
  new_email: string | null;
  expires_at: Date;
  used_at: Date | null;
  created_at: Date;
}

function tokenRows(userId: number): Promise<TokenRow[]> {
  return t.db.query(
    `SELECT id, purpose, token_hash, new_email, expires_at, used_at, created_at
       FROM account_tokens WHERE user_id = $1 ORDER BY id`,
    [userId],
  );
}

const me = (user: { auth: string }) =>
  t.http.get('/api/v1/users/me').set('Authorization', user.auth);
const login = (email: string, password: string) =>
  t.http.post('/api/v1/auth/login').send({ email, password });

/** A freshly registered account, unverified, as a real sign-up leaves it. */
const signUp = (role: Role = 'job_seeker', name = 'New Person') =>
  createUser(t, role, name, { verified: false });

describe('e-mail verification', () => {
  it('registration mails a single-use 24 h link, stored only as a hash, that verifies the address once', async () => {
    const user = await signUp('employer', 'Vera Verify');
    expect((await me(user).expect(200)).body).toMatchObject({ emailVerified: false });

    const [mail, ...more] = await mailsTo(user.email, 'Verify your e-mail');
    const [row] = await tokenRows(user.id);
    expect(row).toMatchObject({ purpose: 'verify_email', used_at: null, new_email: null });
    expect(new Date(row.expires_at).getTime() - new Date(row.created_at).getTime()).toBe(
      24 * HOUR_MS,
    );
    expect(mail.headers.get('message-id')).toBe(`<verify-email.${row.id}@spajobs.local>`);
    expect(mail.headers.get('content-type')).toMatch(/^multipart\/alternative/);
    expect(mail.raw).toMatch(/Content-Type: text\/plain/);
    expect(mail.raw).toMatch(/Content-Type: text\/html/);
    // transactional: no unsubscribe header
    expect(mail.headers.has('list-unsubscribe')).toBe(false);
    expect(mail.decoded).toContain('Hello Vera Verify');
    expect(mail.decoded).toMatch(/http:\/\/\S+\/api\/v1\/auth\/verify-email\?token=/);

    const token = tokenOf(mail);
    // neither the table nor the queue's job holds the secret
    expect(row.token_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(row.token_hash).not.toContain(token);
    const jobs: Array<{ data: string }> = await t.db.query(
      `SELECT data::text AS data FROM ${ALL_JOBS} WHERE name = 'mail.account'`,
    );
    expect(jobs.length).toBeGreaterThan(0);
    for (const job of jobs) expect(job.data).not.toContain(token);

    // the link as clicked from the mail (GET) verifies
    const res = await t.http.get(`/api/v1/auth/verify-email?token=${token}`).expect(200);
    expect(res.body).toEqual({ email: user.email, emailVerified: true });
    expect((await me(user).expect(200)).body).toMatchObject({ emailVerified: true });
    const [used] = await tokenRows(user.id);
    expect(used.used_at).not.toBeNull();
    const [verified] = await t.db.query(`SELECT email_verified_at FROM users WHERE id = $1`, [
      user.id,
    ]);
    expect(verified.email_verified_at).not.toBeNull();

    // once: reused (POST or GET) is a 410 that changes nothing
    const before = await snapshot(t);
    const reused = await t.http.post('/api/v1/auth/verify-email').send({ token }).expect(410);
    expect(reused.body).toMatchObject({ code: 'ACCOUNT_TOKEN_USED' });
    expect(reused.body.message).toMatch(/already used/);
    await t.http.get(`/api/v1/auth/verify-email?token=${token}`).expect(410);
    expect(await snapshot(t)).toEqual(before);
    expect(await tokenRows(user.id)).toEqual([used]);
    expect(more).toEqual([]);
  });

  it('a mail job run again (a retry, a redrive) mails nothing twice', async () => {
    const user = await signUp();
    const [first] = await mailsTo(user.email, 'Verify your e-mail');
    const [job] = await t.db.query(
      `SELECT data FROM pgboss.job WHERE name = $1 AND (data->>'tokenId')::int = $2`,
      [ACCOUNT_MAIL, (await tokenRows(user.id))[0].id],
    );
    await t.db.transaction((m) => t.app.get(QueueService).send(m, ACCOUNT_MAIL, job.data));
    expect(
      await waitFor(async () => {
        const [row] = await t.db.query(
          `SELECT count(*)::int AS n FROM pgboss.job WHERE name = $1 AND state = 'completed' AND data->>'tokenId' = $2`,
          [ACCOUNT_MAIL, String(job.data.tokenId)],
        );
        return row.n === 2;
      }, 20_000),
    ).toBe(true);
    expect(smtp.withMessageId(first.headers.get('message-id')!)).toHaveLength(1);
  });

  it('an expired link is a 410 and an unknown one a 400, each changing nothing', async () => {
    const user = await signUp();
    const token = tokenOf((await mailsTo(user.email, 'Verify your e-mail'))[0]);
    // time made deterministic: the link's 24 h are over
    await t.db.query(
      `UPDATE account_tokens SET expires_at = now() - interval '1 second' WHERE user_id = $1`,
      [user.id],
    );
    const before = await snapshot(t);
    const rows = await tokenRows(user.id);

    const expired = await t.http.post('/api/v1/auth/verify-email').send({ token }).expect(410);
    expect(expired.body).toMatchObject({ code: 'ACCOUNT_TOKEN_EXPIRED' });
    expect(expired.body.message).toMatch(/expired/);

    const unknown = randomBytes(32).toString('base64url');
    const bad = await t.http.post('/api/v1/auth/verify-email').send({ token: unknown }).expect(400);
    expect(bad.body).toMatchObject({ code: 'ACCOUNT_TOKEN_INVALID' });
    expect(bad.body.message).toMatch(/token/);
    await t.http.get(`/api/v1/auth/verify-email?token=${unknown}`).expect(400);

    expect(await snapshot(t)).toEqual(before);
    expect(await tokenRows(user.id)).toEqual(rows);
    expect((await me(user).expect(200)).body.emailVerified).toBe(false);
  });

  it('a resent link replaces the earlier one (410), and a verified caller is told so (409)', async () => {
    const user = await signUp();
    const first = tokenOf((await mailsTo(user.email, 'Verify your e-mail'))[0]);
    const resent = await t.http
      .post('/api/v1/auth/verify-email/request')
      .set('Authorization', user.auth)
      .expect(202);
    expect(resent.body.message).toContain(user.email);
    const mails = await mailsTo(user.email, 'Verify your e-mail', 2);
    const second = tokenOf(mails[1]);
    expect(second).not.toBe(first);
    expect(mails[1].headers.get('message-id')).not.toBe(mails[0].headers.get('message-id'));

    const replaced = await t.http
      .post('/api/v1/auth/verify-email')
      .send({ token: first })
      .expect(410);
    expect(replaced.body.code).toBe('ACCOUNT_TOKEN_USED');
    await t.http.post('/api/v1/auth/verify-email').send({ token: second }).expect(200);

    const done = await t.http
      .post('/api/v1/auth/verify-email/request')
      .set('Authorization', user.auth)
      .expect(409);
    expect(done.body.code).toBe('EMAIL_ALREADY_VERIFIED');
    await t.http.post('/api/v1/auth/verify-email/request').expect(401);
  });

  it('a link made for another purpose is unknown here (400)', async () => {
    const user = await createUser(t);
    await t.http.post('/api/v1/auth/password-reset/request').send({ email: user.email });
    const reset = tokenOf((await mailsTo(user.email, 'Reset your password'))[0]);
    const res = await t.http.post('/api/v1/auth/verify-email').send({ token: reset }).expect(400);
    expect(res.body.code).toBe('ACCOUNT_TOKEN_INVALID');
    // and it still works for what it was made for
    await t.http
      .post('/api/v1/auth/password-reset')
      .send({ token: reset, password: `renewed ${unique()} passphrase` })
      .expect(204);
  });
});

describe('password reset', () => {
  it('answers the same, after the same floor, for an unknown address, and mails or writes nothing for it', async () => {
    const user = await createUser(t);
    const nobody = `nobody-${unique()}@example.test`;
    const ask = async (email: string) => {
      const started = Date.now();
      const res = await t.http.post('/api/v1/auth/password-reset/request').send({ email });
      return { res, ms: Date.now() - started };
    };
    const known = await ask(user.email);
    const tokensBefore = await t.db.query(`SELECT count(*)::int AS n FROM account_tokens`);
    const unknown = await ask(nobody);
    expect(unknown.res.status).toBe(202);
    expect(known.res.status).toBe(202);
    expect(unknown.res.body).toEqual(known.res.body);
    expect(unknown.ms).toBeGreaterThanOrEqual(240);
    expect(known.ms).toBeGreaterThanOrEqual(240);
    expect(await t.db.query(`SELECT count(*)::int AS n FROM account_tokens`)).toEqual(tokensBefore);
    // the known address gets its mail; by then the unknown one would have had its own
    await mailsTo(user.email, 'Reset your password');
    await new Promise((r) => setTimeout(r, 1500));
    expect(smtp.received.filter((m) => m.to.includes(nobody))).toEqual([]);
    const queued: Array<{ data: string }> = await t.db.query(
      `SELECT data::text AS data FROM ${ALL_JOBS} WHERE name = 'mail.account'`,
    );
    for (const job of queued) expect(job.data).not.toContain(nobody);
  });

  it('a 1 h single-use link sets the password; the earlier links, every session and the old password end', async () => {
    const user = await createUser(t, 'job_seeker', 'Rita Reset');
    const other = (await login(user.email, user.password).expect(200)).body.accessToken as string;

    await t.http
      .post('/api/v1/auth/password-reset/request')
      .send({ email: user.email.toUpperCase() })
      .expect(202);
    // (a link replaced before its mail goes out is not mailed: wait for the first)
    await mailsTo(user.email, 'Reset your password');
    await t.http
      .post('/api/v1/auth/password-reset/request')
      .send({ email: user.email })
      .expect(202);
    const mails = await mailsTo(user.email, 'Reset your password', 2);
    const [first, second] = mails.map(tokenOf);
    expect(mails[1].decoded).toContain(`${t.config.publicUrl}/reset-password?token=${second}`);
    expect(mails[1].headers.has('list-unsubscribe')).toBe(false);
    const rows = (await tokenRows(user.id)).filter((r) => r.purpose === 'password_reset');
    expect(rows).toHaveLength(2);
    for (const row of rows) {
      expect(new Date(row.expires_at).getTime() - new Date(row.created_at).getTime()).toBe(HOUR_MS);
    }
    // the newer link revoked the earlier one
    expect(rows[0].used_at).not.toBeNull();
    expect(rows[1].used_at).toBeNull();

    const newPassword = `brand new ${unique()} passphrase`;
    const revoked = await t.http
      .post('/api/v1/auth/password-reset')
      .send({ token: first, password: newPassword })
      .expect(410);
    expect(revoked.body.code).toBe('ACCOUNT_TOKEN_USED');

    // registration's password rules; a refused password leaves the link usable
    const before = await snapshot(t);
    const weak = await t.http
      .post('/api/v1/auth/password-reset')
      .send({ token: second, password: 'password123' })
      .expect(400);
    expect(weak.body.code).toBe('WEAK_PASSWORD');
    const short = await t.http
      .post('/api/v1/auth/password-reset')
      .send({ token: second, password: 'short' })
      .expect(400);
    expect(short.body.code).toBe('VALIDATION_FAILED');
    expect(await snapshot(t)).toEqual(before);
    expect((await tokenRows(user.id)).at(-1)!.used_at).toBeNull();

    await t.http
      .post('/api/v1/auth/password-reset')
      .send({ token: second, password: newPassword })
      .expect(204);

    // every session ends, the old password stops working, the new one works
    expect((await me(user).expect(401)).body.code).toBe('TOKEN_REVOKED');
    await t.http.get('/api/v1/users/me').set('Authorization', `Bearer ${other}`).expect(401);
    expect((await login(user.email, user.password).expect(401)).body.code).toBe(
      'INVALID_CREDENTIALS',
    );
    await login(user.email, newPassword).expect(200);

    // once only
    const again = await t.http
      .post('/api/v1/auth/password-reset')
      .send({ token: second, password: `another ${unique()} passphrase` })
      .expect(410);
    expect(again.body.code).toBe('ACCOUNT_TOKEN_USED');
    await login(user.email, newPassword).expect(200);
    expect(
      (await tokenRows(user.id)).filter((r) => r.purpose === 'password_reset' && !r.used_at),
    ).toEqual([]);
  });

  it('a link older than 1 h is a 410 and the password stays', async () => {
    const user = await createUser(t);
    await t.http
      .post('/api/v1/auth/password-reset/request')
      .send({ email: user.email })
      .expect(202);
    const token = tokenOf((await mailsTo(user.email, 'Reset your password'))[0]);
    await t.db.query(
      `UPDATE account_tokens SET expires_at = now() - interval '1 second' WHERE user_id = $1`,
      [user.id],
    );
    const before = await snapshot(t);
    const res = await t.http
      .post('/api/v1/auth/password-reset')
      .send({ token, password: `expired ${unique()} passphrase` })
      .expect(410);
    expect(res.body.code).toBe('ACCOUNT_TOKEN_EXPIRED');
    expect(await snapshot(t)).toEqual(before);
    await me(user).expect(200);
    await login(user.email, user.password).expect(200);
  });

  it('an unknown token is a 400', async () => {
    const res = await t.http
      .post('/api/v1/auth/password-reset')
      .send({ token: randomBytes(32).toString('base64url'), password: `x ${unique()} passphrase` })
      .expect(400);
    expect(res.body.code).toBe('ACCOUNT_TOKEN_INVALID');
  });
});

describe('change of e-mail', () => {
  it('needs the current password, changes nothing until the new address confirms, and tells the old one', async () => {
    const user = await createUser(t, 'employer', 'Carl Change');
    const newEmail = `moved-${unique()}@example.test`;
    const ask = (body: object) =>
      t.http.post('/api/v1/users/me/email').set('Authorization', user.auth).send(body);

    const before = await snapshot(t);
    const wrong = await ask({ email: newEmail, currentPassword: 'not my password' }).expect(400);
    expect(wrong.body.code).toBe('INVALID_CURRENT_PASSWORD');
    const same = await ask({ email: user.email, currentPassword: user.password }).expect(400);
    expect(same.body.code).toBe('EMAIL_UNCHANGED');
    expect(await snapshot(t)).toEqual(before);
    const openTokens = async () =>
      (await tokenRows(user.id)).filter((r) => r.purpose !== 'verify_email');
    expect(await openTokens()).toEqual([]);

    // a reset link mailed to the old address earlier
    await t.http
      .post('/api/v1/auth/password-reset/request')
      .send({ email: user.email })
      .expect(202);
    const reset = tokenOf((await mailsTo(user.email, 'Reset your password'))[0]);

    const asked = await ask({ email: newEmail.toUpperCase(), currentPassword: user.password });
    expect(asked.status).toBe(202);
    expect(asked.body.message).toContain(newEmail);

    const [link] = await mailsTo(newEmail, 'Confirm your new e-mail');
    const [notice] = await mailsTo(user.email, 'change of your e-mail');
    expect(notice.decoded).toContain(newEmail);
    expect(notice.decoded).not.toMatch(TOKEN);
    expect(link.headers.has('list-unsubscribe')).toBe(false);
    expect(notice.headers.has('list-unsubscribe')).toBe(false);
    const [row] = (await openTokens()).filter((r) => r.purpose === 'change_email');
    expect(row).toMatchObject({ new_email: newEmail, used_at: null });
    expect(link.headers.get('message-id')).toBe(`<change-email.${row.id}@spajobs.local>`);
    expect(notice.headers.get('message-id')).toBe(`<email-change-notice.${row.id}@spajobs.local>`);

    // not effective yet
    expect((await me(user).expect(200)).body.email).toBe(user.email);
    await login(newEmail, user.password).expect(401);
    await login(user.email, user.password).expect(200);

    const done = await t.http.get(`/api/v1/auth/verify-email?token=${tokenOf(link)}`).expect(200);
    expect(done.body).toEqual({ email: newEmail, emailVerified: true });
    expect((await me(user).expect(200)).body).toMatchObject({
      email: newEmail,
      emailVerified: true,
    });
    await login(newEmail, user.password).expect(200);
    await login(user.email, user.password).expect(401);
    // the links mailed to the old address stop working
    const stale = await t.http
      .post('/api/v1/auth/password-reset')
      .send({ token: reset, password: `stolen ${unique()} passphrase` })
      .expect(410);
    expect(stale.body.code).toBe('ACCOUNT_TOKEN_USED');
  });

  it('an address taken meanwhile is a 409 when the link is used, and nothing changes', async () => {
    const user = await createUser(t);
    const wanted = `wanted-${unique()}@example.test`;
    await t.http
      .post('/api/v1/users/me/email')
      .set('Authorization', user.auth)
      .send({ email: wanted, currentPassword: user.password })
      .expect(202);
    const token = tokenOf((await mailsTo(wanted, 'Confirm your new e-mail'))[0]);
    await t.http
      .post('/api/v1/auth/register')
      .send({ email: wanted, password: `taken ${unique()} passphrase`, fullName: 'Quick Taker' })
      .expect(201);

    const before = await snapshot(t);
    const rows = await tokenRows(user.id);
    const res = await t.http.post('/api/v1/auth/verify-email').send({ token }).expect(409);
    expect(res.body.code).toBe('EMAIL_TAKEN');
    expect(await snapshot(t)).toEqual(before);
    expect(await tokenRows(user.id)).toEqual(rows);
    expect((await me(user).expect(200)).body.email).toBe(user.email);

    // asking for a taken address is refused at once
    const taken = await t.http
      .post('/api/v1/users/me/email')
      .set('Authorization', user.auth)
      .send({ email: wanted, currentPassword: user.password })
      .expect(409);
    expect(taken.body.code).toBe('EMAIL_TAKEN');
  });

  it('PATCH /users/me does not take an e-mail (the contract keeps it out)', async () => {
    const user = await createUser(t);
    const before = await snapshot(t);
    const res = await t.http
      .patch('/api/v1/users/me')
      .set('Authorization', user.auth)
      .send({ email: `patched-${unique()}@example.test` })
      .expect(400);
    expect(res.body.message).toContain('email');
    expect(await snapshot(t)).toEqual(before);
  });
});

describe('employers verify before they publish', () => {
  const jobBody = async (spaId: number) => ({
    spaId,
    categoryId: await categoryId(t),
    title: 'Unverified Massage Therapist',
    description: 'A job that must wait until its employer verifies the address.',
  });

  it('an unverified employer gets 403 EMAIL_NOT_VERIFIED on POST /jobs and nothing is written; verified, it posts', async () => {
    const employer = await signUp('employer', 'Una Unverified');
    // the spa itself is not published by this gate: only jobs are
    const spa = await createSpa(t, employer);
    const before = await snapshot(t);
    const res = await t.http
      .post('/api/v1/jobs')
      .set('Authorization', employer.auth)
      .send(await jobBody(spa.id))
      .expect(403);
    expect(res.body.code).toBe('EMAIL_NOT_VERIFIED');
    expect(res.body.message).toMatch(/verify/i);
    expect(await snapshot(t)).toEqual(before);

    const token = tokenOf((await mailsTo(employer.email, 'Verify your e-mail'))[0]);
    await t.http.post('/api/v1/auth/verify-email').send({ token }).expect(200);
    await createJob(t, employer, spa.id);
  });

  it('admins are exempt, and unverified job seekers browse and apply', async () => {
    const owner = await createUser(t, 'employer');
    const spa = await createSpa(t, owner);
    const admin = await createUser(t, 'admin', 'Unverified Admin', { verified: false });
    const posted = await t.http
      .post('/api/v1/jobs')
      .set('Authorization', admin.auth)
      .send(await jobBody(spa.id))
      .expect(201);
    const seeker: TestUser = await signUp('job_seeker');
    await t.http
      .get(`/api/v1/jobs/${posted.body.id}`)
      .set('Authorization', seeker.auth)
      .expect(200);
    await applyTo(t, seeker, posted.body.id);
  });
});

describe('rate limits of the account flows', () => {
  let limited: TestApp;

  beforeAll(async () => {
    limited = await createTestApp({
      env: {
        RATE_LIMIT_ENABLED: 'true',
        RATE_LIMIT_PER_MINUTE: '100000',
        RATE_LIMIT_PER_HOUR: '1000000',
      },
    });
  });
  afterAll(() => limited?.close());

  const expect429 = (res: { status: number; body: { code: string }; headers: object }) => {
    expect(res.status).toBe(429);
    expect(res.body.code).toBe('RATE_LIMITED');
    expect(Number((res.headers as Record<string, string>)['retry-after'])).toBeGreaterThan(0);
  };

  it('password reset requests: 3 per address, 10 per client address, per hour', async () => {
    const ask = (email: string) =>
      limited.http.post('/api/v1/auth/password-reset/request').send({ email });
    const email = `limited-${unique()}@example.test`;
    for (let i = 0; i < 3; i++) await ask(email).expect(202);
    const res = await ask(email.toUpperCase());
    expect429(res);
    expect(res.body).toMatchObject({ message: expect.stringContaining('e-mail address') });
    // another address still has its own budget, until the client's is used up (10)
    for (let i = 0; i < 6; i++) await ask(`other-${i}-${unique()}@example.test`).expect(202);
    expect429(await ask(`fresh-${unique()}@example.test`));
  });

  it('resending verification and asking for a change of e-mail: 3 per account and hour', async () => {
    const user = await createUser(limited, 'job_seeker', 'Limited User', { verified: false });
    for (let i = 0; i < 3; i++) {
      await limited.http
        .post('/api/v1/auth/verify-email/request')
        .set('Authorization', user.auth)
        .expect(202);
    }
    expect429(
      await limited.http.post('/api/v1/auth/verify-email/request').set('Authorization', user.auth),
    );
    const change = () =>
      limited.http
        .post('/api/v1/users/me/email')
        .set('Authorization', user.auth)
        .send({ email: `change-${unique()}@example.test`, currentPassword: user.password });
    for (let i = 0; i < 3; i++) await change().expect(202);
    expect429(await change());
  });

  it('using tokens: 10 resets and 20 verifications per client address and hour', async () => {
    const reset = () =>
      limited.http
        .post('/api/v1/auth/password-reset')
        .send({ token: randomBytes(32).toString('base64url'), password: `p ${unique()} phrase` });
    for (let i = 0; i < 10; i++) await reset().expect(400);
    expect429(await reset());
    const verify = () =>
      limited.http
        .get('/api/v1/auth/verify-email')
        .query({ token: randomBytes(32).toString('base64url') });
    for (let i = 0; i < 20; i++) await verify().expect(400);
    expect429(await verify());
  });
});

describe('demo data', () => {
  it("the demo's accounts are verified and its applications' notices land in the outbox", async () => {
    const demo = await createTestApp({ env: { ...FAST_QUEUE, SEED_DEMO_DATA: 'true' } });
    try {
      const [users] = await demo.db.query(
        `SELECT count(*)::int AS n, count(email_verified_at)::int AS verified FROM users`,
      );
      expect(users.n).toBeGreaterThan(0);
      expect(users.verified).toBe(users.n);
      const [apps] = await demo.db.query(`SELECT count(*)::int AS n FROM applications`);
      expect(apps.n).toBeGreaterThan(0);
      const dir = demo.config.mail.outboxDir;
      const notices = async () =>
        (await readdir(dir).catch(() => [] as string[])).filter((f) =>
          /^application-received\.\d+_spajobs\.local\.eml$/.test(f),
        );
      expect(await waitFor(async () => (await notices()).length === apps.n, 30_000)).toBe(true);
    } finally {
      await demo.close();
    }
  });
});

import { randomBytes } from 'node:crypto';
import { createTestApp, type TestApp } from '../support/create-test-app.js';
import { city, createJob, createSpa, createUser, type TestUser } from '../support/factories.js';
import { TestSmtpServer, type ReceivedMail } from '../support/smtp.js';
import { waitFor } from '../support/wait.js';
import { ALL_JOBS } from '../support/queue.js';
import { signLinkToken } from '../../src/mail/signed-link.js';
import { DIGEST_MAIL, INSTANT_ALERT } from '../../src/saved-searches/alert-queues.js';
import { AlertScanService } from '../../src/saved-searches/alert-scan.service.js';

/**
 * Saved searches and their alerts, on the embedded database and on PostgreSQL alike: CRUD for
 * the owner only, a bounded number each, the filters of GET /jobs validated as there; an instant
 * alert for a matching job and none for others, exactly once per (search, job) however many
 * scans run, on one instance or two; a daily digest of several jobs in one mail; and the
 * no-login unsubscribe link, which a forged token cannot use. Tests run the scan themselves.
 */

const FAST_QUEUE = {
  QUEUE_POLL_INTERVAL_MS: '500',
  QUEUE_RETRY_DELAY_SECONDS: '1',
  QUEUE_RETRY_DELAY_MAX_SECONDS: '1',
  QUEUE_BATCH_SIZE: '20',
};
const MAX = 3;
/** Filters no job matches: searches of the CRUD tests stay out of the alert tests' mail. */
const NOTHING = { spaId: 2_147_483_000 };

let smtp: TestSmtpServer;
let t: TestApp;
let employer: TestUser;

const api = (path: string) => `/api/v1${path}`;
const word = () => `w${randomBytes(4).toString('hex')}`;
const alertId = (searchId: number, jobId: number) =>
  `<saved-search-alert.${searchId}.${jobId}@spajobs.local>`;
/** The alert and digest mails `user` received (registration mails aside). */
const mailsTo = (user: TestUser): ReceivedMail[] =>
  smtp.received.filter(
    (m) => m.to.includes(user.email) && m.headers.get('message-id')?.startsWith('<saved-search-'),
  );
/** A header's text, its RFC 2047 encoded words (`=?UTF-8?Q?…?=`, `=?UTF-8?B?…?=`) decoded. */
const headerText = (mail: ReceivedMail, name: string): string =>
  (mail.headers.get(name) ?? '')
    .replace(/\?=\s+=\?/g, '?==?')
    .replace(/=\?UTF-8\?([QB])\?([^?]*)\?=/gi, (_, enc: string, text: string) =>
      enc.toUpperCase() === 'B'
        ? Buffer.from(text, 'base64').toString('utf8')
        : Buffer.from(
            text
              .replace(/_/g, ' ')
              .replace(/=([0-9A-F]{2})/gi, (_m, hex: string) =>
                String.fromCharCode(parseInt(hex, 16)),
              ),
            'latin1',
          ).toString('utf8'),
    );
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A job seeker whose address is verified: alerts go to verified addresses only. */
async function seeker(name = 'Sam Seeker'): Promise<TestUser> {
  const user = await createUser(t, 'job_seeker', name);
  await t.db.query(`UPDATE users SET email_verified_at = now() WHERE id = $1`, [user.id]);
  return user;
}

async function save(
  user: TestUser,
  body: Record<string, unknown>,
  status = 201,
): Promise<{ id: number; [k: string]: unknown }> {
  const res = await t.http
    .post(api('/saved-searches'))
    .set('Authorization', user.auth)
    .send({ name: 'My search', ...body });
  expect(res.status, res.text).toBe(status);
  return res.body;
}

async function rowOf(id: number): Promise<Record<string, unknown> | undefined> {
  const [row] = await t.db.query(
    `SELECT user_id, name, filters, frequency FROM saved_searches WHERE id = $1`,
    [id],
  );
  return row;
}

/** What the minute's cron runs, called here directly (no waiting for the schedule). */
function scan(app = t) {
  return app.app.get(AlertScanService).scan();
}

/** What the daily cron runs. */
function digest() {
  return t.app.get(AlertScanService).digest();
}

/** Waits until the queue has no alert mail left to send, then a little more. */
async function settled(app = t): Promise<void> {
  const idle = await waitFor(async () => {
    const [{ n }] = await app.db.query(
      `SELECT count(*)::int AS n FROM ${ALL_JOBS}
        WHERE name = ANY($1) AND state IN ('outbox', 'created', 'retry', 'active')`,
      [[INSTANT_ALERT, DIGEST_MAIL]],
    );
    return n === 0;
  }, 30_000);
  expect(idle).toBe(true);
  await pause(1000);
}

beforeAll(async () => {
  smtp = await TestSmtpServer.start();
  t = await createTestApp({
    env: { ...FAST_QUEUE, MAIL_URL: smtp.url, MAX_SAVED_SEARCHES: String(MAX) },
  });
  employer = await createUser(t, 'employer', 'Olivia Owner');
});
afterAll(async () => {
  await t?.close();
  await smtp?.stop();
});

describe('saved searches: CRUD', () => {
  it('creates, lists (keyset pages), reads, updates and deletes the caller’s own searches', async () => {
    const me = await seeker();
    const created = await save(me, {
      name: '  Massage in town ',
      filters: { cityId: 1, q: ' massage ', featured: false, salaryMin: 40000 },
      frequency: 'daily',
    });
    expect(created).toEqual({
      id: expect.any(Number),
      name: 'Massage in town',
      filters: { cityId: 1, q: 'massage', featured: false, salaryMin: 40000 },
      frequency: 'daily',
      lastDigestAt: null,
      createdAt: expect.any(String),
      updatedAt: expect.any(String),
    });
    expect(await rowOf(created.id)).toEqual({
      user_id: me.id,
      name: 'Massage in town',
      filters: { cityId: 1, q: 'massage', featured: false, salaryMin: 40000 },
      frequency: 'daily',
    });
    const second = await save(me, { filters: NOTHING });
    expect(second.frequency).toBe('instant');

    const page1 = await t.http
      .get(api('/saved-searches?limit=1'))
      .set('Authorization', me.auth)
      .expect(200);
    expect(page1.headers['cache-control']).toContain('no-store');
    expect(page1.body.data.map((s: { id: number }) => s.id)).toEqual([second.id]);
    const page2 = await t.http
      .get(api(`/saved-searches?limit=1&cursor=${page1.body.nextCursor}`))
      .set('Authorization', me.auth)
      .expect(200);
    expect(page2.body).toEqual({
      data: [expect.objectContaining({ id: created.id })],
      nextCursor: null,
    });

    const one = await t.http
      .get(api(`/saved-searches/${created.id}`))
      .set('Authorization', me.auth)
      .expect(200);
    expect(one.body).toEqual(created);

    const patched = await t.http
      .patch(api(`/saved-searches/${created.id}`))
      .set('Authorization', me.auth)
      .send({ name: 'Spa jobs', filters: { stateId: 2 }, frequency: 'instant' })
      .expect(200);
    expect(patched.body).toMatchObject({
      name: 'Spa jobs',
      filters: { stateId: 2 },
      frequency: 'instant',
    });
    expect(await rowOf(created.id)).toMatchObject({
      filters: { stateId: 2 },
      frequency: 'instant',
    });

    await t.http
      .delete(api(`/saved-searches/${created.id}`))
      .set('Authorization', me.auth)
      .expect(204);
    expect(await rowOf(created.id)).toBeUndefined();
    const gone = await t.http
      .get(api(`/saved-searches/${created.id}`))
      .set('Authorization', me.auth)
      .expect(404);
    expect(gone.body.code).toBe('SAVED_SEARCH_NOT_FOUND');
  });

  it('hides a search from everyone but its owner (404), refuses employers and admins (403), by the current role', async () => {
    const owner = await seeker();
    const other = await seeker();
    const search = await save(owner, { filters: { cityId: 3 } });
    const before = await rowOf(search.id);

    for (const [method, body] of [
      ['get', undefined],
      ['patch', { name: 'Stolen' }],
      ['delete', undefined],
    ] as const) {
      const res = await t.http[method](api(`/saved-searches/${search.id}`))
        .set('Authorization', other.auth)
        .send(body);
      expect(res.status, method).toBe(404);
      expect(res.body.code).toBe('SAVED_SEARCH_NOT_FOUND');
    }
    const list = await t.http.get(api('/saved-searches')).set('Authorization', other.auth);
    expect(list.body).toEqual({ data: [], nextCursor: null });

    const admin = await createUser(t, 'admin');
    for (const user of [employer, admin]) {
      const res = await t.http
        .get(api(`/saved-searches/${search.id}`))
        .set('Authorization', user.auth);
      expect(res.status).toBe(403);
      expect(res.body.code).toBe('FORBIDDEN_ROLE');
      await t.http
        .post(api('/saved-searches'))
        .set('Authorization', user.auth)
        .send({ name: 'x', filters: {} })
        .expect(403);
    }
    await t.http.get(api('/saved-searches')).expect(401);

    // demoted to employer: the very next request is refused, though the token is the same
    await t.db.query(`UPDATE users SET role = 'employer' WHERE id = $1`, [owner.id]);
    const demoted = await t.http
      .patch(api(`/saved-searches/${search.id}`))
      .set('Authorization', owner.auth)
      .send({ name: 'Mine still?' });
    expect(demoted.status).toBe(403);
    expect(await rowOf(search.id)).toEqual(before);
  });

  it(`keeps at most MAX_SAVED_SEARCHES (${MAX}) each, also against concurrent creates`, async () => {
    const me = await seeker();
    const results = await Promise.all(
      Array.from({ length: MAX + 3 }, (_, i) =>
        t.http
          .post(api('/saved-searches'))
          .set('Authorization', me.auth)
          .send({ name: `Search ${i}`, filters: NOTHING }),
      ),
    );
    expect(results.filter((r) => r.status === 201)).toHaveLength(MAX);
    const refused = results.filter((r) => r.status !== 201);
    expect(refused.map((r) => [r.status, r.body.code])).toEqual(
      refused.map(() => [409, 'TOO_MANY_SAVED_SEARCHES']),
    );
    const [{ n }] = await t.db.query(
      `SELECT count(*)::int AS n FROM saved_searches WHERE user_id = $1`,
      [me.id],
    );
    expect(n).toBe(MAX);
    // deleting one makes room for one
    await t.http
      .delete(api(`/saved-searches/${results.find((r) => r.status === 201)!.body.id}`))
      .set('Authorization', me.auth)
      .expect(204);
    await save(me, { filters: NOTHING });
    await save(me, { filters: NOTHING }, 409);
  });

  it.each([
    ['filters.cityId text', { filters: { cityId: 'abc' } }, 'cityId'],
    ['filters.stateId 0', { filters: { stateId: 0 } }, 'stateId'],
    ['filters.employmentType unknown', { filters: { employmentType: 'gig' } }, 'employmentType'],
    ['filters.salaryMin negative', { filters: { salaryMin: -1 } }, 'salaryMin'],
    ['filters.q over-long', { filters: { q: 'x'.repeat(201) } }, 'q'],
    ['filters.sort (not a filter)', { filters: { sort: 'popular' } }, 'sort'],
    ['filters.limit (not a filter)', { filters: { limit: 5 } }, 'limit'],
    ['filters.unknown', { filters: { ownerId: 1 } }, 'ownerId'],
    ['filters a string', { filters: 'cityId=1' }, 'filters'],
    ['filters missing', { filters: undefined }, 'filters'],
    ['frequency weekly', { filters: {}, frequency: 'weekly' }, 'frequency'],
    ['name empty', { filters: {}, name: '' }, 'name'],
    ['name over-long', { filters: {}, name: 'n'.repeat(101) }, 'name'],
  ])('refuses %s (400, nothing saved)', async (_what, body, field) => {
    const me = await seeker();
    const res = await t.http
      .post(api('/saved-searches'))
      .set('Authorization', me.auth)
      .send({ name: 'Valid name', ...body });
    expect(res.status, res.text).toBe(400);
    expect(res.body.code).toBe('VALIDATION_FAILED');
    expect(res.body.message).toContain(field);
    const [{ n }] = await t.db.query(
      `SELECT count(*)::int AS n FROM saved_searches WHERE user_id = $1`,
      [me.id],
    );
    expect(n).toBe(0);
  });
});

describe('saved searches: alerts', () => {
  it('mails an instant alert for a matching job, and none for jobs that do not match', async () => {
    const topic = word();
    const here = await city(t, 5);
    const elsewhere = await city(t, 6);
    const spa = await createSpa(t, employer, { cityId: here.cityId });
    const away = await createSpa(t, employer, { cityId: elsewhere.cityId });
    const me = await seeker('Ana Alert');
    const unverified = await createUser(t, 'job_seeker', 'Ulla Unverified', { verified: false });
    const search = await save(me, { name: 'Near me', filters: { cityId: here.cityId, q: topic } });
    const quiet = await save(unverified, { filters: { cityId: here.cityId, q: topic } });

    const match = await createJob(t, employer, spa.id, { title: `Massage Therapist ${topic}` });
    const wrongCity = await createJob(t, employer, away.id, { title: `Therapist ${topic}` });
    const wrongWords = await createJob(t, employer, spa.id, { title: 'Nail Technician' });
    await scan();

    const id = alertId(search.id, match.id);
    expect(await waitFor(() => Promise.resolve(smtp.withMessageId(id).length > 0), 20_000)).toBe(
      true,
    );
    await settled();
    expect(mailsTo(me)).toHaveLength(1);
    const [mail] = mailsTo(me);
    expect(mail.headers.get('message-id')).toBe(id);
    expect(headerText(mail, 'subject')).toBe(`New job for "Near me": Massage Therapist ${topic}`);
    expect(mail.headers.get('content-type')).toMatch(/^multipart\/alternative/);
    expect(mail.raw).toMatch(/Content-Type: text\/plain/);
    expect(mail.raw).toMatch(/Content-Type: text\/html/);
    expect(mail.decoded).toContain(String(spa.name));
    expect(mail.decoded).toContain(here.cityName);
    expect(mail.decoded).toContain(`/api/v1/jobs/${match.slug}`);
    expect(mail.headers.get('list-unsubscribe')).toMatch(
      new RegExp(`^<http://\\S+/api/v1/saved-searches/${search.id}/unsubscribe\\?token=`),
    );
    expect(mail.headers.get('list-unsubscribe-post')).toBe('List-Unsubscribe=One-Click');
    expect(mail.decoded).not.toContain(employer.email);
    expect(mailsTo(unverified)).toEqual([]);
    expect(smtp.withMessageId(alertId(search.id, wrongCity.id))).toEqual([]);
    expect(smtp.withMessageId(alertId(search.id, wrongWords.id))).toEqual([]);
    expect(smtp.withMessageId(alertId(quiet.id, match.id))).toEqual([]);
    const alerts = await t.db.query(
      `SELECT job_id, delivery FROM saved_search_alerts WHERE search_id = $1`,
      [search.id],
    );
    expect(alerts).toEqual([{ job_id: match.id, delivery: 'instant' }]);
    const sent = await t.db.query(`SELECT kind FROM sent_notices WHERE notice_key = $1`, [
      `saved-search-alert:${search.id}.${match.id}`,
    ]);
    expect(sent).toEqual([{ kind: 'saved-search-alert' }]);

    // a job seen once is never alerted again, to a search saved later either
    const later = await save(me, { filters: { cityId: here.cityId, q: topic } });
    expect(await scan()).toEqual({ jobs: 0, alerts: 0 });
    await settled();
    expect(smtp.withMessageId(alertId(later.id, match.id))).toEqual([]);
  });

  it('delivers exactly one mail per (search, job) when scans run twice and concurrently on two instances', async () => {
    const twin = await createTestApp({ shareWith: t });
    try {
      const spa = await createSpa(t, employer);
      const seekers = [await seeker(), await seeker(), await seeker()];
      const searches = await Promise.all(
        seekers.map((s) => save(s, { filters: { spaId: spa.id } })),
      );
      const jobs: { id: number }[] = [];
      for (let i = 0; i < 4; i++) jobs.push(await createJob(t, employer, spa.id));

      await Promise.all([scan(t), scan(twin), scan(t), scan(twin)]);
      expect(await scan(twin)).toEqual({ jobs: 0, alerts: 0 });
      const ids = searches.flatMap((s) => jobs.map((j) => alertId(s.id, j.id)));
      const arrived = await waitFor(
        () => Promise.resolve(ids.every((id) => smtp.withMessageId(id).length > 0)),
        30_000,
      );
      expect(arrived).toBe(true);
      await settled();
      await settled(twin);
      expect(ids.map((id) => smtp.withMessageId(id).length)).toEqual(ids.map(() => 1));
      const [{ n }] = await t.db.query(
        `SELECT count(*)::int AS n FROM saved_search_alerts WHERE search_id = ANY($1)`,
        [searches.map((s) => s.id)],
      );
      expect(n).toBe(12);
    } finally {
      await twin.close();
    }
  });

  it('gathers a daily search’s new matches in one digest mail, once', async () => {
    const spa = await createSpa(t, employer);
    const me = await seeker('Dana Daily');
    const search = await save(me, { filters: { spaId: spa.id }, frequency: 'daily' });
    const titles = [`Esthetician ${word()}`, `Spa Manager ${word()}`, `Receptionist ${word()}`];
    const jobs: { id: number; slug: string }[] = [];
    for (const title of titles) jobs.push(await createJob(t, employer, spa.id, { title }));
    const closed = await createJob(t, employer, spa.id, { title: `Closed ${word()}` });

    await scan();
    await settled();
    expect(mailsTo(me)).toEqual([]); // daily: nothing until the digest
    const waiting = await t.db.query(
      `SELECT count(*)::int AS n FROM saved_search_alerts
        WHERE search_id = $1 AND delivery = 'daily' AND digest_id IS NULL`,
      [search.id],
    );
    expect(waiting).toEqual([{ n: 4 }]);
    // closed before the digest: it is not listed
    await t.http
      .delete(api(`/jobs/${closed.id}`))
      .set('Authorization', employer.auth)
      .expect(204);

    expect(await digest()).toBe(1);
    expect(await waitFor(() => Promise.resolve(mailsTo(me).length > 0), 20_000)).toBe(true);
    expect(await digest()).toBe(0);
    await settled();
    expect(mailsTo(me)).toHaveLength(1);
    const [mail] = mailsTo(me);
    expect(headerText(mail, 'subject')).toBe('3 new jobs for "My search"');
    for (const [i, title] of titles.entries()) {
      expect(mail.decoded).toContain(title);
      expect(mail.decoded).toContain(`/api/v1/jobs/${jobs[i].slug}`);
    }
    expect(mail.decoded).not.toContain(String(closed.title));
    expect(mail.headers.get('message-id')).toMatch(/^<saved-search-digest\.\d+@spajobs\.local>$/);
    expect(mail.headers.get('list-unsubscribe')).toContain(
      `/saved-searches/${search.id}/unsubscribe`,
    );
    const [row] = await t.db.query(`SELECT last_digest_at FROM saved_searches WHERE id = $1`, [
      search.id,
    ]);
    expect(row.last_digest_at).toBeInstanceOf(Date);
  });

  it('unsubscribes with the link of the mail, without a login (GET and one-click POST); a forged or foreign token changes nothing', async () => {
    const spa = await createSpa(t, employer);
    const me = await seeker('Una Unsub');
    const first = await save(me, { filters: { spaId: spa.id } });
    const second = await save(me, { filters: { spaId: spa.id } });
    const job = await createJob(t, employer, spa.id);
    await scan();
    expect(await waitFor(() => Promise.resolve(mailsTo(me).length === 2), 20_000)).toBe(true);
    const linkOf = (searchId: number) => {
      const mail = smtp.withMessageId(alertId(searchId, job.id))[0];
      const url = /Stop the alerts of this search: (\S+)/.exec(mail.decoded)![1];
      return new URL(url);
    };
    const one = linkOf(first.id);
    const token = one.searchParams.get('token')!;
    const [body, mac] = token.split('.');

    const refused = async (path: string, code: string) => {
      const before = await rowOf(first.id);
      const res = await t.http.post(path);
      expect(res.status, path).toBe(400);
      expect(res.body.code).toBe(code);
      expect(await rowOf(first.id)).toEqual(before);
    };
    const base = api(`/saved-searches/${first.id}/unsubscribe`);
    await refused(`${base}?token=${body}.${'A'.repeat(mac.length)}`, 'UNSUBSCRIBE_TOKEN_INVALID');
    const edited = Buffer.from(JSON.stringify({ s: first.id, u: me.id + 1 })).toString('base64url');
    await refused(`${base}?token=${edited}.${mac}`, 'UNSUBSCRIBE_TOKEN_INVALID');
    // signed by this server, but for another search, or for another kind of link
    await refused(
      `${base}?token=${linkOf(second.id).searchParams.get('token')}`,
      'UNSUBSCRIBE_TOKEN_INVALID',
    );
    const otherPurpose = signLinkToken(t.config.auth.secretKey, 'notifications', {
      s: first.id,
      u: me.id,
    });
    await refused(`${base}?token=${otherPurpose}`, 'UNSUBSCRIBE_TOKEN_INVALID');
    await refused(base, 'VALIDATION_FAILED');

    // RFC 8058: the mail provider posts the form body, with no cookie and no token header
    const res = await t.http
      .post(`${one.pathname}${one.search}`)
      .type('form')
      .send('List-Unsubscribe=One-Click')
      .expect(200);
    expect(res.body).toEqual({ id: first.id, frequency: 'off' });
    expect(await rowOf(first.id)).toMatchObject({ frequency: 'off' });
    const two = linkOf(second.id);
    await t.http.get(`${two.pathname}${two.search}`).expect(200);
    expect(await rowOf(second.id)).toMatchObject({ frequency: 'off' });

    // no more alerts from either
    await createJob(t, employer, spa.id);
    await scan();
    await settled();
    expect(mailsTo(me)).toHaveLength(2);
  });
});

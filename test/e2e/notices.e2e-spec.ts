import { createHmac } from 'node:crypto';
import { randomUUID } from 'node:crypto';
import { signLinkToken } from '../../src/mail/signed-link.js';
import { APPLICATION_RECEIVED } from '../../src/notices/application-received.notice.js';
import {
  APPLICATION_STATUS_CHANGED,
  APPLICATION_WITHDRAWN,
} from '../../src/notices/application-status.notice.js';
import { ApplicationsDigestNotice } from '../../src/notices/applications-digest.notice.js';
import { JobExpiringNotice } from '../../src/notices/job-expiring.notice.js';
import { createTestApp, type TestApp } from '../support/create-test-app.js';
import { applyTo, createJob, createSpa, createUser, type TestUser } from '../support/factories.js';
import { TestSmtpServer, type ReceivedMail } from '../support/smtp.js';
import { waitFor } from '../support/wait.js';
import { ALL_JOBS } from '../support/queue.js';

/**
 * The notices of issue 10 item 4, delivered to a real SMTP server: the applicant hears of each
 * status change and of their withdrawal, the owner of each application or in a daily digest,
 * and three days before a job expires; each exactly once, each kind turned off by the user's
 * choice or by a one-click unsubscribe link that needs no login. No mail shows the other side's
 * e-mail or phone.
 */

const FAST_QUEUE = {
  QUEUE_POLL_INTERVAL_MS: '500',
  QUEUE_RETRY_DELAY_SECONDS: '1',
  QUEUE_RETRY_DELAY_MAX_SECONDS: '1',
};

const DAY_MS = 86_400_000;
const NOTICE_ID =
  /^<(application-received|application-status|application-withdrawn|applications-digest|job-expiring)\./;
const UNSUBSCRIBE_LINK = /^<(http:\/\/\S+\/api\/v1\/notifications\/unsubscribe\?token=([^>\s]+))>$/;

describe('notices', () => {
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

  /** The notices of this suite's kinds (not, say, the account's verification mail). */
  const mailsTo = (user: TestUser, subject?: string) =>
    smtp.received.filter(
      (m) =>
        m.to.includes(user.email) &&
        NOTICE_ID.test(m.headers.get('message-id') ?? '') &&
        (!subject || m.headers.get('subject')?.includes(subject)),
    );

  /** Waits until the queue settled the job for this application (sent or skipped). */
  async function settled(queue: string, applicationId: number, count = 1): Promise<void> {
    const done = await waitFor(async () => {
      const rows: { n: number }[] = await t.db.query(
        `SELECT count(*)::int AS n FROM pgboss.job
          WHERE name = $1 AND data->>'applicationId' = $2 AND state = 'completed'`,
        [queue, String(applicationId)],
      );
      return rows[0].n >= count;
    }, 20_000);
    expect(done, `${queue} for application ${applicationId}`).toBe(true);
  }

  /** Waits for `n` mails matching, then a little longer: no more arrive. */
  async function exactly(n: number, find: () => ReceivedMail[]): Promise<ReceivedMail[]> {
    expect(await waitFor(() => Promise.resolve(find().length >= n), 20_000)).toBe(true);
    await new Promise((r) => setTimeout(r, 1500));
    expect(find()).toHaveLength(n);
    return find();
  }

  async function cast(mode?: 'instant' | 'daily' | 'off') {
    const owner = await createUser(t, 'employer', 'Olivia Owner');
    if (mode) await prefs(owner, { applications: mode });
    const spa = await createSpa(t, owner, { name: `Notice Spa ${randomUUID().slice(0, 6)}` });
    const job = await createJob(t, owner, spa.id, {
      title: `Reflexologist ${randomUUID().slice(0, 6)}`,
    });
    return { owner, spa, job, title: job.title as string, spaName: spa.name as string };
  }

  const prefs = (user: TestUser, body: Record<string, unknown>) =>
    t.http
      .patch('/api/v1/users/me/notifications')
      .set('Authorization', user.auth)
      .send(body)
      .expect(200);

  const setStatus = (owner: TestUser, applicationId: number, status: string) =>
    t.http
      .patch(`/api/v1/applications/${applicationId}`)
      .set('Authorization', owner.auth)
      .send({ status })
      .expect(200);

  it('defaults to every notice on, new applications one mail each', async () => {
    const user = await createUser(t, 'job_seeker');
    const res = await t.http
      .get('/api/v1/users/me/notifications')
      .set('Authorization', user.auth)
      .expect(200);
    expect(res.body).toEqual({
      applications: 'instant',
      statusChanges: true,
      withdrawals: true,
      jobExpiring: true,
    });
    await t.http.get('/api/v1/users/me/notifications').expect(401);
  });

  it('tells the applicant of each status change once, naming the job and spa and no contact details', async () => {
    const { owner, job, title, spaName } = await cast();
    const seeker = await createUser(t, 'job_seeker', 'Sam Seeker');
    const application = await applyTo(t, seeker, job.id);
    await setStatus(owner, application.id, 'reviewed');
    await setStatus(owner, application.id, 'shortlisted');

    const mails = await exactly(2, () => mailsTo(seeker, title));
    const texts = mails.map((m) => m.decoded);
    expect(texts.some((x) => x.includes('has been reviewed'))).toBe(true);
    expect(texts.some((x) => x.includes('has been shortlisted'))).toBe(true);
    for (const mail of mails) {
      expect(mail.decoded).toContain(spaName);
      expect(mail.decoded).not.toContain(owner.email);
      expect(mail.decoded).not.toContain(owner.phone);
      expect(mail.headers.get('list-unsubscribe')).toMatch(UNSUBSCRIBE_LINK);
      expect(mail.headers.get('list-unsubscribe-post')).toBe('List-Unsubscribe=One-Click');
      expect(mail.raw).toMatch(/Content-Type: text\/html/);
    }
    const sent: { n: number }[] = await t.db.query(
      `SELECT count(*)::int AS n FROM sent_notices WHERE notice_key LIKE $1`,
      [`application-status:${application.id}:%`],
    );
    expect(sent[0].n).toBe(2);
    // the owner's own notice carries a one-click link too, and no applicant contact details
    const [received] = await exactly(1, () => mailsTo(owner, title));
    expect(received.headers.get('list-unsubscribe')).toMatch(UNSUBSCRIBE_LINK);
    expect(received.headers.get('list-unsubscribe-post')).toBe('List-Unsubscribe=One-Click');
    expect(received.decoded).not.toContain(seeker.email);
    expect(received.decoded).not.toContain(seeker.phone);
  });

  it('a status change that is refused enqueues nothing', async () => {
    const { owner, job } = await cast();
    const seeker = await createUser(t, 'job_seeker');
    const application = await applyTo(t, seeker, job.id);
    await t.http
      .patch(`/api/v1/applications/${application.id}`)
      .set('Authorization', owner.auth)
      .send({ status: 'hired' })
      .expect(409);
    const jobs = await t.db.query(
      `SELECT 1 FROM ${ALL_JOBS} WHERE name = $1 AND data->>'applicationId' = $2`,
      [APPLICATION_STATUS_CHANGED, String(application.id)],
    );
    expect(jobs).toEqual([]);
  });

  it('confirms a withdrawal to the applicant once (a transactional mail: no unsubscribe header)', async () => {
    const { owner, job, title } = await cast();
    const seeker = await createUser(t, 'job_seeker', 'Wanda Withdrawer');
    const application = await applyTo(t, seeker, job.id);
    await t.http
      .post(`/api/v1/applications/${application.id}/withdraw`)
      .set('Authorization', seeker.auth)
      .expect(200);
    const [mail] = await exactly(1, () => mailsTo(seeker, 'withdrawn'));
    expect(mail.headers.get('subject')).toContain(title);
    expect(mail.decoded).toContain('You withdrew your application');
    expect(mail.headers.has('list-unsubscribe')).toBe(false);
    expect(mail.decoded).not.toContain(owner.email);
    expect(mail.decoded).not.toContain(owner.phone);
  });

  it('sends none of the kinds a user turned off', async () => {
    const { owner, job, title } = await cast('off');
    const seeker = await createUser(t, 'job_seeker');
    const res = await prefs(seeker, { statusChanges: false, withdrawals: false });
    expect(res.body).toEqual({
      applications: 'instant',
      statusChanges: false,
      withdrawals: false,
      jobExpiring: true,
    });
    const application = await applyTo(t, seeker, job.id);
    await setStatus(owner, application.id, 'reviewed');
    await t.http
      .post(`/api/v1/applications/${application.id}/withdraw`)
      .set('Authorization', seeker.auth)
      .expect(200);
    await settled(APPLICATION_RECEIVED, application.id);
    await settled(APPLICATION_STATUS_CHANGED, application.id);
    await settled(APPLICATION_WITHDRAWN, application.id);
    expect(mailsTo(seeker)).toEqual([]);
    expect(mailsTo(owner, title)).toEqual([]);
  });

  it('one-click unsubscribe turns the kind off without a login; the page a person opens changes nothing until posted', async () => {
    const { owner, job } = await cast();
    const seeker = await createUser(t, 'job_seeker');
    const application = await applyTo(t, seeker, job.id);
    await setStatus(owner, application.id, 'reviewed');
    const [mail] = await exactly(1, () => mailsTo(seeker));
    const [, url, token] = UNSUBSCRIBE_LINK.exec(mail.headers.get('list-unsubscribe')!)!;
    expect(mail.decoded).toContain(url); // the footer link, for a person
    const path = new URL(url).pathname + new URL(url).search;

    const page = await t.http.get(path).expect(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.text).toContain('method="post"');
    expect(page.text).toContain('status changes');
    const unchanged = await t.http
      .get('/api/v1/users/me/notifications')
      .set('Authorization', seeker.auth)
      .expect(200);
    expect(unchanged.body.statusChanges).toBe(true);

    // what a mail client sends (RFC 8058): a form POST, no cookie, no token
    const done = await t.http
      .post('/api/v1/notifications/unsubscribe')
      .query({ token })
      .type('form')
      .send('List-Unsubscribe=One-Click')
      .expect(200);
    expect(done.body).toEqual({ kind: 'statusChanges', message: expect.any(String) });
    const after = await t.http
      .get('/api/v1/users/me/notifications')
      .set('Authorization', seeker.auth)
      .expect(200);
    expect(after.body).toMatchObject({ statusChanges: false, applications: 'instant' });
    // again: still off, still 200
    await t.http.post('/api/v1/notifications/unsubscribe').query({ token }).expect(200);

    await setStatus(owner, application.id, 'shortlisted');
    await settled(APPLICATION_STATUS_CHANGED, application.id, 2);
    expect(mailsTo(seeker)).toHaveLength(1);
  });

  it('refuses a forged, edited or foreign unsubscribe token with 400 and changes nothing', async () => {
    const user = await createUser(t, 'employer');
    const secret = t.config.auth.secretKey;
    const genuine = signLinkToken(secret, 'unsubscribe', { u: user.id, k: 'applications' });
    const [, mac] = genuine.split('.');
    const edited = `${Buffer.from(JSON.stringify({ u: user.id + 1, k: 'applications' })).toString('base64url')}.${mac}`;
    const foreign = signLinkToken('another-server-secret', 'unsubscribe', {
      u: user.id,
      k: 'applications',
    });
    const otherPurpose = signLinkToken(secret, 'cursor', { u: user.id, k: 'applications' });
    const unknownKind = signLinkToken(secret, 'unsubscribe', { u: user.id, k: 'everything' });
    const forgedMac = `${genuine.split('.')[0]}.${createHmac('sha256', 'x').update('y').digest('base64url')}`;
    for (const token of [edited, foreign, otherPurpose, unknownKind, forgedMac, 'garbage']) {
      for (const method of ['post', 'get'] as const) {
        const res = await t.http[method]('/api/v1/notifications/unsubscribe')
          .query({ token })
          .expect(400);
        expect(res.body.code).toBe('UNSUBSCRIBE_TOKEN_INVALID');
      }
    }
    const res = await t.http.post('/api/v1/notifications/unsubscribe').expect(400);
    expect(res.body.message).toContain('token');
    expect(
      await t.db.query(`SELECT 1 FROM notice_preferences WHERE user_id = $1`, [user.id]),
    ).toEqual([]);
    await t.http.post('/api/v1/notifications/unsubscribe').query({ token: genuine }).expect(200);
    const [row] = await t.db.query(
      `SELECT applications FROM notice_preferences WHERE user_id = $1`,
      [user.id],
    );
    expect(row).toEqual({ applications: 'off' });
  });

  it('digest mode: no mail per application, one daily digest listing them, once', async () => {
    const { owner, job, title } = await cast('daily');
    const first = await createUser(t, 'job_seeker', 'Dana Digest');
    const second = await createUser(t, 'job_seeker', 'Dora Digest');
    const applications = [await applyTo(t, first, job.id), await applyTo(t, second, job.id)];
    for (const a of applications) await settled(APPLICATION_RECEIVED, a.id);
    expect(mailsTo(owner)).toEqual([]);

    const digest = t.app.get(ApplicationsDigestNotice);
    await digest.run();
    const [mail] = await exactly(1, () => mailsTo(owner, 'new application'));
    expect(mail.headers.get('subject')).toContain('2 new applications');
    expect(mail.decoded).toContain('Dana Digest');
    expect(mail.decoded).toContain('Dora Digest');
    expect(mail.decoded).toContain(title);
    expect(mail.decoded).not.toContain(first.email);
    expect(mail.decoded).not.toContain(second.phone);
    expect(mail.headers.get('list-unsubscribe')).toMatch(UNSUBSCRIBE_LINK);

    await digest.run(); // the same day again: nothing more
    await new Promise((r) => setTimeout(r, 1000));
    expect(mailsTo(owner)).toHaveLength(1);
    const [row] = await t.db.query(
      `SELECT digest_until FROM notice_preferences WHERE user_id = $1`,
      [owner.id],
    );
    expect(row.digest_until).not.toBeNull();
  });

  it('warns the owner three days before a job expires, once even if the scan runs twice', async () => {
    const { owner, spa } = await cast();
    const expiresAt = new Date(Date.now() + 2 * DAY_MS).toISOString();
    const soon = await createJob(t, owner, spa.id, { title: 'Soon Expiring Masseur', expiresAt });
    await createJob(t, owner, spa.id, { title: 'Later Expiring Masseur' }); // 30 days: not yet
    const quiet = await cast();
    await prefs(quiet.owner, { jobExpiring: false });
    await createJob(t, quiet.owner, quiet.spa.id, { title: 'Quiet Expiring Masseur', expiresAt });

    const scan = t.app.get(JobExpiringNotice);
    await scan.scan();
    await scan.scan();
    const [mail] = await exactly(1, () => mailsTo(owner, 'expires'));
    expect(mail.headers.get('subject')).toContain('Soon Expiring Masseur');
    expect(mail.decoded).toContain(`/api/v1/jobs/${soon.id}/renew`);
    expect(mail.headers.get('list-unsubscribe')).toMatch(UNSUBSCRIBE_LINK);
    expect(mailsTo(owner, 'Later Expiring')).toEqual([]);
    expect(mailsTo(quiet.owner, 'expires')).toEqual([]);
    const keys: { notice_key: string }[] = await t.db.query(
      `SELECT notice_key FROM sent_notices WHERE kind = 'job-expiring' AND notice_key LIKE $1`,
      [`job-expiring:${soon.id}:%`],
    );
    expect(keys).toEqual([{ notice_key: `job-expiring:${soon.id}:${expiresAt.slice(0, 10)}` }]);
  });
});

import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { createTestApp, type TestApp } from '../support/create-test-app.js';
import { applyTo, createJob, createSpa, createUser, type TestUser } from '../support/factories.js';
import { TestSmtpServer } from '../support/smtp.js';
import { ALL_JOBS } from '../support/queue.js';
import { waitFor } from '../support/wait.js';
import {
  APPLICATION_RECEIVED,
  ApplicationReceivedNotice,
} from '../../src/notices/application-received.notice.js';
import { QueueService } from '../../src/queue/queue.service.js';

/**
 * The durable queue and the mail it sends, on the embedded database and on PostgreSQL alike: a
 * committed application's notice reaches a real SMTP server exactly once, a rolled-back write
 * enqueues nothing, an SMTP outage loses and doubles nothing, a job that keeps failing is
 * dead-lettered and an admin retries it, and without MAIL_URL the mail lands in the outbox.
 */

/** Fast polls and retries, so that outages and dead letters play out in seconds. */
const FAST_QUEUE = {
  QUEUE_POLL_INTERVAL_MS: '500',
  QUEUE_RETRY_DELAY_SECONDS: '1',
  QUEUE_RETRY_DELAY_MAX_SECONDS: '1',
  QUEUE_BATCH_SIZE: '20',
};

const messageIdOf = (applicationId: number) =>
  `<application-received.${applicationId}@spajobs.local>`;

/** Jobs of the notice queue in each state (pg-boss's table). */
async function jobStates(t: TestApp, name = APPLICATION_RECEIVED): Promise<Record<string, number>> {
  const rows: { state: string; n: number }[] = await t.db.query(
    `SELECT state::text AS state, count(*)::int AS n FROM pgboss.job WHERE name = $1 GROUP BY state`,
    [name],
  );
  return Object.fromEntries(rows.map((r) => [r.state, r.n]));
}

async function metricValue(t: TestApp, series: string): Promise<number> {
  const res = await t.http.get('/metrics').expect(200);
  const line = res.text
    .split('\n')
    .find((l) => l.startsWith(series.replace(/}$/, '')) && !l.startsWith('#'));
  return line ? Number(line.split(' ').at(-1)) : 0;
}

interface Cast {
  owner: TestUser;
  spaName: string;
  jobs: { id: number; title: string }[];
}

async function cast(t: TestApp, jobs = 1): Promise<Cast> {
  const owner = await createUser(t, 'employer', 'Olivia Owner');
  const spa = await createSpa(t, owner);
  const list = [];
  for (let i = 0; i < jobs; i++) {
    const job = await createJob(t, owner, spa.id, {
      title: `Esthetician ${i} ${randomUUID().slice(0, 6)}`,
    });
    list.push({ id: job.id, title: job.title as string });
  }
  return { owner, spaName: spa.name as string, jobs: list };
}

describe('queue and mail over SMTP', () => {
  let smtp: TestSmtpServer;
  let t: TestApp;

  beforeAll(async () => {
    smtp = await TestSmtpServer.start();
    t = await createTestApp({
      env: { ...FAST_QUEUE, MAIL_URL: smtp.url, QUEUE_RETRY_LIMIT: '100' },
    });
  });
  afterAll(async () => {
    await t?.close();
    await smtp?.stop();
  });

  it("an application commits and its owner's notice is delivered once, without the applicant's contact details", async () => {
    const { owner, spaName, jobs } = await cast(t);
    const seeker = await createUser(t, 'job_seeker', 'Sam Seeker');
    const application = await applyTo(t, seeker, jobs[0].id);
    const id = messageIdOf(application.id);

    expect(await waitFor(() => Promise.resolve(smtp.withMessageId(id).length > 0), 20_000)).toBe(
      true,
    );
    // a few more polls: nothing else arrives for it
    await new Promise((r) => setTimeout(r, 2000));
    const [mail, ...more] = smtp.withMessageId(id);
    expect(more).toEqual([]);
    expect(mail.to).toEqual([owner.email]);
    expect(mail.headers.get('subject')).toContain(jobs[0].title);
    expect(mail.headers.get('from')).toContain('no-reply@spajobs.local');
    expect(mail.headers.get('list-unsubscribe')).toMatch(
      /^<http:\/\/\S+\/api\/v1\/notifications\/unsubscribe\?token=\S+>$/,
    );
    expect(mail.headers.get('content-type')).toMatch(/^multipart\/alternative/);
    expect(mail.raw).toMatch(/Content-Type: text\/plain/);
    expect(mail.raw).toMatch(/Content-Type: text\/html/);
    expect(mail.decoded).toContain('Sam Seeker applied to');
    expect(mail.decoded).toContain(spaName);
    expect(mail.decoded).toContain(`/api/v1/jobs/${jobs[0].id}/applications`);
    expect(mail.decoded).not.toContain(seeker.email);
    expect(mail.decoded).not.toContain(seeker.phone);

    const sent = await t.db.query(
      `SELECT kind, message_id FROM sent_notices WHERE notice_key = $1`,
      [`application-received:${application.id}`],
    );
    expect(sent).toEqual([{ kind: 'application-received', message_id: id }]);
    const [job] = await t.db.query(
      `SELECT state::text AS state FROM pgboss.job WHERE name = $1 AND data->>'applicationId' = $2`,
      [APPLICATION_RECEIVED, String(application.id)],
    );
    expect(job).toEqual({ state: 'completed' });
  });

  it('a rolled-back write enqueues nothing', async () => {
    const { jobs } = await cast(t);
    const seeker = await createUser(t, 'job_seeker');
    const notices = t.app.get(ApplicationReceivedNotice);
    let applicationId = 0;
    let queueJobId = '';
    await expect(
      t.db.transaction(async (tx) => {
        const [row] = await tx.query(
          `INSERT INTO applications (job_id, applicant_id) VALUES ($1, $2) RETURNING id`,
          [jobs[0].id, seeker.id],
        );
        applicationId = row.id as number;
        queueJobId = await notices.enqueue(tx, applicationId);
        // inside the transaction the job exists (in the outbox)...
        expect(
          await tx.query(`SELECT 1 FROM queue_outbox WHERE job_id = $1`, [queueJobId]),
        ).toHaveLength(1);
        throw new Error('the write fails after the enqueue');
      }),
    ).rejects.toThrow('the write fails after the enqueue');

    // ...and after the rollback neither it nor the application does, anywhere
    expect(await t.db.query(`SELECT 1 FROM applications WHERE id = $1`, [applicationId])).toEqual(
      [],
    );
    await t.app.get(QueueService).relay();
    expect(await t.db.query(`SELECT 1 FROM ${ALL_JOBS} WHERE id = $1`, [queueJobId])).toEqual([]);
    await new Promise((r) => setTimeout(r, 2000));
    expect(smtp.withMessageId(messageIdOf(applicationId))).toEqual([]);
  });

  it('a committed send becomes exactly one pg-boss job with the id it returned, relayed at the commit', async () => {
    const { jobs } = await cast(t);
    const notices = t.app.get(ApplicationReceivedNotice);
    const queue = t.app.get(QueueService);
    const inPgBoss = async (id: string) =>
      (await t.db.query(`SELECT 1 FROM pgboss.job WHERE id = $1`, [id])).length === 1;
    // five times within 250 ms of the commit: the commit wakes the relay (the sweep, once a
    // second, would be that quick five times running once in a thousand)
    const sent: string[] = [];
    for (let i = 0; i < 5; i++) {
      const seeker = await createUser(t, 'job_seeker');
      // past the relays' minimum gap (250 ms), which only spaces out relays under a stream of writes
      await new Promise((r) => setTimeout(r, 300));
      const id = await t.db.transaction(async (tx) => {
        const [row] = await tx.query(
          `INSERT INTO applications (job_id, applicant_id) VALUES ($1, $2) RETURNING id`,
          [jobs[0].id, seeker.id],
        );
        return notices.enqueue(tx, row.id as number);
      });
      expect(await waitFor(() => inPgBoss(id), 250, 5)).toBe(true);
      sent.push(id);
    }
    // relaying again (another process, a sweep) makes no second job
    await Promise.all([queue.relay(), queue.relay()]);
    expect(await t.db.query(`SELECT 1 FROM queue_outbox WHERE job_id = ANY($1)`, [sent])).toEqual(
      [],
    );
    const [{ n }] = await t.db.query(
      `SELECT count(*)::int AS n FROM pgboss.job
        WHERE name = $1 AND data->>'applicationId' IN (
          SELECT data->>'applicationId' FROM pgboss.job WHERE id = ANY($2))`,
      [APPLICATION_RECEIVED, sent],
    );
    expect(n).toBe(5);
  });

  it('relays a row its sender left in the outbox (stopped between commit and relay) within the sweep', async () => {
    const { jobs } = await cast(t);
    const seeker = await createUser(t, 'job_seeker');
    const application = await applyTo(t, seeker, jobs[0].id);
    const id = randomUUID();
    // as a process that died right after its commit leaves it: no commit of this process wakes a relay
    await t.db.query(`INSERT INTO queue_outbox (job_id, name, data) VALUES ($1, $2, $3)`, [
      id,
      APPLICATION_RECEIVED,
      { applicationId: application.id },
    ]);
    expect(
      await waitFor(
        async () => (await t.db.query(`SELECT 1 FROM pgboss.job WHERE id = $1`, [id])).length === 1,
        3000,
        20,
      ),
    ).toBe(true);
    expect(await t.db.query(`SELECT 1 FROM queue_outbox WHERE job_id = $1`, [id])).toEqual([]);
  });

  it('relays past a row for a queue this process does not know (a newer release sent it), leaving it for one that does', async () => {
    const { jobs } = await cast(t);
    const seeker = await createUser(t, 'job_seeker');
    const notices = t.app.get(ApplicationReceivedNotice);
    const queue = t.app.get(QueueService);
    const unknown = randomUUID();
    await t.db.query(`INSERT INTO queue_outbox (job_id, name, data) VALUES ($1, $2, $3)`, [
      unknown,
      'from-a-newer-release',
      {},
    ]);
    const id = await t.db.transaction(async (tx) => {
      const [row] = await tx.query(
        `INSERT INTO applications (job_id, applicant_id) VALUES ($1, $2) RETURNING id`,
        [jobs[0].id, seeker.id],
      );
      return notices.enqueue(tx, row.id as number);
    });
    await queue.relay();
    expect(await t.db.query(`SELECT 1 FROM pgboss.job WHERE id = $1`, [id])).toHaveLength(1);
    expect(
      await t.db.query(`SELECT 1 FROM queue_outbox WHERE job_id = $1`, [unknown]),
    ).toHaveLength(1);
    await t.db.query(`DELETE FROM queue_outbox WHERE job_id = $1`, [unknown]);
  });

  it('refuses to enqueue outside a transaction (the job would commit on its own)', async () => {
    const notices = t.app.get(ApplicationReceivedNotice);
    await expect(notices.enqueue(t.db.manager, 1)).rejects.toThrow(/inside the transaction/);
  });

  it('with the SMTP server down for 200 applications, all 200 notices arrive once it is back, none twice', async () => {
    const COUNT = 200;
    const { jobs } = await cast(t, 10);
    const seekers: TestUser[] = [];
    for (let i = 0; i < COUNT / jobs.length; i++) seekers.push(await createUser(t, 'job_seeker'));
    const failuresBefore = await metricValue(
      t,
      'queue_job_failures_total{queue="notice.application-received"',
    );
    const before = smtp.received.length;

    await smtp.stop();
    const ids: number[] = [];
    const pairs = seekers.flatMap((s) => jobs.map((j) => [s, j.id] as const));
    for (let i = 0; i < pairs.length; i += 10) {
      const batch = await Promise.all(
        pairs.slice(i, i + 10).map(([s, jobId]) => applyTo(t, s, jobId)),
      );
      ids.push(...batch.map((a) => a.id));
    }
    expect(ids).toHaveLength(COUNT);
    // the outage is seen: attempts fail and wait for a retry, nothing is delivered
    expect(
      await waitFor(
        async () =>
          (await metricValue(t, 'queue_job_failures_total{queue="notice.application-received"')) >
          failuresBefore,
        20_000,
      ),
    ).toBe(true);
    expect(smtp.received.length).toBe(before);

    await smtp.start();
    const arrived = await waitFor(
      () => Promise.resolve(ids.every((id) => smtp.withMessageId(messageIdOf(id)).length > 0)),
      120_000,
      500,
    );
    const missing = ids.filter((id) => smtp.withMessageId(messageIdOf(id)).length === 0);
    expect(arrived, `missing notices for ${missing.length} applications`).toBe(true);
    await new Promise((r) => setTimeout(r, 3000));
    const twice = ids.filter((id) => smtp.withMessageId(messageIdOf(id)).length > 1);
    expect(twice).toEqual([]);
    expect(smtp.received.length - before).toBe(COUNT);
    const [{ n }] = await t.db.query(
      `SELECT count(*)::int AS n FROM sent_notices WHERE notice_key = ANY($1)`,
      [ids.map((id) => `application-received:${id}`)],
    );
    expect(n).toBe(COUNT);
  });

  it('reports the queue in /metrics and /health', async () => {
    const metrics = (await t.http.get('/metrics').expect(200)).text;
    expect(metrics).toMatch(
      /queue_job_duration_seconds_count\{[^}]*queue="notice.application-received"[^}]*result="completed"/,
    );
    expect(metrics).toMatch(/^queue_job_failures_total\{/m);
    expect(metrics).toContain('# TYPE queue_jobs gauge');
    const health = await t.http.get('/health').expect(200);
    expect(health.body.details.queue).toMatchObject({
      status: 'up',
      workers: true,
      deadLettered: 0,
      waiting: expect.any(Number),
      running: expect.any(Number),
    });
  });
});

describe('a job that keeps failing', () => {
  let smtp: TestSmtpServer;
  let t: TestApp;
  let admin: TestUser;

  beforeAll(async () => {
    smtp = await TestSmtpServer.start();
    t = await createTestApp({ env: { ...FAST_QUEUE, MAIL_URL: smtp.url, QUEUE_RETRY_LIMIT: '2' } });
    admin = await createUser(t, 'admin');
  });
  afterAll(async () => {
    await t?.close();
    await smtp?.stop();
  });

  it('is retried, then dead-lettered, then retried by an admin through the API and delivered once', async () => {
    const { jobs } = await cast(t);
    const seeker = await createUser(t, 'job_seeker');
    smtp.reject(); // every attempt's RCPT TO gets a 550: the handler throws
    const application = await applyTo(t, seeker, jobs[0].id);
    const id = messageIdOf(application.id);

    const list = () =>
      t.http.get('/api/v1/admin/jobs/failed').set('Authorization', admin.auth).expect(200);
    expect(await waitFor(async () => (await list()).body.data.length > 0, 30_000, 500)).toBe(true);
    const { body } = await list();
    expect(body.nextCursor).toBeNull();
    expect(body.data).toEqual([
      {
        id: expect.stringMatching(/^[0-9a-f-]{36}$/),
        queue: APPLICATION_RECEIVED,
        originalId: expect.stringMatching(/^[0-9a-f-]{36}$/),
        data: { applicationId: application.id },
        attempts: 3,
        error: expect.stringContaining('550'),
        enqueuedAt: expect.any(String),
        failedAt: expect.any(String),
      },
    ]);
    expect(await jobStates(t)).toEqual({ failed: 1 });
    expect(
      await metricValue(t, 'queue_job_failures_total{queue="notice.application-received"'),
    ).toBe(3);
    expect(
      await metricValue(t, 'queue_jobs_dead_lettered_total{queue="notice.application-received"'),
    ).toBe(1);
    const health = await t.http.get('/health').expect(200);
    expect(health.body.status).toBe('degraded');
    expect(health.body.details.queue).toMatchObject({ status: 'degraded', deadLettered: 1 });
    expect(smtp.withMessageId(id)).toEqual([]);

    smtp.accept();
    const failedId = body.data[0].id as string;
    const seekerTry = await t.http
      .post(`/api/v1/admin/jobs/failed/${failedId}/retry`)
      .set('Authorization', seeker.auth);
    expect(seekerTry.status).toBe(403);
    const retried = await t.http
      .post(`/api/v1/admin/jobs/failed/${failedId}/retry`)
      .set('Authorization', admin.auth)
      .expect(202);
    expect(retried.body).toEqual({ id: failedId, queue: APPLICATION_RECEIVED });

    expect(await waitFor(() => Promise.resolve(smtp.withMessageId(id).length > 0), 20_000)).toBe(
      true,
    );
    await new Promise((r) => setTimeout(r, 2000));
    expect(smtp.withMessageId(id)).toHaveLength(1);
    expect((await list()).body.data).toEqual([]);
    const again = await t.http
      .post(`/api/v1/admin/jobs/failed/${failedId}/retry`)
      .set('Authorization', admin.auth)
      .expect(404);
    expect(again.body.code).toBe('FAILED_JOB_NOT_FOUND');
    expect((await t.http.get('/health').expect(200)).body.details.queue.status).toBe('up');
  });
});

describe('without MAIL_URL, and with the workers in another process', () => {
  let web: TestApp;
  let worker: TestApp | undefined;

  beforeAll(async () => {
    web = await createTestApp({ env: { ...FAST_QUEUE, WORKERS_ENABLED: 'false' } });
  });
  afterAll(async () => {
    await worker?.close();
    await web?.close();
  });

  it('a web process with WORKERS_ENABLED=false only enqueues; a worker writes the mail to the outbox as .eml', async () => {
    const { owner, jobs } = await cast(web);
    const seeker = await createUser(web, 'job_seeker', 'Outbox Olga');
    const application = await applyTo(web, seeker, jobs[0].id);
    await new Promise((r) => setTimeout(r, 2000));
    expect(await jobStates(web)).toEqual({ created: 1 });

    worker = await createTestApp({ shareWith: web, env: { WORKERS_ENABLED: 'true' } });
    const dir = web.config.mail.outboxDir;
    const file = `application-received.${application.id}_spajobs.local.eml`;
    const landed = await waitFor(
      async () => (await readdir(dir).catch(() => [] as string[])).includes(file),
      20_000,
    );
    expect(landed).toBe(true);
    expect((await readdir(dir)).filter((f) => f.endsWith('.eml'))).toEqual([file]);
    const eml = await readFile(join(dir, file), 'utf8');
    expect(eml).toMatch(new RegExp(`^To: ${owner.email.replace(/[.+]/g, '\\$&')}$`, 'm'));
    expect(eml).toContain(`Message-ID: ${messageIdOf(application.id)}`);
    expect(eml).toMatch(/Content-Type: multipart\/alternative/);
    expect(eml).toMatch(/Content-Type: text\/html/);
    expect(eml).toMatch(/^List-Unsubscribe:\s+</m);
    expect(eml).toContain('Outbox Olga applied to');
    expect(await waitFor(async () => (await jobStates(web)).completed === 1, 10_000)).toBe(true);
  });
});

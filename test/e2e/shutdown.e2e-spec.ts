import { connect, type Socket } from 'node:net';
import { requireRedisServer } from '../support/redis-server.js';
import { call, requireNginx, startTopology, type Reply, type Topology } from '../support/nginx.js';

const PASSWORD = 'shutdown-drill-password-42';
/** A graceful stop: Nest re-raises SIGTERM once the shutdown hooks ran. */
const CLEAN_EXITS: Array<number | string | null> = ['SIGTERM'];

async function register(port: number, email: string, role = 'employer'): Promise<string> {
  const res = await call(port, '/api/v1/auth/register', {
    method: 'POST',
    body: { email, password: PASSWORD, fullName: 'Drill Owner', role },
  });
  expect(res.status).toBe(201);
  return (JSON.parse(res.body) as { accessToken: string }).accessToken;
}

/** A spa and a job category to post jobs under. */
async function spaAndCategory(port: number, token: string): Promise<[number, number]> {
  const spa = await call(port, '/api/v1/spas', {
    method: 'POST',
    token,
    body: { name: `Drill Spa ${Date.now()}`, cityId: 1 },
  });
  expect(spa.status).toBe(201);
  const categories = await call(port, '/api/v1/job-categories');
  const category = (JSON.parse(categories.body) as { data: Array<{ id: number }> }).data[0].id;
  return [(JSON.parse(spa.body) as { id: number }).id, category];
}

describe.runIf(requireNginx() && requireRedisServer())(
  'zero-downtime restarts behind nginx',
  () => {
    let t: Topology | undefined;

    afterEach(async () => {
      await t?.stop();
      t = undefined;
    });

    it('a rolling restart of both instances under load loses no request', async () => {
      t = await startTopology(2, { RATE_LIMIT_ENABLED: 'false' });
      const port = t.nginx.port;
      const token = await register(port, `roll-${Date.now()}@example.test`);
      await t.db.query('UPDATE users SET email_verified_at = now()'); // employers post once verified
      const [spaId, categoryId] = await spaAndCategory(port, token);

      const results: Array<{ kind: string; status: number }> = [];
      const errors: string[] = [];
      let created = 0;
      let rolling = true;
      const MAX_REQUESTS = 600;
      const worker = async (n: number) => {
        for (let i = 0; rolling && results.length + errors.length < MAX_REQUESTS; i++) {
          const kind = (i + n) % 3 === 0 ? 'post' : (i + n) % 3 === 1 ? 'jobs' : 'states';
          try {
            const res: Reply =
              kind === 'post'
                ? await call(port, '/api/v1/jobs', {
                    method: 'POST',
                    token,
                    body: {
                      spaId,
                      categoryId,
                      title: `Drill Therapist ${n}-${i}`,
                      description:
                        'Deliver relaxing massage treatments to our guests, drill edition.',
                    },
                  })
                : await call(port, kind === 'jobs' ? '/api/v1/jobs' : '/api/v1/states');
            results.push({ kind, status: res.status });
            if (kind === 'post' && res.status === 201) created++;
          } catch (err) {
            errors.push(`${kind}: ${(err as Error).message}`);
          }
          await new Promise((r) => setTimeout(r, 120));
        }
      };
      const load = Promise.all([0, 1, 2, 3].map((n) => worker(n)));

      // one instance at a time: SIGTERM (drain), back up, ready; then the next
      await new Promise((r) => setTimeout(r, 500));
      for (const instance of t.instances) {
        expect(CLEAN_EXITS).toContain(await instance.stop('SIGTERM'));
        instance.start();
        expect(await instance.ready()).toBe(true);
        await new Promise((r) => setTimeout(r, 500)); // back in nginx's rotation
      }
      rolling = false;
      await load;

      const failed = results.filter((r) => r.status < 200 || r.status >= 300);
      expect(errors).toEqual([]);
      expect(failed).toEqual([]);
      expect(results.length).toBeGreaterThan(150);
      // every acknowledged job exists, once
      const rows = await t.db.query<{ n: string }>(
        `SELECT count(*) AS n FROM jobs WHERE spa_id = $1 AND title LIKE 'Drill Therapist %'`,
        [spaId],
      );
      expect(Number(rows[0].n)).toBe(created);
      // both instances served, before and after their restart
      const log = await t.nginx.accessLog();
      for (const a of t.instances) expect(log).toContain(`upstream=127.0.0.1:${a.port}`);
    }, 120_000);

    it('SIGTERM: readiness 503 at once, a slow request in flight finishes, idle connections close, views are written, then the exit', async () => {
      t = await startTopology(1, { SHUTDOWN_GRACE_MS: '1500', VIEW_FLUSH_INTERVAL_MS: '600000' });
      const [app] = t.instances;
      const token = await register(app.port, `slow-${Date.now()}@example.test`);
      await t.db.query('UPDATE users SET email_verified_at = now()'); // employers post once verified
      const [spaId, categoryId] = await spaAndCategory(app.port, token);
      const job = await call(app.port, '/api/v1/jobs', {
        method: 'POST',
        token,
        body: {
          spaId,
          categoryId,
          title: 'Viewed Therapist',
          description: 'Deliver relaxing massage treatments to our guests in a calm day spa.',
        },
      });
      const jobId = (JSON.parse(job.body) as { id: number }).id;
      for (let i = 0; i < 7; i++)
        expect((await call(app.port, `/api/v1/jobs/${jobId}`)).status).toBe(200);

      // an idle keep-alive connection, and a request whose body is still arriving
      const idle = await rawConnection(app.port);
      idle.write(`GET /health/live HTTP/1.1\r\nHost: x\r\n\r\n`);
      await readUntil(idle, '"status":"ok"');
      const idleClosed = new Promise<number>((resolve) =>
        idle.once('close', () => resolve(Date.now())),
      );

      const body = JSON.stringify({
        email: `late-${Date.now()}@example.test`,
        password: PASSWORD,
        fullName: 'Late Registrant',
        role: 'job_seeker',
      });
      const slow = await rawConnection(app.port);
      slow.write(
        `POST /api/v1/auth/register HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n` +
          `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body.slice(0, 10)}`,
      );
      await new Promise((r) => setTimeout(r, 200));

      const sigtermAt = Date.now();
      const exited = app.stop('SIGTERM');
      await new Promise((r) => setTimeout(r, 100));
      expect((await call(app.port, '/health/ready')).status).toBe(503);
      expect((await call(app.port, '/health/live')).status).toBe(200);
      // still serving during the grace, each response closing its connection
      const during = await call(app.port, '/api/v1/states');
      expect(during.status).toBe(200);
      expect(during.headers.connection).toBe('close');

      // past the grace: the listener is closed, the idle connection too
      expect(await idleClosed).toBeGreaterThanOrEqual(sigtermAt + 1400);
      // refused (or reset, for a connection the kernel queued in the instant the listener closed)
      await expect(call(app.port, '/health/live')).rejects.toThrow(/ECONNREFUSED|ECONNRESET/);

      // the slow request is still being served: it finishes with an answer
      slow.write(body.slice(10));
      const answer = await readUntil(slow, '"accessToken"');
      expect(answer).toMatch(/^HTTP\/1\.1 201 /);
      expect(answer).toMatch(/\r\nConnection: close\r\n/i);

      expect(CLEAN_EXITS).toContain(await exited);
      const rows = await t.db.query<{ view_count: number }>(
        'SELECT view_count FROM jobs WHERE id = $1',
        [jobId],
      );
      expect(rows[0].view_count).toBe(7);
      const users = await t.db.query('SELECT id FROM users WHERE email LIKE $1', ['late-%']);
      expect(users).toHaveLength(1);
    }, 90_000);
  },
);

function rawConnection(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => resolve(socket));
    socket.once('error', reject);
  });
}

/** Everything the socket sent until `marker` appears (or it closes). */
function readUntil(socket: Socket, marker: string): Promise<string> {
  return new Promise((resolve) => {
    let text = '';
    const done = () => {
      socket.off('data', onData);
      resolve(text);
    };
    const onData = (d: Buffer) => {
      text += d.toString();
      if (text.includes(marker)) done();
    };
    socket.on('data', onData);
    socket.once('close', done);
  });
}

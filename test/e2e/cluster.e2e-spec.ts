import { mkdtemp, rm } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, runServer, type RunningProcess } from '../support/process.js';
import { requireRedisServer, TestRedisServer } from '../support/redis-server.js';
import { waitFor } from '../support/wait.js';

interface Reply {
  status: number;
  body: string;
}

/** One request on a fresh connection, so that the cluster may hand it to any worker. */
function call(
  port: number,
  method: string,
  path: string,
  body?: unknown,
  token?: string,
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = httpRequest(
      {
        host: '127.0.0.1',
        port,
        method,
        path,
        agent: false,
        headers: {
          ...(payload ? { 'content-type': 'application/json' } : {}),
          ...(token ? { authorization: `Bearer ${token}` } : {}),
        },
      },
      (res) => {
        let text = '';
        res.on('data', (d: Buffer) => (text += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

/** Which worker answered: the pid label of its own metrics (/metrics answers every worker's). */
async function workerPid(port: number): Promise<string> {
  return /pid="(\d+)"/.exec((await call(port, 'GET', '/metrics?scope=worker')).body)![1];
}

/** True once both workers have answered (the second may still be booting when the first does). */
async function bothWorkersAnswer(port: number): Promise<boolean> {
  const pids = new Set<string>();
  return waitFor(
    async () => {
      pids.add(await workerPid(port));
      return pids.size === 2;
    },
    60_000,
    50,
  );
}

async function boot(
  env: Record<string, string>,
): Promise<{ server: RunningProcess; port: number; dir: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'spajobs-cluster-'));
  const port = await freePort();
  const server = runServer({
    PORT: String(port),
    HOST: '127.0.0.1',
    WEB_CONCURRENCY: '2',
    DATA_DIR: join(dir, 'data'),
    UPLOAD_DIR: join(dir, 'uploads'),
    RESUME_DIR: join(dir, 'resumes'),
    SEED_DEMO_DATA: 'false',
    ...env,
  });
  const ready = await waitFor(
    async () => (await call(port, 'GET', '/health/ready').catch(() => null))?.status === 200,
    90_000,
  );
  if (!ready) throw new Error(`cluster did not start:\n${server.output()}`);
  return { server, port, dir };
}

describe('WEB_CONCURRENCY=2 (node:cluster)', () => {
  it('serves from two workers sharing one embedded database, relaying invalidations without Redis', async () => {
    const { server, port, dir } = await boot({ REDIS_ENABLED: 'false' });
    try {
      expect(server.output()).toMatch(/rate limits are per worker/);
      expect(await bothWorkersAnswer(port)).toBe(true);

      const reg = await call(port, 'POST', '/api/v1/auth/register', {
        email: 'cluster-owner@example.test',
        password: 'cluster-password',
        fullName: 'Cluster Owner',
        role: 'employer',
      });
      expect(reg.status).toBe(201);
      const token = (JSON.parse(reg.body) as { accessToken: string }).accessToken;
      const created = await call(
        port,
        'POST',
        '/api/v1/spas',
        { name: 'Cluster Spa', cityId: 1 },
        token,
      );
      expect(created.status).toBe(201);
      const id = (JSON.parse(created.body) as { id: number }).id;

      // both workers cache the spa
      for (let i = 0; i < 6; i++)
        expect((await call(port, 'GET', `/api/v1/spas/${id}`)).status).toBe(200);
      expect(
        (await call(port, 'PATCH', `/api/v1/spas/${id}`, { name: 'Cluster Spa Renamed' }, token))
          .status,
      ).toBe(200);
      // without Redis the other worker learns of the write over IPC, asynchronously
      const renamed = async () => {
        for (let i = 0; i < 6; i++) {
          const res = await call(port, 'GET', `/api/v1/spas/${id}`);
          if ((JSON.parse(res.body) as { name: string }).name !== 'Cluster Spa Renamed')
            return false;
        }
        return true;
      };
      expect(await waitFor(renamed, 5000, 50)).toBe(true);

      server.child.kill('SIGTERM');
      expect(await server.exited).toBe(0);
    } finally {
      server.child.kill('SIGKILL');
      await rm(dir, { recursive: true, force: true });
    }
  }, 120_000);

  describe.runIf(requireRedisServer())('with Redis', () => {
    it('enforces one exact rate-limit budget across workers', async () => {
      const redis = await TestRedisServer.start();
      const { server, port, dir } = await boot({
        REDIS_URL: redis.url,
        RATE_LIMIT_ENABLED: 'true',
        RATE_LIMIT_PER_MINUTE: '10',
      });
      try {
        expect(server.output()).not.toMatch(/rate limits are per worker/);
        expect(await bothWorkersAnswer(port)).toBe(true);
        const statuses: number[] = [];
        for (let i = 0; i < 12; i++)
          statuses.push((await call(port, 'GET', '/api/v1/states')).status);
        expect(statuses.slice(0, 10)).toEqual(Array(10).fill(200));
        expect(statuses.slice(10)).toEqual([429, 429]);
        server.child.kill('SIGTERM');
        expect(await server.exited).toBe(0);
      } finally {
        server.child.kill('SIGKILL');
        await redis.stop();
        await rm(dir, { recursive: true, force: true });
      }
    }, 120_000);
  });
});

import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../support/process.js';
import { requireRedisServer } from '../support/redis-server.js';
import { call, LocalNginx, requireNginx, startTopology, type Topology } from '../support/nginx.js';

/** The instances (by port) that answered the requests nginx logged, with their counts. */
async function upstreamCounts(nginx: LocalNginx, path: string): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  for (const line of (await nginx.accessLog()).split('\n')) {
    if (!line.includes(` ${path} `)) continue;
    const addr = /upstream=(\S+)/.exec(line)?.[1];
    if (addr && addr !== '-') counts.set(addr, (counts.get(addr) ?? 0) + 1);
  }
  return counts;
}

describe.runIf(requireNginx() && requireRedisServer())('nginx in front of 2 instances', () => {
  let t: Topology;

  beforeAll(async () => {
    t = await startTopology(2, {
      RATE_LIMIT_ENABLED: 'true',
      RATE_LIMIT_PER_MINUTE: '5',
      MAX_UPLOAD_MB: '1',
    });
  });

  afterAll(async () => {
    await t?.stop();
  });

  it('balances requests over both instances (least_conn)', async () => {
    for (let i = 0; i < 20; i++)
      expect((await call(t.nginx.port, '/health/live')).status).toBe(200);
    const counts = await upstreamCounts(t.nginx, '/health/live');
    expect([...counts.keys()].sort()).toEqual(t.instances.map((a) => `127.0.0.1:${a.port}`).sort());
    for (const n of counts.values()) expect(n).toBeGreaterThanOrEqual(3);
  });

  it('passes the real client address: the limiter counts per client, a forged X-Forwarded-For changes nothing', async () => {
    // two clients on two loopback addresses; nginx connects to the instances from 127.0.0.1,
    // the one address they trust
    const statuses: number[] = [];
    for (let i = 0; i < 7; i++) {
      const res = await call(t.nginx.port, '/api/v1/states', {
        from: '127.0.0.2',
        headers: { 'x-forwarded-for': `198.51.100.${i}` },
      });
      statuses.push(res.status);
    }
    // one budget of 5 for 127.0.0.2, whichever instance counted (shared in Redis)
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429, 429]);
    const other = await call(t.nginx.port, '/api/v1/states', { from: '127.0.0.3' });
    expect(other.status).toBe(200);
    expect(other.headers['ratelimit-remaining']).toBe('4');
  });

  it('serves /uploads itself, with the one-month immutable cache', async () => {
    await mkdir(join(t.uploadDir, 'spas'), { recursive: true });
    await writeFile(join(t.uploadDir, 'spas', 'photo.webp'), Buffer.from('RIFF....WEBP'));
    const res = await call(t.nginx.port, '/uploads/spas/photo.webp');
    expect(res.status).toBe(200);
    expect(res.body).toBe('RIFF....WEBP');
    expect(res.headers['cache-control']).toBe('public, max-age=2592000, immutable');
    expect(res.headers['content-type']).toBe('image/webp');
    expect(res.headers['x-request-id']).toBeUndefined(); // no instance was asked
    expect((await call(t.nginx.port, '/uploads/spas/missing.webp')).status).toBe(404);
    expect((await upstreamCounts(t.nginx, '/uploads/spas/photo.webp')).size).toBe(0);
  });

  it('answers 413 itself above MAX_UPLOAD_MB (+1 MB of multipart envelope)', async () => {
    const res = await call(t.nginx.port, '/api/v1/uploads/resume', {
      method: 'POST',
      body: Buffer.alloc(2 * 2 ** 20 + 1, 'a'),
      headers: { 'content-type': 'application/octet-stream' },
    });
    expect(res.status).toBe(413);
    expect(res.headers.server).toBe('nginx');
    expect(res.headers['x-request-id']).toBeUndefined();
  });
});

/** An upstream that reads each request and drops the connection without an answer. */
async function failingUpstream(): Promise<{ server: Server; port: number; seen: string[] }> {
  const seen: string[] = [];
  const server = createServer((req, res) => {
    seen.push(req.method!);
    req.resume();
    req.on('end', () => res.socket?.destroy());
  });
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return { server, port, seen };
}

describe.runIf(requireNginx())('nginx retries to the next upstream', () => {
  let dir: string;
  let nginx: LocalNginx | undefined;
  const servers: Server[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'spajobs-nginx-retry-'));
  });

  afterEach(async () => {
    await nginx?.stop();
    nginx = undefined;
    for (const s of servers.splice(0)) await new Promise((r) => s.close(r));
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('never sends a POST or PATCH that reached an instance to another one; retries a GET', async () => {
    const a = await failingUpstream();
    const b = await failingUpstream();
    servers.push(a.server, b.server);
    nginx = await LocalNginx.start({
      dir: join(dir, 'stubs'),
      port: await freePort(),
      upstreams: [
        { host: '127.0.0.1', port: a.port },
        { host: '127.0.0.1', port: b.port },
      ],
      uploadDir: dir,
      maxUploadMb: 1,
    });
    const seen = () => [...a.seen, ...b.seen];
    // a failed instance is left alone for fail_timeout (2 s here, counted in whole seconds)
    const failTimeout = () => new Promise((r) => setTimeout(r, 3100));

    // an idempotent request is tried on the other instance too
    expect((await call(nginx.port, '/api/v1/jobs')).status).toBe(502);
    expect(seen()).toEqual(['GET', 'GET']);
    await failTimeout();
    expect(
      (await call(nginx.port, '/api/v1/jobs', { method: 'POST', body: { x: 1 } })).status,
    ).toBe(502);
    expect(seen()).toEqual(['GET', 'GET', 'POST']);
    await failTimeout();
    expect((await call(nginx.port, '/api/v1/jobs/1', { method: 'PATCH', body: {} })).status).toBe(
      502,
    );
    expect(seen()).toEqual(['GET', 'GET', 'POST', 'PATCH']);
  });

  it('sends a POST on to the next instance when the first refused the connection (nothing was sent)', async () => {
    const ok = createServer((req, res) => {
      req.resume();
      req.on('end', () => res.writeHead(201, { 'content-type': 'application/json' }).end('{}'));
    });
    const okPort = await freePort();
    await new Promise<void>((resolve) => ok.listen(okPort, '127.0.0.1', resolve));
    servers.push(ok);
    nginx = await LocalNginx.start({
      dir: join(dir, 'refused'),
      port: await freePort(),
      // the first is a stopped instance: nothing listens there
      upstreams: [
        { host: '127.0.0.1', port: await freePort() },
        { host: '127.0.0.1', port: okPort },
      ],
      uploadDir: dir,
      maxUploadMb: 1,
    });
    for (let i = 0; i < 4; i++)
      expect((await call(nginx.port, '/api/v1/jobs', { method: 'POST', body: { i } })).status).toBe(
        201,
      );
  });
});

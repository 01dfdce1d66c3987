import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, runServer, type RunningProcess } from '../support/process.js';
import { waitFor } from '../support/wait.js';

/** The built server, started the way `npm start` starts it. */
describe('server process', () => {
  it.each([
    ['PORT', 'eighty'],
    ['DATABASE_TYPE', 'mysql'],
    ['RATE_LIMIT_PER_MINUTE', '-5'],
  ])('refuses to boot with %s=%s and names the variable', async (name, value) => {
    const server = runServer({ [name]: value });
    expect(await server.exited).toBe(1);
    expect(server.output()).toContain(name);
  });

  it('refuses to boot in production without a SECRET_KEY', async () => {
    const server = runServer({ NODE_ENV: 'production', DATABASE_TYPE: 'postgresql' });
    expect(await server.exited).toBe(1);
    expect(server.output()).toContain('SECRET_KEY');
  });

  it('serves demo data on the embedded database and keeps it across a restart', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'spajobs-boot-'));
    const port = await freePort();
    const env = {
      PORT: String(port),
      HOST: '127.0.0.1',
      DATA_DIR: join(dir, 'data'),
      UPLOAD_DIR: join(dir, 'uploads'),
    };
    const base = `http://127.0.0.1:${port}`;
    const started: RunningProcess[] = [];
    const ready = () =>
      waitFor(
        async () => (await fetch(`${base}/health/ready`).catch(() => null))?.status === 200,
        60_000,
      );
    try {
      const first = runServer(env);
      started.push(first);
      expect(await ready()).toBe(true);
      const states = (await (await fetch(`${base}/api/v1/states`)).json()) as { data: unknown[] };
      expect(states.data).toHaveLength(50);
      // development's first screen: short human-readable lines, no JSON and no route-by-route
      // chatter, ending with where to go and how to log in
      const screen = first.output().trim().split('\n');
      expect(screen.filter((line) => line.startsWith('{'))).toEqual([]);
      expect(screen.length).toBeLessThan(20);
      expect(first.output()).not.toContain('Mapped {');
      const urls = screen.findIndex((line) => line.includes(`docs http://127.0.0.1:${port}/docs`));
      expect(urls).toBeGreaterThan(0);
      expect(screen[urls + 1]).toMatch(/demo logins: admin@spajobs\.local \/ spajobs-admin-demo/);
      expect(screen[urls + 2]).toMatch(
        /mails \(no MAIL_URL\): written to \S+outbox as \.eml files/,
      );
      // then only requests, and the demo's mails as the queue writes them to the outbox
      expect(
        screen
          .slice(urls + 3)
          .filter((line) => !/ GET \/api\/v1\/states 200 |\[MailService\] mail "/.test(line)),
      ).toEqual([]);
      // Nest re-raises the signal once its shutdown hooks ran; the released lock shows they did.
      first.child.kill('SIGINT');
      expect(await first.exited).toBe('SIGINT');
      expect(existsSync(join(dir, 'data', 'pglite.pid'))).toBe(false);

      const second = runServer(env);
      started.push(second);
      expect(await ready()).toBe(true);
      const again = (await (await fetch(`${base}/api/v1/states`)).json()) as { data: unknown[] };
      expect(again.data).toHaveLength(50);
      expect(second.output()).not.toContain('Demo data seeded');
      second.child.kill('SIGTERM');
      expect(await second.exited).toBe('SIGTERM');
      expect(existsSync(join(dir, 'data', 'pglite.pid'))).toBe(false);
    } finally {
      // a failed assertion must not leave a server holding the port and the data directory
      for (const server of started) server.child.kill('SIGKILL');
      await rm(dir, { recursive: true, force: true });
    }
  });
});

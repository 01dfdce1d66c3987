import { join, resolve } from 'node:path';
import { loadConfig } from '../config/app-config.js';

describe('mail and queue configuration', () => {
  it('defaults: no MAIL_URL (the outbox under DATA_DIR), workers on', () => {
    const config = loadConfig({ DATA_DIR: './somewhere' });
    expect(config.mail).toEqual({
      url: undefined,
      from: 'spajobs <no-reply@spajobs.local>',
      outboxDir: resolve(join('./somewhere', 'outbox')),
    });
    expect(config.publicUrl).toBe('http://localhost:8010');
    expect(config.queue).toMatchObject({
      workersEnabled: true,
      retryLimit: 10,
      pollIntervalSeconds: 2,
    });
  });

  it('takes smtp:// and smtps:// URLs, a bare or named sender, and WORKERS_ENABLED=false', () => {
    const config = loadConfig({
      MAIL_URL: 'smtps://user:secret@smtp.example.com:465',
      MAIL_FROM: 'no-reply@example.com',
      PUBLIC_URL: 'https://jobs.example.com/',
      WORKERS_ENABLED: 'false',
    });
    expect(config.mail.url).toBe('smtps://user:secret@smtp.example.com:465');
    expect(config.mail.from).toBe('no-reply@example.com');
    expect(config.publicUrl).toBe('https://jobs.example.com');
    expect(config.queue.workersEnabled).toBe(false);
  });

  it.each([
    ['MAIL_URL', 'http://smtp.example.com'],
    ['MAIL_FROM', 'not an address'],
    ['PUBLIC_URL', 'ftp://example.com'],
    ['WORKERS_ENABLED', 'sometimes'],
    ['QUEUE_POLL_INTERVAL_MS', '100'],
    ['QUEUE_RETRY_LIMIT', '-1'],
  ])('refuses a bad %s, naming it', (name, value) => {
    expect(() => loadConfig({ [name]: value })).toThrow(name);
  });
});

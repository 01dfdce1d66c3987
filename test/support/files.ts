import { readdir } from 'node:fs/promises';
import { join, relative } from 'node:path';
import type { Response } from 'supertest';
import { PostgresQueryRunner } from 'typeorm/driver/postgres/PostgresQueryRunner.js';
import type { TestApp } from './create-test-app.js';

/** Every file under `dir` (none if it does not exist), as sorted paths relative to it. */
export async function filesIn(dir: string): Promise<string[]> {
  try {
    const entries = await readdir(dir, { recursive: true, withFileTypes: true });
    return entries
      .filter((e) => e.isFile())
      .map((e) => relative(dir, join(e.parentPath, e.name)))
      .sort();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}

/** The files an app has stored: public uploads and private resumes. */
export async function storedFiles(t: TestApp): Promise<{ uploads: string[]; resumes: string[] }> {
  return {
    uploads: await filesIn(t.config.uploads.publicDir),
    resumes: await filesIn(t.config.uploads.resumeDir),
  };
}

/** A supertest parser that reads any response body as raw bytes. */
export function binary(res: Response, done: (err: Error | null, body: Buffer) => void): void {
  const chunks: Buffer[] = [];
  res.on('data', (c: Buffer) => chunks.push(c));
  res.on('end', () => done(null, Buffer.concat(chunks)));
}

/**
 * Runs `fn` and returns the SQL statements TypeORM sent meanwhile, leaving out the queue relay's
 * transactions (its sweep runs every second, whatever `fn` does). A transaction is one query
 * runner, so the relay's are the runners that emptied the outbox.
 */
export async function queriesDuring(fn: () => Promise<unknown>): Promise<string[]> {
  const spy = vi.spyOn(PostgresQueryRunner.prototype, 'query');
  try {
    await fn();
    const sent = spy.mock.calls.map((c, i) => ({ sql: String(c[0]), by: spy.mock.contexts[i] }));
    const relays = new Set(
      sent.filter((q) => q.sql.includes('DELETE FROM queue_outbox')).map((q) => q.by),
    );
    return sent.filter((q) => !relays.has(q.by)).map((q) => q.sql);
  } finally {
    spy.mockRestore();
  }
}

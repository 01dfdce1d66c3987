import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import { IN_MEMORY } from '../config/app-config.js';

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * PGlite (PostgreSQL compiled to WebAssembly) served on a loopback port chosen by the OS,
 * so the ordinary `pg` driver, pool and migrations work unchanged and no real PostgreSQL
 * port is ever taken. Every socket connection shares PGlite's single session.
 */
export class EmbeddedPostgres {
  private constructor(
    private readonly db: PGlite,
    private readonly server: PGLiteSocketServer,
    private readonly lockFile: string | undefined,
  ) {}

  /** `dataDir` is a directory (created if missing) or `memory://` for a throw-away database. */
  static async start(dataDir: string, maxConnections: number): Promise<EmbeddedPostgres> {
    const lockFile = dataDir === IN_MEMORY ? undefined : await EmbeddedPostgres.lock(dataDir);
    try {
      const db = await PGlite.create(dataDir === IN_MEMORY ? undefined : join(dataDir, 'pglite'));
      const server = new PGLiteSocketServer({ db, host: '127.0.0.1', port: 0, maxConnections });
      await server.start();
      return new EmbeddedPostgres(db, server, lockFile);
    } catch (err) {
      if (lockFile) await rm(lockFile, { force: true });
      throw err;
    }
  }

  /** PGlite has no lock of its own: two processes on one directory would corrupt it. */
  private static async lock(dataDir: string): Promise<string> {
    await mkdir(dataDir, { recursive: true });
    const lockFile = join(dataDir, 'pglite.pid');
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        await writeFile(lockFile, String(process.pid), { flag: 'wx' });
        return lockFile;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
        const owner = Number((await readFile(lockFile, 'utf8').catch(() => '')).trim());
        if (owner && owner !== process.pid && isRunning(owner)) {
          throw new Error(
            `The embedded database in ${dataDir} is in use by process ${owner}. ` +
              'Stop it, or run several workers with WEB_CONCURRENCY (they share one embedded server).',
          );
        }
        await rm(lockFile, { force: true }); // left behind by a process that died
      }
    }
    throw new Error(`Could not lock the embedded database in ${dataDir}`);
  }

  get url(): string {
    return `postgresql://postgres@${this.server.getServerConn()}/postgres`;
  }

  async stop(): Promise<void> {
    await this.server.stop();
    await this.db.close();
    if (this.lockFile) await rm(this.lockFile, { force: true });
  }
}

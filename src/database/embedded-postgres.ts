import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import { Logger } from '@nestjs/common';
import { IN_MEMORY } from '../config/app-config.js';

/**
 * PostgreSQL's own default of 128 MB shared buffers lives in PGlite's WebAssembly memory, which
 * is written in full at boot and never shrinks: ~150 MB of RSS for a demo database of 10 MB.
 * 32 MB holds three times the demo data; past it pages come from the files through the OS page
 * cache. Measured in bench/README.md, "Memory".
 */
const SETTINGS = ['shared_buffers=32MB'];

/**
 * How long a transaction may sit idle: PostgreSQL's `idle_in_transaction_session_timeout` (set by
 * data-source.ts), and here how long one may keep the other connections waiting without sending
 * anything before its connection is closed and its transaction rolled back. On the one shared
 * session an abandoned transaction, or one waiting on another connection, would otherwise stop
 * every connection for good.
 */
export const IDLE_IN_TRANSACTION_MS = 60_000;

/** Frontend messages that open or continue an extended-protocol exchange, which ends at Sync ('S'). */
const EXTENDED_PROTOCOL = new Set(['P', 'B', 'D', 'E', 'C', 'H']);

interface QueuedMessage {
  handlerId: number;
  message: Uint8Array;
  onData: (data: Uint8Array) => void;
  resolve: (bytes: number) => void;
  reject: (err: unknown) => void;
}

/**
 * Replaces pglite-socket's query queue, which interleaves the connections' messages one by one
 * outside transactions. Every connection shares PGlite's one session, where a simple query from
 * one connection (say TypeORM's START TRANSACTION) destroys the unnamed statement another
 * connection has just parsed ("unnamed prepared statement does not exist"). This queue keeps a
 * connection's extended-protocol exchange (Parse … Sync) together, and its transactions, as the
 * original did.
 */
class ProtocolAwareQueue {
  private queue: QueuedMessage[] = [];
  private processing = false;
  /** The connection in the middle of a Parse … Sync exchange. */
  private exchangeOwner: number | null = null;
  private lastHandlerId: number | null = null;
  /** Set while the pinned connection keeps queued messages waiting and sends nothing. */
  private stall?: { owner: number; timer: NodeJS.Timeout };

  constructor(
    private readonly db: PGlite,
    private readonly idleInTransactionMs: number,
    /** Closes a connection (its transaction is rolled back as it detaches). */
    private readonly close: (handlerId: number) => void,
  ) {}

  enqueue(
    handlerId: number,
    message: Uint8Array,
    onData: (data: Uint8Array) => void,
  ): Promise<number> {
    return new Promise((resolve, reject) => {
      this.queue.push({ handlerId, message, onData, resolve, reject });
      void this.process();
    });
  }

  getQueueLength(): number {
    return this.queue.length;
  }

  clearQueueForHandler(handlerId: number): void {
    this.queue = this.queue.filter((m) => {
      if (m.handlerId !== handlerId) return true;
      m.reject(new Error('Handler disconnected'));
      return false;
    });
    if (this.exchangeOwner === handlerId) this.exchangeOwner = null;
  }

  async clearTransactionIfNeeded(handlerId: number): Promise<void> {
    if (this.db.isInTransaction() && this.lastHandlerId === handlerId) {
      await this.db.exec('ROLLBACK');
      this.lastHandlerId = null;
    }
    void this.process();
  }

  /** Whose messages must come next: the owner of an exchange or of a transaction, if any. */
  private pinned(): number | null {
    if (this.exchangeOwner !== null) return this.exchangeOwner;
    return this.db.isInTransaction() ? this.lastHandlerId : null;
  }

  private watch(owner: number): void {
    if (this.stall?.owner === owner) return;
    this.unwatch();
    const timer = setTimeout(() => {
      this.stall = undefined;
      if (this.pinned() !== owner) return;
      new Logger('EmbeddedPostgres').warn(
        `connection #${owner} held a transaction for ${this.idleInTransactionMs} ms without a ` +
          `statement while ${this.queue.length} message(s) of other connections waited: closed, ` +
          'its transaction rolled back',
      );
      this.close(owner);
    }, this.idleInTransactionMs);
    this.stall = { owner, timer: timer.unref() };
  }

  private unwatch(): void {
    clearTimeout(this.stall?.timer);
    this.stall = undefined;
  }

  private async process(): Promise<void> {
    if (this.processing) return;
    this.processing = true;
    try {
      while (this.queue.length > 0) {
        const pin = this.pinned();
        const index = pin === null ? 0 : this.queue.findIndex((m) => m.handlerId === pin);
        // the pinned connection's next message has not arrived yet: the others wait, for so long
        if (index < 0) return this.watch(pin!);
        this.unwatch();
        const [item] = this.queue.splice(index, 1);
        const type = String.fromCharCode(item.message[0]);
        let bytes = 0;
        try {
          await this.db.runExclusive(() =>
            this.db.execProtocolRawStream(item.message, {
              onRawData: (data: Uint8Array) => {
                bytes += data.length;
                item.onData(data);
              },
            }),
          );
        } catch (err) {
          item.reject(err);
          continue;
        }
        this.lastHandlerId = item.handlerId;
        if (EXTENDED_PROTOCOL.has(type)) this.exchangeOwner = item.handlerId;
        else if (type === 'S' && this.exchangeOwner === item.handlerId) this.exchangeOwner = null;
        item.resolve(bytes);
      }
    } finally {
      this.processing = false;
    }
  }
}

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
  static async start(
    dataDir: string,
    maxConnections: number,
    idleInTransactionMs = IDLE_IN_TRANSACTION_MS,
  ): Promise<EmbeddedPostgres> {
    const lockFile = dataDir === IN_MEMORY ? undefined : await EmbeddedPostgres.lock(dataDir);
    try {
      const db = await PGlite.create(dataDir === IN_MEMORY ? undefined : join(dataDir, 'pglite'), {
        startParams: [...PGlite.defaultStartParams, ...SETTINGS.flatMap((s) => ['-c', s])],
      });
      const server = new PGLiteSocketServer({ db, host: '127.0.0.1', port: 0, maxConnections });
      // pglite-socket 0.2 hands this queue to every connection it accepts
      const internals = server as unknown as {
        queryQueue: ProtocolAwareQueue;
        handlers: Set<{ handlerId: number; handleError(err: Error): void }>;
      };
      internals.queryQueue = new ProtocolAwareQueue(db, idleInTransactionMs, (id) => {
        // as its own idle timeout does: the server forgets the handler, which detaches and closes
        for (const handler of internals.handlers)
          if (handler.handlerId === id) handler.handleError(new Error('idle in transaction'));
      });
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

import { randomBytes } from 'node:crypto';
import { Logger } from '@nestjs/common';
import pg from 'pg';
import type { DataSource } from 'typeorm';
import { parseLsn, type Lsn } from './lsn.js';

/** One channel per database: NOTIFY reaches only the listeners of the database it is sent in. */
export const INVALIDATION_CHANNEL = 'spajobs_cache_invalidate';
/** The listener's barrier query and its connection attempts give up after this. */
const CHANNEL_TIMEOUT_MS = 1000;
const RECONNECT_MIN_MS = 100;
const RECONNECT_MAX_MS = 2000;

export interface Invalidation {
  tags: string[];
  /** The primary's WAL position read after the write committed. */
  lsn: Lsn;
  /** The writer could not bump the versions in Redis: a process that can should. */
  bumpShared: boolean;
}

/**
 * Cache invalidations over PostgreSQL: `pg_notify` through the pool right after the write commits
 * (in the statement that reads the fence, so it costs no extra round trip), and `LISTEN` on one
 * dedicated connection per process. Works with Redis down or absent.
 *
 * `barrier()` makes it exact: PostgreSQL signals every listener when a notifying transaction
 * commits (before that writer's client hears of the commit), and a listening backend sends what
 * it was signalled before its next ReadyForQuery; node-pg emits notifications in wire order. So
 * once a `SELECT 1` sent on the listening connection has answered, every invalidation committed
 * before it was sent has been delivered here.
 */
export class InvalidationChannel {
  private readonly logger = new Logger('Invalidation');
  /** Tells this process's own notifications apart (they are applied before they are sent). */
  private readonly origin = randomBytes(6).toString('hex');
  private client?: pg.Client;
  private listening = false;
  private stopped = false;
  private delay = RECONNECT_MIN_MS;
  private lostSince?: number;
  private running?: Promise<boolean>;
  private queued?: Promise<boolean>;

  constructor(
    private readonly url: string,
    private readonly primary: DataSource,
    private readonly onInvalidation: (inv: Invalidation) => void,
    /** After each (re)LISTEN: whatever was sent meanwhile is lost, so the caller starts over. */
    private readonly onListening: () => Promise<void>,
  ) {}

  get isListening(): boolean {
    return this.listening;
  }

  /** Listens; resolves once listening or after the first attempt failed (retried in background). */
  async start(): Promise<void> {
    await this.connect();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.listening = false;
    await this.client?.end().catch(() => undefined);
  }

  /**
   * Sends an invalidation from the pool, after the write's commit, and returns the primary's WAL
   * position read in that statement (the fence for replica reads).
   */
  async publish(tags: string[], bumpShared = false): Promise<Lsn> {
    const head = `${this.origin}|${tags.join(',')}|${bumpShared ? 1 : 0}|`;
    const rows = await this.primary.query<Array<{ lsn: string }>>(
      'SELECT l::text AS lsn, pg_notify($1, $2 || l::text) FROM pg_current_wal_lsn() AS l',
      [INVALIDATION_CHANNEL, head],
    );
    return parseLsn(rows[0].lsn);
  }

  /**
   * Resolves true once every invalidation committed before the call has been applied here; false
   * when the channel is not listening (then nothing is known of other processes' writes).
   * Concurrent callers share one round trip (at most one in flight and one queued).
   */
  barrier(): Promise<boolean> {
    if (!this.listening) return Promise.resolve(false);
    if (!this.queued) {
      const after = this.running ?? Promise.resolve(true);
      const queued: Promise<boolean> = after.then(() => {
        this.queued = undefined;
        const running = this.ping().finally(() => {
          if (this.running === running) this.running = undefined;
        });
        this.running = running;
        return running;
      });
      this.queued = queued;
    }
    return this.queued;
  }

  private async ping(): Promise<boolean> {
    const client = this.client;
    if (!client || !this.listening) return false;
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        client.query('SELECT 1'),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error('no answer')), CHANNEL_TIMEOUT_MS);
        }),
      ]);
      return true;
    } catch (err) {
      this.lost(client, err);
      return false;
    } finally {
      clearTimeout(timer);
    }
  }

  private async connect(): Promise<void> {
    if (this.stopped) return;
    const client = new pg.Client({
      connectionString: this.url,
      application_name: 'spajobs-listen',
      connectionTimeoutMillis: CHANNEL_TIMEOUT_MS,
      keepAlive: true,
    });
    client.on('notification', (msg) => {
      if (msg.channel === INVALIDATION_CHANNEL && msg.payload) this.receive(msg.payload);
    });
    client.on('error', (err) => this.lost(client, err));
    client.on('end', () => this.lost(client, new Error('connection closed')));
    this.client = client;
    try {
      await client.connect();
      await client.query(`LISTEN ${INVALIDATION_CHANNEL}`);
      this.listening = true;
      await this.onListening();
      this.delay = RECONNECT_MIN_MS;
      if (this.lostSince !== undefined) {
        this.logger.log(`Listening again after ${Date.now() - this.lostSince} ms`);
        this.lostSince = undefined;
      }
    } catch (err) {
      this.lost(client, err);
    }
  }

  private lost(client: pg.Client, err: unknown): void {
    if (client !== this.client) return;
    this.client = undefined;
    this.listening = false;
    client.removeAllListeners('end');
    client.on('error', () => undefined);
    void client.end().catch(() => undefined);
    if (this.stopped) return;
    if (this.lostSince === undefined) {
      this.lostSince = Date.now();
      this.logger.warn(
        `Not listening for invalidations (${(err as Error)?.message ?? String(err)}); ` +
          'while Redis is down too, cached reads are not served',
      );
    }
    const wait = this.delay;
    this.delay = Math.min(this.delay * 2, RECONNECT_MAX_MS);
    setTimeout(() => void this.connect(), wait).unref();
  }

  private receive(payload: string): void {
    const [origin, tags, bumpShared, lsn] = payload.split('|');
    if (origin === this.origin || !tags || !lsn) return;
    try {
      this.onInvalidation({
        tags: tags.split(','),
        lsn: parseLsn(lsn),
        bumpShared: bumpShared === '1',
      });
    } catch (err) {
      this.logger.warn(`Ignored a malformed invalidation (${(err as Error).message})`);
    }
  }
}

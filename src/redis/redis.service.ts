import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationShutdown,
  type OnModuleInit,
} from '@nestjs/common';
import { createClient, ErrorReply } from '@redis/client';
import type { AppConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/config.module.js';
import { ClusterConnection } from './redis-cluster.connection.js';

/** Every call gives up after this long, so a dead or stalled Redis never stalls a request. */
export const REDIS_TIMEOUT_MS = 250;
/** After a timeout Redis is left alone this long, so a stalled server costs one timeout per window. */
const PAUSE_AFTER_TIMEOUT_MS = 2000;
const CONNECT_TIMEOUT_MS = 1000;

export class RedisTimeoutError extends Error {
  constructor() {
    super(`Redis did not answer within ${REDIS_TIMEOUT_MS} ms`);
  }
}

function buildClient(url: string) {
  return createClient({
    url,
    disableOfflineQueue: true,
    socket: {
      connectTimeout: CONNECT_TIMEOUT_MS,
      reconnectStrategy: (retries: number) => Math.min(50 * 2 ** Math.min(retries, 6), 2000),
    },
  });
}

export type RedisClient = ReturnType<typeof buildClient>;

export interface RedisMulti {
  set(key: string, value: string | number, options?: { NX?: true }): RedisMulti;
  incr(key: string): RedisMulti;
  exec(): Promise<unknown>;
}

interface ScriptCall {
  keys: string[];
  arguments: string[];
}

/**
 * The commands the app sends, alike on a single server and on a cluster (where the keys of one
 * call must share a slot: see `key`).
 */
export interface RedisCommands {
  get(key: string): Promise<string | null>;
  set(key: string, value: string, options?: { PX?: number }): Promise<unknown>;
  del(key: string): Promise<number>;
  mGet(keys: string[]): Promise<Array<string | null>>;
  evalSha(sha1: string, call: ScriptCall): Promise<unknown>;
  eval(script: string, call: ScriptCall): Promise<unknown>;
  multi(): RedisMulti;
}

/** What /health reports about Redis. */
export type RedisState =
  { mode: 'single' } | { mode: 'cluster'; masters: Array<{ address: string; ready: boolean }> };

/** Replies and client errors that mean "Redis is unavailable right now" (not a bad command). */
const UNAVAILABLE_REPLY = /^(CLUSTERDOWN|TRYAGAIN|MASTERDOWN|LOADING)\b/;
function unavailable(err: unknown): boolean {
  return err instanceof ErrorReply ? UNAVAILABLE_REPLY.test(err.message) : err instanceof Error;
}
/** How long boot waits for a first connection before serving from memory. */
const BOOT_WAIT_MS = 1500;

/**
 * The process's one Redis connection (cache, cache versions, rate limits) — to a single server
 * (REDIS_URL) or to a Redis Cluster (REDIS_CLUSTER_NODES), behind the same surface — built to
 * fail fast: no offline queue (a command sent while disconnected is refused at once), every call
 * `bounded` in time, and endless background reconnection with backoff (on a cluster, also to the
 * replica promoted in place of a failed master: see ClusterConnection). Callers check `ready` and
 * treat any error as "Redis unavailable", falling back to memory.
 */
@Injectable()
export class RedisService implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('Redis');
  private readonly single?: RedisClient;
  private readonly cluster?: ClusterConnection;
  private readonly reconnectListeners: Array<() => void> = [];
  private readonly readyListeners: Array<() => void> = [];
  private connectedOnce = false;
  private inOutage = false;
  private pausedUntil = 0;
  private lastAnswerAt = 0;

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {
    if (!config.redis.enabled) return;
    const onError = (reason: string) => this.outage(reason);
    if (config.redis.clusterNodes.length > 0) {
      this.cluster = new ClusterConnection(
        config.redis.clusterNodes,
        { connectMs: CONNECT_TIMEOUT_MS, answerMs: REDIS_TIMEOUT_MS },
        {
          error: onError,
          ready: () => {
            this.pausedUntil = 0; // a fresh connection: whatever stalled is behind it
            this.connected();
          },
        },
      );
      return;
    }
    const client = buildClient(config.redis.url);
    client.on('error', (err: Error) => onError(`unavailable (${err.message})`));
    client.on('ready', () => this.connected());
    this.single = client;
  }

  get enabled(): boolean {
    return this.config.redis.enabled;
  }

  /** On a Redis Cluster: keys given a slot in `key` are placed together. */
  get clustered(): boolean {
    return this.cluster !== undefined;
  }

  /**
   * The connection in use (it changes when a cluster's topology does: read it for each call).
   * Both clients are RedisCommands as they are: the compiler checks the one surface.
   */
  get client(): RedisCommands | undefined {
    return this.cluster ? this.cluster.current : this.single;
  }

  /** Connected (to every master of a cluster), and not stalled a moment ago: worth a command. */
  get ready(): boolean {
    const up = this.cluster ? this.cluster.ready : (this.single?.isReady ?? false);
    return up && Date.now() >= this.pausedUntil;
  }

  state(): RedisState {
    return this.cluster ? { mode: 'cluster', masters: this.cluster.masters } : { mode: 'single' };
  }

  private connected(): void {
    for (const listener of this.readyListeners) listener();
    if (!this.connectedOnce)
      this.logger.log(this.cluster ? 'Redis Cluster connected' : 'Redis connected');
    this.connectedOnce = true;
    this.recovered();
  }

  /**
   * Bounds a Redis call in time. A timeout only counts as a stall — Redis set aside for a moment,
   * see `ready` — when Redis has answered nothing at all since the call was sent: under heavy load
   * this process, not Redis, is what is slow. And the timer lets pending I/O be read first, since
   * on a busy event loop timers run before the replies already waiting on the socket.
   * (node-redis' own per-command timeout builds an AbortSignal and a DOMException per command:
   * a measurable share of CPU at thousands of requests per second.)
   */
  bounded<T>(call: Promise<T>): Promise<T> {
    const sentAt = Date.now();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          setImmediate(() => {
            // on a cluster the other masters' answers say nothing of this one: it is pinged
            this.cluster?.stalled();
            if (this.lastAnswerAt < sentAt) {
              this.pausedUntil = Date.now() + PAUSE_AFTER_TIMEOUT_MS;
              this.outage(`stalled (no answer in ${REDIS_TIMEOUT_MS} ms)`);
            }
            reject(new RedisTimeoutError());
          }),
        REDIS_TIMEOUT_MS,
      );
    });
    return Promise.race([call, timeout]).then(
      (value) => {
        clearTimeout(timer);
        this.lastAnswerAt = Date.now();
        this.recovered();
        return value;
      },
      (err: unknown) => {
        clearTimeout(timer);
        // on a cluster a failing master shows as refused commands (offline, CLUSTERDOWN), not
        // always as a connection error: either way, versions are bumped once it answers again
        if (!(err instanceof RedisTimeoutError) && unavailable(err))
          this.outage(`unavailable (${(err as Error).message})`);
        throw err;
      },
    );
  }

  private outage(reason: string): void {
    if (this.inOutage) return;
    this.inOutage = true;
    this.logger.warn(`Redis ${reason}; serving from memory until it answers again`);
  }

  /** The first answer after an outage: Redis is used again, and told what happened meanwhile. */
  private recovered(): void {
    if (!this.inOutage) return;
    this.inOutage = false;
    if (!this.connectedOnce) return;
    this.logger.log('Redis answers again');
    for (const listener of this.reconnectListeners) listener();
  }

  /**
   * Namespaced key: several apps (or test runs) can share one Redis. `slot`: on a cluster, keys
   * given the same slot carry it as their hash tag (`{<prefix><slot>}:<name>`), so that one script,
   * MGET or MULTI may use them together; on a single server the key is just `<prefix><name>`.
   */
  key(name: string, slot?: string): string {
    const prefix = this.config.redis.keyPrefix;
    return slot !== undefined && this.cluster ? `{${prefix}${slot}}:${name}` : `${prefix}${name}`;
  }

  /** Called on every (re)connection. */
  onReady(listener: () => void): void {
    this.readyListeners.push(listener);
  }

  /** Called when Redis answers again after an outage or a stall (not on the first connection). */
  onReconnect(listener: () => void): void {
    this.reconnectListeners.push(listener);
  }

  async onModuleInit(): Promise<void> {
    if (!this.enabled) return;
    const connecting = (this.cluster ? this.cluster.start() : this.single!.connect()).catch(
      () => undefined,
    );
    await Promise.race([connecting, new Promise((r) => setTimeout(r, BOOT_WAIT_MS).unref())]);
    if (!this.ready)
      this.logger.warn('Redis not reachable at boot; serving from memory until it is');
  }

  /** Every server in use answers (each master of a cluster). */
  async ping(): Promise<boolean> {
    if (!this.ready) return false;
    if (this.cluster) return this.cluster.ping(REDIS_TIMEOUT_MS);
    try {
      return (await this.bounded(this.single!.ping())) === 'PONG';
    } catch {
      return false;
    }
  }

  onApplicationShutdown(): void {
    this.cluster?.close();
    if (this.single?.isOpen) this.single.destroy();
  }
}

import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationShutdown,
  type OnModuleInit,
} from '@nestjs/common';
import { createClient } from '@redis/client';
import type { AppConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/config.module.js';

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
/** How long boot waits for a first connection before serving from memory. */
const BOOT_WAIT_MS = 1500;

/**
 * The process's one Redis connection (cache, cache versions, rate limits), built to fail fast:
 * no offline queue (a command sent while disconnected is refused at once), every call `bounded`
 * in time, and endless background reconnection with backoff. Callers check `ready` and treat
 * any error as "Redis unavailable", falling back to memory.
 */
@Injectable()
export class RedisService implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('Redis');
  readonly client?: RedisClient;
  private readonly reconnectListeners: Array<() => void> = [];
  private readonly readyListeners: Array<() => void> = [];
  private connectedOnce = false;
  private inOutage = false;
  private pausedUntil = 0;
  private lastAnswerAt = 0;

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {
    if (!config.redis.enabled) return;
    const client = buildClient(config.redis.url);
    client.on('error', (err: Error) => this.outage(`unavailable (${err.message})`));
    client.on('ready', () => {
      for (const listener of this.readyListeners) listener();
      if (!this.connectedOnce) this.logger.log('Redis connected');
      this.connectedOnce = true;
      this.recovered();
    });
    this.client = client;
  }

  get enabled(): boolean {
    return this.client !== undefined;
  }

  /** Connected, and not stalled a moment ago: worth sending a command to. */
  get ready(): boolean {
    return (this.client?.isReady ?? false) && Date.now() >= this.pausedUntil;
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

  /** Namespaced key: several apps (or test runs) can share one Redis. */
  key(name: string): string {
    return `${this.config.redis.keyPrefix}${name}`;
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
    if (!this.client) return;
    const connecting = this.client.connect().catch(() => undefined);
    await Promise.race([connecting, new Promise((r) => setTimeout(r, BOOT_WAIT_MS).unref())]);
    if (!this.ready)
      this.logger.warn('Redis not reachable at boot; serving from memory until it is');
  }

  async ping(): Promise<boolean> {
    if (!this.ready) return false;
    try {
      return (await this.bounded(this.client!.ping())) === 'PONG';
    } catch {
      return false;
    }
  }

  onApplicationShutdown(): void {
    if (this.client?.isOpen) this.client.destroy();
  }
}

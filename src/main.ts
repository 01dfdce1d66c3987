import './v8-flags.js';
import 'reflect-metadata';
import cluster from 'node:cluster';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { Logger } from 'nestjs-pino';
import { AppModule } from './app.module.js';
import { setupApp } from './app.setup.js';
import { runPrimary } from './cluster.js';
import { loadConfig, loadDotEnv, type AppConfig } from './config/app-config.js';
import { DEMO_ADMIN, DEMO_USER_PASSWORD } from './database/seed/demo-data.js';
import { ShutdownState } from './health/shutdown-state.js';

const LISTEN_BACKLOG = 4096;
/**
 * Idle keep-alive connections are kept longer than any load balancer keeps its own (nginx's
 * upstream `keepalive_timeout` is 4 s in deploy/nginx.conf, an AWS ALB's idle timeout 60 s): the
 * balancer, never this server, closes an idle connection, so it never sends a request on a
 * connection this side is closing (a POST lost that way is a 502 with an unknown outcome).
 */
const KEEP_ALIVE_TIMEOUT_MS = 65_000;
/** After the grace, requests still running get this long to finish; then their sockets are cut. */
const IN_FLIGHT_LIMIT_MS = 20_000;
/**
 * After the grace, the listener is closed only once no request (other than a probe or a metrics
 * scrape) has reached this worker for this long (at most LISTEN_QUIET_LIMIT_MS more): closing it
 * resets every connection still waiting to be accepted — in the kernel's backlog or, with WEB_CONCURRENCY > 1, in the cluster
 * primary's queue of connections not yet handed to a worker, which grows when the workers are
 * starved of CPU. Measured by the fault drill on a saturated machine: 125 upstream connections
 * nginx had written a request on were reset at the end of the grace (GETs retried elsewhere,
 * POSTs answered 502 with an unknown outcome).
 */
const LISTEN_QUIET_MS = 1000;
const LISTEN_QUIET_LIMIT_MS = 10_000;
const PROBE_PATH = /^\/(health|metrics)(\/|\?|$)/;

async function bootstrap(config: AppConfig): Promise<void> {
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(config), {
    bufferLogs: true,
    // no forceCloseConnections: a shutdown lets in-flight requests finish (see drainOnSigterm)
  });
  setupApp(app, config);
  drainOnSigterm(app, config);
  // Node's default accept backlog (511) drops SYNs when a crowd connects at once (clients then
  // wait for a TCP retransmit, 1-7 s); the kernel caps this at net.core.somaxconn.
  const listen = app.listen.bind(app) as unknown as (
    port: number,
    host: string,
    backlog: number,
  ) => Promise<unknown>;
  await listen(config.port, config.host, LISTEN_BACKLOG);
  const logger = app.get(Logger);
  logger.log(
    `spajobs listening on http://${config.host}:${config.port} (database: ${config.database.type}, ` +
      `redis: ${config.redis.enabled ? 'on' : 'off'}${cluster.isWorker ? `, worker ${cluster.worker?.id}` : ''})`,
    'Bootstrap',
  );
  if (!cluster.isWorker || cluster.worker?.id === 1) welcome(logger, config);
}

/**
 * Zero-downtime stop. On SIGTERM, before Nest's own handler runs: readiness answers 503 at once
 * and every response from then on carries `Connection: close` (those in flight too, unless their
 * headers are out), so no keep-alive connection outlives its current request. The server keeps
 * accepting for SHUTDOWN_GRACE_MS (terminus' wait), long enough for a load balancer to notice the
 * 503 and for nginx's idle upstream connections (keepalive_timeout 4 s) to be closed by nginx; then,
 * once no request has arrived for LISTEN_QUIET_MS (connections already queued are accepted and
 * served first), Nest closes the listener (new connections are refused: nginx retries them
 * elsewhere, whatever the method, since nothing was sent) and idle connections, waits for
 * requests in flight (IN_FLIGHT_LIMIT_MS after the grace at most), writes the buffered views and
 * closes the pools. SIGINT (Ctrl-C) skips the grace.
 */
function drainOnSigterm(app: NestExpressApplication, config: AppConfig): void {
  const server: Server = app.getHttpServer();
  server.keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS;
  server.headersTimeout = KEEP_ALIVE_TIMEOUT_MS + 1000;
  const state = app.get(ShutdownState);
  const connections = openConnections(server);
  let lastRequestAt = 0;
  // Nest closes the server after the grace: the listener stays open until it is quiet
  const close = server.close.bind(server);
  server.close = (callback?: (err?: Error) => void) => {
    if (!state.draining) return close(callback);
    const giveUpAt = Date.now() + LISTEN_QUIET_LIMIT_MS;
    const attempt = () => {
      if (Date.now() - lastRequestAt >= LISTEN_QUIET_MS || Date.now() >= giveUpAt) close(callback);
      else setTimeout(attempt, 100);
    };
    attempt();
    return server;
  };
  server.prependListener('request', (req: IncomingMessage, res: ServerResponse) => {
    // probes and scrapes keep coming while an instance drains: they are no traffic to wait for
    if (!PROBE_PATH.test(req.url ?? '')) lastRequestAt = Date.now();
    if (state.draining) res.setHeader('Connection', 'close');
  });
  // the listener is closed: a connection that had sent its headers before the drain is idle once
  // its response is out (next tick), and nothing new can arrive on it
  const closeIdleOnceClosed = () => {
    if (!server.listening) setImmediate(() => server.closeIdleConnections());
  };
  // once: Nest re-raises SIGTERM after its hooks, which must then end the process
  process.prependOnceListener('SIGTERM', () => {
    state.begin('SIGTERM', config.shutdownGraceMs);
    for (const socket of connections()) {
      // Node's own pointer to the response being written on a connection
      const res = (socket as { _httpMessage?: ServerResponse | null })._httpMessage;
      if (!res || res.writableFinished) continue;
      if (!res.headersSent) res.setHeader('Connection', 'close');
      res.once('close', closeIdleOnceClosed);
    }
    setTimeout(
      () => server.closeAllConnections(),
      config.shutdownGraceMs + IN_FLIGHT_LIMIT_MS,
    ).unref();
  });
}

/**
 * The server's open connections, each in a slot of one array (a freed slot is reused). Not a
 * Set: V8 links each table a Set outgrows to its successor with the entries it held, so a Set
 * with steady churn keeps everything that passed through it alive across young-generation
 * collections until the next full one. A Set of the responses in flight did that to every
 * response (bench/README.md, "Sixth pass").
 */
function openConnections(server: Server): () => Socket[] {
  const open: Array<Socket | undefined> = [];
  const free: number[] = [];
  server.on('connection', (socket: Socket) => {
    const slot = free.pop() ?? open.length;
    open[slot] = socket;
    socket.once('close', () => {
      open[slot] = undefined;
      free.push(slot);
    });
  });
  return () => open.filter((socket): socket is Socket => socket !== undefined);
}

/** The last lines of the first screen: where to go, and (in development) how to log in. */
function welcome(logger: Logger, config: AppConfig): void {
  const host = config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host;
  const base = `http://${host}:${config.port}`;
  logger.log(`API ${base}/api/v1   docs ${base}/docs   health ${base}/health`, 'Ready');
  if (config.env !== 'production' && config.seedDemoData) {
    logger.log(
      `demo logins: ${DEMO_ADMIN.email} / ${DEMO_ADMIN.password}, ` +
        `employer1..10@spajobs.local and seeker1..5@spajobs.local / ${DEMO_USER_PASSWORD}`,
      'Ready',
    );
  }
  if (!config.mail.url) {
    logger.log(`mails (no MAIL_URL): written to ${config.mail.outboxDir} as .eml files`, 'Ready');
  }
}

let config: AppConfig;
try {
  loadDotEnv();
  config = loadConfig();
} catch (err) {
  console.error((err as Error).message);
  process.exit(1);
}
const start =
  config.webConcurrency > 1 && cluster.isPrimary ? runPrimary(config) : bootstrap(config);
start.catch((err: unknown) => {
  console.error('Failed to start:', err instanceof Error ? err.message : err);
  process.exit(1);
});

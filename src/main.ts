import 'reflect-metadata';
import cluster from 'node:cluster';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { Logger } from 'nestjs-pino';
import { AppModule } from './app.module.js';
import { setupApp } from './app.setup.js';
import { runPrimary } from './cluster.js';
import { loadConfig, loadDotEnv, type AppConfig } from './config/app-config.js';
import { DEMO_ADMIN, DEMO_USER_PASSWORD } from './database/seed/demo-data.js';

const LISTEN_BACKLOG = 4096;

async function bootstrap(config: AppConfig): Promise<void> {
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(config), {
    bufferLogs: true,
    // keep-alive sockets would otherwise hold a graceful shutdown open
    forceCloseConnections: true,
  });
  setupApp(app, config);
  // Node's default accept backlog (511) drops SYNs when a crowd connects at once (clients then
  // wait for a TCP retransmit, 1-7 s); the kernel caps this at net.core.somaxconn.
  const listen = app.listen.bind(app) as unknown as (
    port: number,
    host: string,
    backlog: number,
  ) => Promise<unknown>;
  await listen(config.port, config.host, LISTEN_BACKLOG);
  const logger = app.get(Logger);
  if (config.database.replicaUrls.length > 0) {
    logger.warn(
      'DATABASE_REPLICA_URLS is ignored: every query goes to the primary (see README)',
      'Bootstrap',
    );
  }
  logger.log(
    `spajobs listening on http://${config.host}:${config.port} (database: ${config.database.type}, ` +
      `redis: ${config.redis.enabled ? 'on' : 'off'}${cluster.isWorker ? `, worker ${cluster.worker?.id}` : ''})`,
    'Bootstrap',
  );
  if (!cluster.isWorker || cluster.worker?.id === 1) welcome(logger, config);
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

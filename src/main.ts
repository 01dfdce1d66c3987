import 'reflect-metadata';
import cluster from 'node:cluster';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { Logger } from 'nestjs-pino';
import { AppModule } from './app.module.js';
import { setupApp } from './app.setup.js';
import { runPrimary } from './cluster.js';
import { loadConfig, loadDotEnv, type AppConfig } from './config/app-config.js';

async function bootstrap(config: AppConfig): Promise<void> {
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(config), {
    bufferLogs: true,
    // keep-alive sockets would otherwise hold a graceful shutdown open
    forceCloseConnections: true,
  });
  setupApp(app, config);
  await app.listen(config.port, config.host);
  app
    .get(Logger)
    .log(
      `spajobs listening on http://${config.host}:${config.port} (database: ${config.database.type}, ` +
        `redis: ${config.redis.enabled ? 'on' : 'off'}${cluster.isWorker ? `, worker ${cluster.worker?.id}` : ''})`,
      'Bootstrap',
    );
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

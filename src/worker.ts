import './v8-flags.js';
import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { Logger } from 'nestjs-pino';
import { AppModule } from './app.module.js';
import { loadConfig, loadDotEnv, type AppConfig } from './config/app-config.js';

/**
 * `npm run worker`: the queue's handlers in a process of their own, for deployments whose web
 * processes run with WORKERS_ENABLED=false. It boots the same modules as the web process (so
 * every feature's handlers and their dependencies are there) without an HTTP server, and with
 * the workers on whatever WORKERS_ENABLED says. SIGTERM lets running jobs finish.
 */
async function main(): Promise<void> {
  loadDotEnv();
  const loaded = loadConfig();
  const config: AppConfig = { ...loaded, queue: { ...loaded.queue, workersEnabled: true } };
  const app = await NestFactory.createApplicationContext(AppModule.forRoot(config), {
    bufferLogs: true,
  });
  app.useLogger(app.get(Logger));
  app.enableShutdownHooks();
  app.get(Logger).log(`spajobs worker running (database: ${config.database.type})`, 'Bootstrap');
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
